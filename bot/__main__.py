"""`python -m bot`: the same command line as `guidebot`."""

import sys

from bot.cli import main

sys.exit(main())

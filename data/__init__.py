"""The bundled guide, shipped inside the package as `bot.data` (see pyproject.toml)."""

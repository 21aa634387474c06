"""The HTTP baseline (the floor): an aiohttp endpoint that checks the signature, then answers a
fixed body.

Nothing can answer Discord's HTTP interactions for less: it reads the body, verifies the Ed25519
signature and the timestamp with PyNaCl as guidebot does, and sends a constant message. Run as
`python -m bench.floor_endpoint --port P` with `DISCORD_PUBLIC_KEY` set; like `guidebot serve`,
it logs where it listens and shares its port with other workers (SO_REUSEPORT).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time

from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

ANSWER = json.dumps(
    {
        "type": 4,
        "data": {
            "embeds": [
                {
                    "title": "Django",
                    "description": "A high-level Python web framework that encourages rapid "
                    "development.",
                }
            ]
        },
    }
).encode()


def app(key: VerifyKey) -> web.Application:
    """Return the floor endpoint for `key`."""

    async def interactions(request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get("X-Signature-Ed25519", "")
        timestamp = request.headers.get("X-Signature-Timestamp", "")
        try:
            key.verify(timestamp.encode() + body, bytes.fromhex(signature))
            fresh = abs(time.time() - int(timestamp)) <= 300
        except (BadSignatureError, ValueError):
            fresh = False
        if not fresh:
            return web.Response(status=401)
        if json.loads(body).get("type") == 1:
            return web.json_response({"type": 1})
        return web.Response(body=ANSWER, content_type="application/json")

    application = web.Application(client_max_size=1024 * 1024)
    application.router.add_post("/interactions", interactions)
    return application


async def main(port: int) -> None:
    runner = web.AppRunner(app(VerifyKey(bytes.fromhex(os.environ["DISCORD_PUBLIC_KEY"]))))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
    host, bound = runner.addresses[0][:2]
    print(f"answering interactions at http://{host}:{bound}/interactions", file=sys.stderr)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))

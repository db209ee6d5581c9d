"""Baseline: bare aiohttp serving fixed bytes at one path, same TLS setup as the simulator.

    python bench/bare_server.py CERTS_DIR BODY_FILE CONTENT_TYPE PATH
prints ``ready https://127.0.0.1:PORT`` like the simulator does.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from aiohttp import web

from simulator.tls import CertStore


async def main(certs: Path, body_file: Path, content_type: str, path: str) -> None:
    body = body_file.read_bytes()

    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=CertStore(certs).server_context())
    await site.start()
    server = site._server
    assert server is not None and server.sockets  # asyncio's or uvloop's server
    print(f"ready https://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]))

"""The simulator's own request path, in process: what a GET status costs besides aiohttp.

    python bench/request_path.py [--requests 20000] [--rounds 5] [--log] [--profile]

No network and no TLS: prepared GET status requests (``aiohttp.test_utils``'
``make_mocked_request``, the demo user's token) are handed to the request handler
``serve`` runs, that is ``instrument`` around the app. That path covers the request id,
routing through the sub-apps, the token, client and realm checks, the status cache,
the response, the journal entry and, with ``--log``, the request's log line as
``serve`` writes it (text, writer thread included, stdout to /dev/null).

The baseline, measured in the same run, is a bare aiohttp app answering the same
requests with the same bytes through its own handler. The difference between the two
is what the simulator adds per request before any byte is read or written. In a
server it costs two to three times more (``bench/http_status.py``): colder caches
between the reads and writes of many connections.

``--profile`` prints cProfile's view of one more round of the simulator's path: each
function's share of the profiled total.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TextIO

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from simulator.config import DEFAULT_CLIENT_ID, Settings
from simulator.paths import API_PREFIX
from simulator.server import create_app, instrument
from simulator.store import Simulator
from simulator.testing import DEFAULT_REALM

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


async def _simulator_path(
    runners: list[web.AppRunner],
) -> tuple[Handler, web.Application, str, dict[str, str], bytes]:
    sim = Simulator(Settings(vehicles=3))
    app = create_app(sim)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()  # the app's start-up: clock, delivery
    runners.append(runner)
    assert runner.server is not None
    handler = instrument(app, runner.server.request_handler)
    client = sim.identity.clients[DEFAULT_CLIENT_ID]
    owner = client.default_user or next(iter(sim.identity.users))
    pair = sim.identity.issue(client, owner, client.scopes, sim.clock.time())
    vehicle = sim.fleet.owned_by(owner)[0]
    path = f"{API_PREFIX}/user/vehicles/{vehicle.id}/status?client_id={DEFAULT_CLIENT_ID}"
    headers = {
        "Authorization": f"Bearer {pair.access_token}",
        "x-introspect-realm": DEFAULT_REALM,
        "Host": "localhost",
    }
    response = await handler(make_mocked_request("GET", path, headers=headers, app=app))
    assert response.status == 200 and isinstance(response, web.Response), response.status
    assert isinstance(response.body, bytes)
    return handler, app, path, headers, response.body


async def _bare_path(
    runners: list[web.AppRunner], path: str, body: bytes
) -> tuple[Handler, web.Application]:
    async def status(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/hal+json")

    app = web.Application()
    app.router.add_get(path.split("?", 1)[0], status)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    runners.append(runner)
    assert runner.server is not None
    return runner.server.request_handler, app


async def _round(
    handler: Handler, app: web.Application, path: str, headers: dict[str, str], count: int
) -> float:
    """Seconds per request for ``count`` requests (made beforehand)."""
    requests = [make_mocked_request("GET", path, headers=headers, app=app) for _ in range(count)]
    started = time.perf_counter()
    for request in requests:
        await handler(request)
    return (time.perf_counter() - started) / count


async def run(opts: argparse.Namespace, out: TextIO) -> None:
    runners: list[web.AppRunner] = []
    try:
        await _measure(opts, out, runners)
    finally:
        for runner in runners:
            await runner.cleanup()


async def _measure(opts: argparse.Namespace, out: TextIO, runners: list[web.AppRunner]) -> None:
    handler, app, path, headers, body = await _simulator_path(runners)
    bare, bare_app = await _bare_path(runners, path, body)
    ours_s: list[float] = []
    bare_s: list[float] = []
    for _ in range(opts.rounds):
        ours_s.append(await _round(handler, app, path, headers, opts.requests))
        bare_s.append(await _round(bare, bare_app, path, headers, opts.requests))
    ours, base = statistics.median(ours_s), statistics.median(bare_s)
    say = functools.partial(print, file=out)
    say(
        f"GET status in process ({opts.requests:,} requests a round, medians of "
        f"{opts.rounds} alternating rounds, {'with' if opts.log else 'without'} the log line)"
    )
    say(f"bare aiohttp app, same bytes (baseline): {1e6 * base:6.1f} us per request")
    say(f"the simulator's path:                    {1e6 * ours:6.1f} us per request")
    say(f"what the simulator adds:                 {1e6 * (ours - base):6.1f} us per request")
    if opts.profile:
        profile = cProfile.Profile()
        requests = [
            make_mocked_request("GET", path, headers=headers, app=app) for _ in range(opts.requests)
        ]
        profile.enable()
        for request in requests:
            await handler(request)
        profile.disable()
        _print_profile(pstats.Stats(profile), opts.requests, say)


def _print_profile(stats: pstats.Stats, requests: int, say: Callable[..., None]) -> None:
    rows = [
        (cumulative, own, calls, f"{where.split('site-packages/')[-1]}:{line}({name})")
        for (where, line, name), (_, calls, own, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    total = sum(row[1] for row in rows)
    say(f"profiled: {1e6 * total / requests:.1f} us per request (cProfile's overhead included)")
    say("  cumulative   own  calls/request  function")
    for cumulative, own, calls, name in sorted(rows, reverse=True)[:30]:
        say(
            f"  {100 * cumulative / total:8.1f} % {100 * own / total:5.1f} % "
            f"{calls / requests:8.1f}       {name.split('/work/main/')[-1]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--log", action="store_true", help="serve's log line per request")
    parser.add_argument("--profile", action="store_true", help="cProfile one more round")
    opts = parser.parse_args()
    out = sys.stdout
    if opts.log:  # serve's output, on a stdout nobody reads (the writer reads sys.stdout)
        from simulator import logs

        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (until the end)
        logs.configure_logging("text")
        logs.after_ready()
    try:
        asyncio.run(run(opts, out))
    finally:
        sys.stdout = out


if __name__ == "__main__":
    main()

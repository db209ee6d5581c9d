"""Command line: ``connectedcar-sim`` / ``python -m simulator``.

Every option also reads an environment variable ``CCSIM_<OPTION>``
(``--manual-clock`` -> ``CCSIM_MANUAL_CLOCK=1``, ``--host`` may be a comma
list in ``CCSIM_HOST`` for ``certs``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from simulator import __version__
from simulator.config import RateLimit, Settings, control_token_digest
from simulator.tls import DEFAULT_HOSTS, CertStore

_TRUE = {"1", "true", "yes", "on"}


def _env(name: str) -> str | None:
    return os.environ.get("CCSIM_" + name.upper().replace("-", "_"))


def _env_default(name: str, default: object) -> object:
    value = _env(name)
    return default if value is None else value


def _env_flag(name: str) -> bool:
    value = _env(name)
    return value is not None and value.strip().lower() in _TRUE


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be in 0..65535")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _rate_limit(text: str) -> RateLimit:
    try:
        return RateLimit.parse(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not DAY/BURST, two positive integers (e.g. 100000/100)"
        ) from None


def _timestamp(text: str | datetime) -> datetime:
    if isinstance(text, datetime):
        return text
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an RFC 3339 time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs an offset (Z or +HH:MM)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connectedcar-sim",
        description="A local, faithful simulator of the Stellantis connected-car API v4.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_certs(sub)
    _add_run(sub)
    serve = sub.add_parser("serve", help="serve the API over mTLS")
    # in the order --help lists them
    _add_serve_world(serve)
    _add_serve_behaviour(serve)
    _add_serve_capacity(serve)
    return parser


def _add_certs(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    certs = sub.add_parser("certs", help="write the CA, server, client and webhook certificates")
    certs.add_argument("--dir", type=Path, default=Path(str(_env_default("dir", "certs"))))
    env_hosts = _env("host")
    certs.add_argument(
        "--host",
        action="append",
        dest="hosts",
        default=None,
        help="name or address the server and webhook certificates are valid for (repeatable)",
    )
    certs.add_argument("--force", action="store_true", default=_env_flag("force"))
    certs.set_defaults(env_hosts=env_hosts)


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run", help="play a scenario file headless; exit 0 if its expectations hold, 1 if not"
    )
    run.add_argument("scenario_file", type=Path, metavar="SCENARIO")
    run.add_argument("--report", type=Path, default=None, help="write a JUnit XML report here")
    run.add_argument(
        "--quiet", action="store_true", help="no progress; only failures and the summary"
    )
    run.add_argument("--seed", type=int, default=int(str(_env_default("seed", "0"))))


def _add_serve_world(serve: argparse.ArgumentParser) -> None:
    """Where ``serve`` listens, what it simulates, how its time runs and logs."""
    serve.add_argument("--host", default=_env_default("host", "127.0.0.1"))
    serve.add_argument("--port", type=_port, default=_env_default("port", "8443"))
    serve.add_argument("--certs", type=Path, default=Path(str(_env_default("certs", "certs"))))
    serve.add_argument("--vehicles", type=_count, default=_env_default("vehicles", "3"))
    serve.add_argument("--seed", type=int, default=_env_default("seed", "0"))
    clock = serve.add_mutually_exclusive_group()
    clock.add_argument(
        "--speed",
        type=_positive_float,
        default=_env_default("speed", "1"),
        help="accelerated time: FACTOR simulated seconds per real second",
    )
    clock.add_argument(
        "--manual-clock",
        action="store_true",
        default=_env_flag("manual_clock"),
        help="time moves only through the control API",
    )
    serve.add_argument(
        "--log-format", choices=("text", "json"), default=_env_default("log_format", "text")
    )
    serve.add_argument(
        "--scenario",
        type=Path,
        default=_env_default("scenario", None),
        metavar="FILE",
        help="a YAML scenario declaring users, clients, vehicles (scenarios/README.md)",
    )
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=_env_default("rate_limit", None),
        metavar="DAY/BURST",
        help="turn on the API's rate limits for every client, e.g. 100000/100",
    )


def _add_serve_behaviour(serve: argparse.ArgumentParser) -> None:
    """Webhook trust and patience, the clock's start, the fleet's life, the control token."""
    env_cas = _env("webhook_ca")
    serve.add_argument(
        "--webhook-ca",
        dest="webhook_cas",
        type=Path,
        action="append",
        default=[Path(p) for p in env_cas.split(os.pathsep) if p] if env_cas else [],
        metavar="FILE",
        help="also trust this CA (PEM) for webhook and websocket targets (repeatable)",
    )
    serve.add_argument(
        "--webhook-timeout",
        type=_positive_float,
        default=_env_default("webhook_timeout", "10"),
        metavar="SECONDS",
        help="a target that has not answered after this long is a failed attempt",
    )
    serve.add_argument(
        "--start",
        type=_timestamp,
        default=_env_default("start", None),
        metavar="TIME",
        help="the clock's first reading, RFC 3339 (e.g. 2026-01-05T06:00:00Z; default now)",
    )
    serve.add_argument(
        "--no-life",
        action="store_true",
        default=_env_flag("no_life"),
        help="vehicles stay where they are (no commutes, charging or samples on the clock)",
    )
    serve.add_argument(
        "--control-token",
        default=_env_default("control_token", None),
        metavar="TOKEN",
        help="the control API (/simulator/v1) needs 'Authorization: Bearer TOKEN' "
        "(default: open to any holder of a client certificate)",
    )


def _add_serve_capacity(serve: argparse.ArgumentParser) -> None:
    """What ``serve`` keeps (data dir, journals) and how many connections it takes."""
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=_env_default("data_dir", None),
        metavar="DIR",
        help="keep callbacks, undelivered events and the delivery journal here (SQLite)",
    )
    serve.add_argument(
        "--journal-size",
        type=_positive_int,
        default=_env_default("journal_size", "10000"),
        metavar="N",
        help="requests and delivery attempts kept in memory by the journals (the newest N each)",
    )
    serve.add_argument(
        "--max-connections",
        type=_positive_int,
        default=_env_default("max_connections", "1024"),
        metavar="N",
        help="connections served at once; past N a new connection's request gets a 503 "
        "(Retry-After) and the connection is closed (default 1024)",
    )
    serve.add_argument(
        "--keepalive-timeout",
        type=_positive_float,
        default=_env_default("keepalive_timeout", "75"),
        metavar="SECONDS",
        help="an idle keep-alive connection is closed after this many (wall-clock) seconds",
    )


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _configure_logging(fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "certs":
        hosts = args.hosts or (args.env_hosts.split(",") if args.env_hosts else DEFAULT_HOSTS)
        store = CertStore(args.dir)
        written = store.ensure(hosts, force=args.force)
        state = "wrote" if written else "kept existing"
        print(f"{state} certificates in {args.dir}/ for {', '.join(hosts)}")
        return 0
    if args.command == "run":
        from simulator.scenario.run import run_command

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return run_command(args.scenario_file, report=args.report, quiet=args.quiet, seed=args.seed)
    _configure_logging(args.log_format)
    if args.manual_clock and _env("speed") is not None and args.speed != 1:
        print("--speed and --manual-clock exclude each other", file=sys.stderr)
        return 2
    settings = Settings(
        host=args.host,
        port=int(args.port),
        certs=args.certs,
        vehicles=int(args.vehicles),
        seed=int(args.seed),
        speed=1.0 if args.manual_clock else float(args.speed),
        manual_clock=bool(args.manual_clock),
        log_format=args.log_format,
        scenario=args.scenario,
        rate_limit=args.rate_limit,
        webhook_cas=tuple(args.webhook_cas),
        life=not args.no_life,
        start=_timestamp(args.start) if args.start is not None else None,
        webhook_timeout=float(args.webhook_timeout),
        data_dir=Path(args.data_dir) if args.data_dir is not None else None,
        max_connections=int(args.max_connections),
        keepalive_timeout=float(args.keepalive_timeout),
        control_token_digest=control_token_digest(args.control_token),
        journal_capacity=int(args.journal_size),
        delivery_journal_capacity=int(args.journal_size),
    )
    if settings.scenario is not None:
        from simulator.scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(settings.scenario)  # checked here: one clear line, exit 2
        except ScenarioError as exc:
            print(f"connectedcar-sim serve: bad scenario: {exc}", file=sys.stderr)
            return 2
        # the file's start and life, unless the command line says otherwise
        if scenario.start is not None and args.start is None:
            settings = dataclasses.replace(settings, start=scenario.start)
        if scenario.life is not None and not args.no_life:
            settings = dataclasses.replace(settings, life=scenario.life)
    from simulator.scenario import ScenarioError
    from simulator.server import serve  # imported late: `certs` and `--version` stay fast

    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0
    except ScenarioError as exc:  # a body of the file the API refused while setting up
        print(f"connectedcar-sim serve: bad scenario: {exc}", file=sys.stderr)
        return 2

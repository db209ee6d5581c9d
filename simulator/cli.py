"""Command line: ``connectedcar-sim`` / ``python -m simulator``.

Every option is added with :func:`_option`: its help ends with its default and its
environment variable ``CCSIM_<OPTION>`` (``--manual-clock`` -> ``CCSIM_MANUAL_CLOCK=1``,
``--host`` may be a comma list in ``CCSIM_HOST`` for ``certs``), read when the option
is not on the command line.  ``CCSIM_CERT_HOSTS`` (no option) adds names to the
certificates ``certs`` and a first ``serve`` make.

Whatever stops a command before it runs (a bad value or variable, a broken
certificate folder, a ``--webhook-ca`` that is not a CA, a ``--data-dir`` that cannot
be written, a port in use) is one line on stderr, ``connectedcar-sim COMMAND: ...``,
naming the option, variable or file and what to do, and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import errno
import ipaddress
import logging
import math
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from simulator import __version__
from simulator.config import ACCESS_TOKEN_LIFETIME, RateLimit, Settings, control_token_digest
from simulator.logs import LEVELS, configure_logging
from simulator.tls import DEFAULT_HOSTS, P12_PASSWORD, CertificateError, CertStore, check_ca_file

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
PROG = "connectedcar-sim"
_HOST_NAME = re.compile(
    r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)
_SECRET_VARIABLES = ("_TOKEN", "_SECRET", "_PASSWORD", "_KEY")  # values never echoed


def _whole(text: str, low: int | None = None, high: int | None = None) -> int:
    """An integer in ``low..high`` (either bound may be open)."""
    try:
        value: int | None = int(text.strip())
    except ValueError:
        value = None
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        rule = "" if low is None else f" >= {low}" if high is None else f" in {low}..{high}"
        raise argparse.ArgumentTypeError(f"must be an integer{rule}")
    return value


def _port(text: str) -> int:
    return _whole(text, 0, 65535)


def _count(text: str) -> int:
    return _whole(text, 0)


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _integer(text: str) -> int:
    return _whole(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a number > 0")
    return value


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise argparse.ArgumentTypeError("must be 1, true, yes or on (or 0, false, no, off)")


def _host_name(text: str) -> str:
    """A name or address a certificate can be issued for (and a server can listen on)."""
    name = text.strip()
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if not _HOST_NAME.fullmatch(name):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a host name or IP address (letters, digits, '-' and '.' only)"
        )
    return name


def _loopback(text: str) -> str:
    """A loopback address or ``localhost``: the plain-HTTP UI listener serves no one else."""
    name = text.strip().lower()
    if name == "localhost":
        return name
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a loopback address: the plain-HTTP UI listener only binds "
            "127.0.0.1, ::1 or localhost"
        )
    return str(address)


def _rate_limit(text: str) -> RateLimit:
    try:
        return RateLimit.parse(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not DAY/BURST, two positive integers (e.g. 100000/100)"
        ) from None


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an RFC 3339 time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs an offset (Z or +HH:MM)")
    return value


# ------------------------------------------------------------------ options and variables
@dataclass(frozen=True, slots=True)
class _EnvOption:
    """An option's environment variable, read when the option is not on the command line."""

    dest: str
    variable: str
    flag: str | None  # None: a variable with no option
    default: object
    convert: Callable[[str], object]
    split: str | None = None  # a list: the separator of its items


def _choice(choices: Sequence[str], normalize: Callable[[str], str] | None) -> Callable[[str], str]:
    def convert(text: str) -> str:
        value = normalize(text.strip()) if normalize else text.strip()
        if value not in choices:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(choices)}")
        return value

    return convert


class _Parser(argparse.ArgumentParser):
    """Every mistake is one line on stderr (exit 2); an option not on the command line
    takes its variable's value (checked, naming the variable), else its default."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env_options: list[_EnvOption] = []

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        from_env: dict[str, str] = getattr(parsed, "from_env", {})
        for option in self.env_options:
            if getattr(parsed, option.dest, None) is not None:
                continue
            text = os.environ.get(option.variable)
            if text is None:
                setattr(parsed, option.dest, option.default)
                continue
            setattr(parsed, option.dest, self._converted(option, text))
            from_env[option.dest] = option.variable
        parsed.from_env = from_env
        return parsed, extras

    def _converted(self, option: _EnvOption, text: str) -> object:
        try:
            if option.split is None:
                return option.convert(text)
            items = (item.strip() for item in text.split(option.split))
            return [option.convert(item) for item in items if item]
        except (argparse.ArgumentTypeError, ValueError) as exc:
            secret = option.variable.endswith(_SECRET_VARIABLES)
            shown = "…" if secret else text
            sets = f" (the variable of {option.flag})" if option.flag else ""
            self.exit(2, f"{self.prog}: {option.variable}={shown}: {exc}{sets}\n")


def _option(
    parser: _Parser,
    flag: str,
    *,
    help: str,
    default: object = None,
    type: Callable[[str], Any] | None = None,
    shown: str | None = None,
    split: str | None = None,
    group: argparse._MutuallyExclusiveGroup | None = None,
    **kwargs: Any,
) -> None:
    """Add ``flag`` whose help ends with its default and its variable ``CCSIM_<FLAG>``."""
    name = flag.lstrip("-").replace("-", "_")
    variable = "CCSIM_" + name.upper()
    convert: Callable[[str], object] = type or str
    if kwargs.get("action") == "store_true":
        convert, shown = _flag, shown or "off"
    elif "choices" in kwargs:
        convert = _choice(kwargs["choices"], type)
    if type is not None:
        kwargs["type"] = type
    if shown is None:
        shown = f"{default:g}" if isinstance(default, float) else str(default)
    text = f"{help} (default: {shown}; env {variable})"
    (group or parser).add_argument(flag, default=None, help=text.replace("%", "%%"), **kwargs)
    dest = kwargs.get("dest", name)
    parser.env_options.append(_EnvOption(dest, variable, flag, default, convert, split))


def _source(args: argparse.Namespace, dest: str, flag: str, value: object) -> str:
    """How the user gave ``dest``: ``--flag VALUE`` or ``CCSIM_FLAG=VALUE``."""
    variable: str | None = args.from_env.get(dest)
    return f"{variable}={value}" if variable else f"{flag} {value}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A local, faithful simulator of the Stellantis connected-car API v4.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_certs(sub)
    _add_run(sub)
    _add_health(sub)
    serve = sub.add_parser(
        "serve",
        help="serve the API over mTLS",
        epilog=_CERT_HOSTS_HELP + " on its first start (when --certs holds none).",
    )
    _cert_hosts(serve)
    # in the order --help lists them
    _add_serve_world(serve)
    _add_serve_logs(serve)
    _add_serve_behaviour(serve)
    _add_serve_capacity(serve)
    return parser


_CERT_HOSTS_HELP = (
    "CCSIM_CERT_HOSTS=NAME,... (environment only) adds names or addresses, such as "
    "container service names or host.docker.internal, to the server and webhook "
    "certificates made"
)


def _cert_hosts(parser: _Parser) -> None:
    parser.env_options.append(
        _EnvOption("cert_hosts", "CCSIM_CERT_HOSTS", None, [], _host_name, split=",")
    )


def _add_certs(sub: argparse._SubParsersAction[_Parser]) -> None:
    certs = sub.add_parser(
        "certs",
        help="write the CA, server, client and webhook certificates",
        epilog=f"{_CERT_HOSTS_HELP}. client.p12 (client.pem, client.key and ca.pem, "
        f"for a browser) has the password {P12_PASSWORD!r}.",
    )
    _option(
        certs,
        "--dir",
        type=Path,
        default=Path("certs"),
        metavar="DIR",
        help="the folder to write into",
    )
    _option(
        certs,
        "--host",
        action="append",
        dest="hosts",
        type=_host_name,
        metavar="NAME",
        split=",",
        default=list(DEFAULT_HOSTS),
        shown=", ".join(DEFAULT_HOSTS),
        help="name or address the server and webhook certificates are valid for "
        "(repeatable; CCSIM_HOST is a comma list)",
    )
    _option(
        certs,
        "--force",
        action="store_true",
        help="regenerate every file, the CA too (clients must then trust the new ca.pem)",
    )
    _cert_hosts(certs)


def _add_health(sub: argparse._SubParsersAction[_Parser]) -> None:
    health = sub.add_parser(
        "health",
        help="one mTLS request to a running simulator: exit 0 if it answers, 1 if not "
        "(a container's HEALTHCHECK)",
    )
    _option(health, "--host", type=_host_name, default="127.0.0.1", help="where it listens")
    _option(health, "--port", type=_port, default=8443, help="its port")
    _option(
        health,
        "--certs",
        type=Path,
        default=Path("certs"),
        metavar="DIR",
        help="its certificate folder (ca.pem, client.pem, client.key)",
    )


def _add_run(sub: argparse._SubParsersAction[_Parser]) -> None:
    run = sub.add_parser(
        "run", help="play a scenario file headless; exit 0 if its expectations hold, 1 if not"
    )
    run.add_argument("scenario_file", type=Path, metavar="SCENARIO")
    _option(
        run,
        "--report",
        type=Path,
        shown="none",
        metavar="FILE",
        help="write a JUnit XML report here",
    )
    _option(run, "--quiet", action="store_true", help="no progress; only failures and the summary")
    _option(
        run,
        "--seed",
        type=_integer,
        default=0,
        metavar="N",
        help="seed of the fleet and of every id",
    )


def _add_serve_world(serve: _Parser) -> None:
    """Where ``serve`` listens, what it simulates, how its time runs."""
    _option(
        serve,
        "--host",
        type=_host_name,
        default="127.0.0.1",
        help="address to listen on (0.0.0.0: every interface)",
    )
    _option(
        serve,
        "--port",
        type=_port,
        default=8443,
        help="port to listen on (0: a free one, shown on the ready line)",
    )
    _option(
        serve,
        "--ui-port",
        type=_port,
        shown="off",
        help="also serve the live view and the control API over plain HTTP on this port "
        "(0: a free one), loopback only",
    )
    _option(
        serve,
        "--ui-host",
        type=_loopback,
        default="127.0.0.1",
        help="loopback address of the --ui-port listener (127.0.0.1, ::1 or localhost)",
    )
    _option(
        serve,
        "--certs",
        type=Path,
        default=Path("certs"),
        metavar="DIR",
        help="the certificate folder (made on the first start when it holds none)",
    )
    _option(
        serve,
        "--vehicles",
        type=_count,
        default=3,
        metavar="N",
        help="vehicles of the demo user's fleet",
    )
    _option(
        serve,
        "--seed",
        type=_integer,
        default=0,
        metavar="N",
        help="seed of the fleet and of every id (the same seed gives the same run)",
    )
    clock = serve.add_mutually_exclusive_group()
    _option(
        serve,
        "--speed",
        group=clock,
        type=_positive_float,
        default=1.0,
        metavar="FACTOR",
        help="accelerated time: FACTOR simulated seconds per real second",
    )
    _option(
        serve,
        "--manual-clock",
        group=clock,
        action="store_true",
        help="time moves only through the control API",
    )


def _add_serve_logs(serve: _Parser) -> None:
    """How ``serve`` logs, what scenario and rate limits it plays."""
    _option(
        serve,
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as text or as JSON objects, one a line",
    )
    _option(
        serve,
        "--log-level",
        type=str.lower,
        choices=tuple(LEVELS),
        default="info",
        help="the least important log lines printed",
    )
    _option(
        serve,
        "--quiet",
        action="store_true",
        help="no banner and only warnings and errors after the ready line",
    )
    _option(
        serve,
        "--scenario",
        type=Path,
        metavar="FILE",
        shown="none",
        help="a YAML scenario declaring users, clients, vehicles (scenarios/README.md)",
    )
    _option(
        serve,
        "--rate-limit",
        type=_rate_limit,
        metavar="DAY/BURST",
        shown="off",
        help="turn on the API's rate limits for every client, e.g. 100000/100",
    )


def _add_serve_behaviour(serve: _Parser) -> None:
    """Webhook trust and patience, the clock's start, the fleet's life, tokens."""
    _option(
        serve,
        "--webhook-ca",
        dest="webhook_cas",
        type=Path,
        action="append",
        split=os.pathsep,
        default=[],
        shown="none",
        metavar="FILE",
        help="also trust this CA (PEM) for webhook and websocket targets "
        f"(repeatable; CCSIM_WEBHOOK_CA is a {os.pathsep!r}-separated list)",
    )
    _option(
        serve,
        "--webhook-timeout",
        type=_positive_float,
        default=10.0,
        metavar="SECONDS",
        help="a target that has not answered after this long is a failed attempt",
    )
    _option(
        serve,
        "--start",
        type=_timestamp,
        metavar="TIME",
        shown="now",
        help="the clock's first reading, RFC 3339 (e.g. 2026-01-05T06:00:00Z)",
    )
    _option(
        serve,
        "--no-life",
        action="store_true",
        help="vehicles stay where they are (no commutes, charging or samples on the clock)",
    )
    _option(
        serve,
        "--token-ttl",
        type=_positive_int,
        default=int(ACCESS_TOKEN_LIFETIME),
        metavar="SECONDS",
        help="lifetime of an access token in simulated seconds (its expires_in): at "
        "--speed 60 the default lives one real minute",
    )
    _option(
        serve,
        "--control-token",
        metavar="TOKEN",
        shown="none: open to any holder of a client certificate",
        help="the control API (/simulator/v1) needs 'Authorization: Bearer TOKEN'",
    )


def _add_serve_capacity(serve: _Parser) -> None:
    """What ``serve`` keeps (data dir, journals) and how many connections it takes."""
    _option(
        serve,
        "--data-dir",
        type=Path,
        metavar="DIR",
        shown="none: in memory only",
        help="keep callbacks, undelivered events and the delivery journal here (SQLite)",
    )
    _option(
        serve,
        "--journal-size",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="requests and delivery attempts kept in memory by the journals (the newest N each)",
    )
    _option(
        serve,
        "--max-connections",
        type=_positive_int,
        default=1024,
        metavar="N",
        help="connections served at once; past N a new connection's request gets a 503 "
        "(Retry-After) and the connection is closed",
    )
    _option(
        serve,
        "--keepalive-timeout",
        type=_positive_float,
        default=75.0,
        metavar="SECONDS",
        help="an idle keep-alive connection is closed after this many (wall-clock) seconds",
    )


def _why(path: Path, exc: OSError) -> str:
    """Why ``path`` could not be used as a folder."""
    if path.exists() and not path.is_dir():
        return "a file, not a folder"
    return exc.strerror or str(exc)


def _fail(command: str, message: str) -> int:
    """The one line on stderr of a command that cannot go on: exit code 2."""
    print(f"{PROG} {command}: {message}", file=sys.stderr, flush=True)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "certs":
        return _certs(args)
    if args.command == "health":
        from simulator.health import check

        healthy, said = check(args.certs, args.host, args.port)
        print(("healthy: " if healthy else "unhealthy: ") + said, flush=True)
        return 0 if healthy else 1
    if args.command == "run":
        from simulator.scenario.run import run_command

        # the scenario's own failures (a webhook down on purpose) are in its expectations:
        # --quiet keeps errors only; lines in the serve's text form
        logging.basicConfig(
            level=logging.ERROR if args.quiet else logging.WARNING,
            stream=sys.stderr,
            format="%(levelname)s %(name)s %(message)s",
        )
        return run_command(args.scenario_file, report=args.report, quiet=args.quiet, seed=args.seed)
    return _serve(args)


def _certs(args: argparse.Namespace) -> int:
    """``certs``: write what is missing (everything with ``--force``), never a CA silently."""
    hosts = list(dict.fromkeys([*args.hosts, *args.cert_hosts]))
    store = CertStore(args.dir)
    try:
        written = store.ensure(hosts, force=args.force)
    except CertificateError as exc:
        return _fail("certs", str(exc))
    except OSError as exc:
        where = _source(args, "dir", "--dir", args.dir)
        why = _why(args.dir, exc)
        return _fail("certs", f"{where}: cannot write there ({why}): choose a folder you can write")
    if store.ca in written:
        print(f"wrote certificates in {args.dir}/ for {', '.join(hosts)} (and client.p12)")
        return 0
    names = store.server_hosts()
    kept = f"kept existing certificates in {args.dir}/ (server certificate for {', '.join(names)})"
    if written:
        kept += f"; wrote {', '.join(path.name for path in written)}"
    lacking = [host for host in hosts if host not in names]
    if lacking:
        kept += f"; not valid for {', '.join(lacking)}: certs --force regenerates them"
    print(kept)
    return 0


def _serve(args: argparse.Namespace) -> int:
    configure_logging(args.log_format, args.log_level, args.quiet)
    if args.manual_clock and args.speed != 1:
        speed = _source(args, "speed", "--speed", f"{args.speed:g}")
        clock = args.from_env.get("manual_clock", "--manual-clock")
        return _fail("serve", f"{speed} and {clock} exclude each other: keep one")
    settings = _settings(args)
    if settings.scenario is not None:
        from simulator.scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(settings.scenario)  # checked here: one clear line, exit 2
        except ScenarioError as exc:
            return _fail("serve", f"bad scenario: {exc}")
        # the file's start and life, unless the command line says otherwise
        if scenario.start is not None and args.start is None:
            settings = dataclasses.replace(settings, start=scenario.start)
        if scenario.life is not None and not args.no_life:
            settings = dataclasses.replace(settings, life=scenario.life)
    problem = _check_certs(args, settings) or _check_files(args, settings)
    if problem is not None:
        return _fail("serve", problem)
    from simulator.scenario import ScenarioError
    from simulator.server import serve  # imported late: `certs` and `--version` stay fast

    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0
    except ScenarioError as exc:  # a body of the file the API refused while setting up
        return _fail("serve", f"bad scenario: {exc}")
    except CertificateError as exc:
        return _fail("serve", str(exc))
    except OSError as exc:  # listening failed (port in use, no such address...)
        return _fail("serve", _listen_problem(args, settings, exc))


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        certs=args.certs,
        vehicles=args.vehicles,
        seed=args.seed,
        speed=1.0 if args.manual_clock else float(args.speed),
        manual_clock=bool(args.manual_clock),
        log_format=args.log_format,
        scenario=args.scenario,
        rate_limit=args.rate_limit,
        webhook_cas=tuple(args.webhook_cas),
        life=not args.no_life,
        start=args.start,
        webhook_timeout=float(args.webhook_timeout),
        data_dir=args.data_dir,
        token_lifetime=float(args.token_ttl),
        extra_hosts=tuple(args.cert_hosts),
        max_connections=args.max_connections,
        keepalive_timeout=float(args.keepalive_timeout),
        control_token_digest=control_token_digest(args.control_token),
        journal_capacity=args.journal_size,
        delivery_journal_capacity=args.journal_size,
        ui_port=args.ui_port,
        ui_host=args.ui_host,
    )


# ------------------------------------------------------------------ start-up checks
def _check_certs(args: argparse.Namespace, settings: Settings) -> str | None:
    """The certificate folder: made when it holds none, else complete and consistent."""
    store = CertStore(settings.certs)
    hosts = (*DEFAULT_HOSTS, *settings.extra_hosts, settings.host)
    try:
        store.ensure(hosts, fill=False)
    except CertificateError as exc:
        return str(exc)
    except OSError as exc:
        where = _source(args, "certs", "--certs", settings.certs)
        return (
            f"{where}: cannot make the certificates there ({_why(settings.certs, exc)}): "
            "choose a folder you can write, or make them with `connectedcar-sim certs --dir DIR`"
        )
    return None


def _check_files(args: argparse.Namespace, settings: Settings) -> str | None:
    """Every ``--webhook-ca`` is a PEM CA certificate; ``--data-dir`` can be written."""
    for path in settings.webhook_cas:
        try:
            check_ca_file(path)
        except CertificateError as exc:
            return f"{_source(args, 'webhook_cas', '--webhook-ca', path)}: {exc}"
    if settings.data_dir is not None:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=settings.data_dir):
                pass
        except OSError as exc:
            where = _source(args, "data_dir", "--data-dir", settings.data_dir)
            return (
                f"{where}: cannot write there ({_why(settings.data_dir, exc)}): "
                "give a folder this user can write"
            )
    return None


def _listen_problem(args: argparse.Namespace, settings: Settings, exc: OSError) -> str:
    """One line for a listener that could not start, naming the option to change."""
    if getattr(exc, "ui_listener", False):
        where = f"{settings.ui_host}:{settings.ui_port}"
        if exc.errno == errno.EADDRINUSE:
            return (
                f"{_source(args, 'ui_port', '--ui-port', settings.ui_port)}: {where} is already "
                "in use: choose another port (0 picks a free one)"
            )
        return (
            f"{_source(args, 'ui_host', '--ui-host', settings.ui_host)}: cannot listen on "
            f"{where}: {exc.strerror or exc}"
        )
    host = settings.host
    where = f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}"
    port = _source(args, "port", "--port", settings.port)
    if isinstance(exc, socket.gaierror):
        return f"{_source(args, 'host', '--host', host)}: unknown host name: give an address"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{port}: {where} is already in use: stop what listens there or choose "
            "another port (0 picks a free one)"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{_source(args, 'host', '--host', host)}: not an address of this machine: "
            "use 127.0.0.1, or 0.0.0.0 for every interface"
        )
    if exc.errno == errno.EACCES:
        return f"{port}: not allowed to listen on {where}: choose a port of 1024 or more"
    return f"cannot listen on {where}: {exc.strerror or exc}"

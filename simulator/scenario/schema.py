"""The JSON Schema of scenario files, as shipped in the package (``schema.json`` beside
this module) so that editors can complete and check files without a running simulator.

It is made from :class:`simulator.scenario.model.Scenario` (the same document the
control API serves at ``GET /simulator/v1/scenario/schema.json``); after changing the
models, write it again and the tests see that it did not drift::

    python -m simulator.scenario.schema            # rewrite simulator/scenario/schema.json
    python -m simulator.scenario.schema --check    # exit 1 if the shipped file is stale
    python -m simulator.scenario.schema --print    # the schema on stdout
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from simulator.scenario.model import Scenario

__all__ = ["SCHEMA_FILE", "render", "schema", "shipped_schema", "shipped_text"]

SCHEMA_FILE = Path(__file__).with_name("schema.json")
"""Where the generator writes (in a source checkout)."""


def schema() -> dict[str, Any]:
    """The scenario files' JSON Schema, from the model."""
    return Scenario.model_json_schema()


def render(document: dict[str, Any] | None = None) -> str:
    """The shipped file's exact text: two-space indent, UTF-8, a final newline."""
    return (
        json.dumps(schema() if document is None else document, indent=2, ensure_ascii=False) + "\n"
    )


def shipped_text() -> str:
    """The installed package's ``schema.json``."""
    return resources.files("simulator.scenario").joinpath("schema.json").read_text("utf-8")


def shipped_schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(shipped_text())
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.scenario.schema",
        description="Write (or check) the scenario files' JSON Schema shipped in the package.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the shipped file is stale")
    mode.add_argument("--print", action="store_true", help="print the schema, write nothing")
    parser.add_argument("--output", type=Path, default=SCHEMA_FILE, help="default: %(default)s")
    args = parser.parse_args(argv)
    text = render()
    if args.print:
        sys.stdout.write(text)
        return 0
    output: Path = args.output
    current = output.read_text("utf-8") if output.exists() else None
    if args.check:
        if current != text:
            print(f"{output} is stale: run python -m simulator.scenario.schema", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    if current != text:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    else:
        print(f"{output} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

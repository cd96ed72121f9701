"""Argument parsing, sub-command dispatch and the single error-translation point of the CLI."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path
from typing import Sequence, TextIO

from analysis.errors import WorkbenchError
from analysis.settings import Settings

#: Sub-command modules, each with ``register(subparsers)``.
COMMAND_MODULES = (
    "analysis.cli.logs",
    "analysis.cli.metrics",
    "analysis.cli.screenshot",
    "analysis.cli.analyze",
    "analysis.cli.kb",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="SRE Workbench: analyse incident logs, metrics and screenshots offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod_name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:  # a command module still being built
            if exc.name != mod_name:
                raise
            continue
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None,
         settings: Settings | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 unexpected failure)."""
    out = out or sys.stdout
    err = err or sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=err, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0)
    try:
        settings = settings or Settings()
        if getattr(args, "db", None):
            settings = settings.model_copy(update={"data_dir": Path(args.db)})
        return int(args.func(args, settings, out) or 0)
    except WorkbenchError as exc:
        err.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("error: interrupted\n")
        return 130

"""Command line of the workbench (``python -m analysis ...``).

Each sub-command lives in its own module exposing ``register(subparsers)``; the module sets
``func`` on its parser to a handler ``(args, settings, out) -> int``. Errors are translated to a
one-line message and exit code 2 at one point, in :func:`analysis.cli.main.main`.
"""

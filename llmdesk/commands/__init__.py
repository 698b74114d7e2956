"""Command-line subcommands: one module each, with ``configure(parser)`` and ``run(args) -> int``.

Modules here must import heavy libraries (torch, transformers, PySide6) inside ``run``, never at module level.
"""

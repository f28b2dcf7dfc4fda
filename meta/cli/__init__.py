"""The `climb` command: argument parsing (``parsers``, import-light), one module per command,
the live dashboard and progress bars.

May import every room; nothing imports it.
"""

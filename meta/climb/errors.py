"""Why a climb cannot start. Its own module, stdlib-only, so the `climb` command can catch it
without loading the climb (`climb --help` stays fast)."""


class SetupError(Exception):
    """The climb cannot start: the message says what to fix."""

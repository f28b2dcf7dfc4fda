"""Why a climb cannot start, or had to stop where it was. Its own module, stdlib-only, so the
`climb` command can catch these without loading the climb (`climb --help` stays fast)."""


class SetupError(Exception):
    """The climb cannot start: the message says what to fix."""


class DiskFullError(Exception):
    """The disk is full (or too full to start): the climb stopped at its last safe point, with
    state.json as that point left it. The message names the cause and how to go on."""


class InternalError(Exception):
    """A bug of the climb's own machinery (not the agent's, not the infrastructure's): the climb
    stops at once, with the traceback, instead of pausing and retrying what cannot heal."""

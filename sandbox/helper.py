"""The verification helper: a static busybox the parent brings into the container.

The agent is root in its container for hours: every binary there (tar, rm, bash,
timeout, the dynamic loader and /etc/ld.so.preload) may be its own. So the verifier's
machinery runs none of them. The parent places, at verification time, a statically
linked busybox in a fresh unguessable folder (behind the container's read-only door,
``sandbox.stage``, or by upload) and runs it by absolute path with an argv exec (no shell
of the container, no PATH lookup). It clears /tests and /logs/verifier,
moves the tests into place, and runs test.sh with its redirection and timeout. Only
test.sh (and the interpreter its ``#!`` line names) comes from the container, as in Harbor.
"""

from __future__ import annotations

import functools
import io
import secrets
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sandbox.archive import add_path
from sandbox.environment import KILL_AFTER_SEC, InfraError

HELPER_CANDIDATES = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
INSTALL_HINT = "install Debian's busybox-static (scripts/setup.sh does): apt-get install busybox-static"
NOT_CLEARED = 198
"""Exit code of the helper when /tests or /logs/verifier could not be emptied."""
NOT_PLACED = 197
"""Exit code of the helper when tests/ could not be moved to /tests."""
EXIT_MARK = "climb-test-exit="

# Positional arguments: $1 the helper, $2 mode (prep, run or both), $3 the helper's
# folder, $4 the timeout in seconds, $5 how tests/ reaches /tests (mv from an upload, cp
# from the read-only door of ``sandbox.stage``); the rest is test.sh's command. Every tool
# is the helper's own applet, named through "$B": nothing is looked up on the container's PATH.
SCRIPT = f"""B=$1; M=$2; D=$3; T=$4; P=$5; shift 5
if [ "$M" != run ]; then
  if [ -L /logs ] || {{ [ -e /logs ] && [ ! -d /logs ]; }}; then "$B" rm -rf /logs || exit {NOT_CLEARED}; fi
  "$B" rm -rf /tests /logs/verifier || exit {NOT_CLEARED}
  if [ -e /tests ] || [ -L /tests ] || [ -e /logs/verifier ] || [ -L /logs/verifier ]; then exit {NOT_CLEARED}; fi
  "$B" mkdir -p /logs/agent /logs/artifacts /logs/verifier || exit {NOT_CLEARED}
  "$B" chmod 777 /logs/verifier || exit {NOT_CLEARED}
  if [ "$P" = mv ]; then "$B" mv -T "$D/tests" /tests || exit {NOT_PLACED}
  else "$B" mkdir /tests && "$B" cp -a "$D/tests/." /tests || exit {NOT_PLACED}; fi
  if [ "$M" = prep ]; then exit 0; fi
fi
"$B" timeout -k {KILL_AFTER_SEC} "$T" "$@" > /logs/verifier/test-stdout.txt 2>&1
echo "{EXIT_MARK}$?"
exit 0
"""


@dataclass(frozen=True)
class Bundle:
    """One verification's files: where the helper lands and the tar that puts it there."""

    folder: str
    """An absolute folder named at random for this verification."""
    tar: bytes
    placed: bool = False
    """Already in place, read-only (``sandbox.stage``): tests/ is copied out, not moved, and
    ``tar`` is not uploaded."""

    @property
    def helper(self) -> str:
        # busybox picks its applet from argv[1] only when its own name is "busybox".
        return f"{self.folder}/busybox"

    def argv(self, mode: str, timeout_sec: float, test_cmd: list[str]) -> list[str]:
        return [self.helper, "sh", "-c", SCRIPT, "climb-verify", self.helper, mode, self.folder,
                str(max(1, int(-(-timeout_sec // 1)))), "cp" if self.placed else "mv", *test_cmd]


def _is_static_elf(data: bytes) -> bool:
    """An ELF executable without a program interpreter (so no dynamic loader, no preload)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:  # 64-bit little-endian only
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + index * phentsize)
        if p_type == 3:  # PT_INTERP
            return False
    return True


@functools.cache
def helper_bytes(path: Path | None = None) -> bytes:
    """The static busybox's bytes, read once per process.

    Raises:
        InfraError: kind "helper", not retryable, naming what to install.
    """
    candidates = [path] if path else [p for p in HELPER_CANDIDATES if p.is_file()]
    if not candidates:
        raise InfraError(f"the verification helper (a static busybox) is missing: {INSTALL_HINT}", "helper",
                         retryable=False)
    data = candidates[0].read_bytes()
    if not _is_static_elf(data):
        raise InfraError(f"{candidates[0]} is not a statically linked 64-bit busybox: {INSTALL_HINT}",
                         "helper", retryable=False)
    return data


def bundle(tests_dir: Path, helper: bytes) -> Bundle:
    """A tar putting the helper and tests/ under a fresh random folder at the root."""
    folder = f"/.climb-{secrets.token_hex(16)}"
    name = folder.lstrip("/")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        top = tarfile.TarInfo(name)
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        binary = tarfile.TarInfo(f"{name}/busybox")
        binary.size, binary.mode = len(helper), 0o755
        tar.addfile(binary, io.BytesIO(helper))
        add_path(tar, tests_dir, f"{name}/tests", executable=True)
    return Bundle(folder, buf.getvalue())


def verifier_command(tests_dir: Path) -> list[str]:
    """How test.sh is started: itself (its #! line picks the interpreter), or, without a
    #! line, by the container's bash as Harbor's ``bash -c`` would run it."""
    with (tests_dir / "test.sh").open("rb") as fh:
        shebang = fh.read(2) == b"#!"
    return ["/tests/test.sh"] if shebang else ["/bin/bash", "/tests/test.sh"]


def crlf_hint(tests_dir: Path) -> str | None:
    """Why test.sh may not have run: Windows line endings break its #! line."""
    try:
        with (tests_dir / "test.sh").open("rb") as fh:
            first = fh.readline()
    except OSError:
        return None
    if first.endswith(b"\r\n"):
        return ("tests/test.sh has Windows line endings (CRLF): its #! line names an interpreter "
                "ending in \\r, which does not exist; convert it with dos2unix")
    return None

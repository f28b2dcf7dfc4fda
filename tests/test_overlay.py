"""The tamper audit's walk of an overlay upper layer (``sandbox.overlay``), on a real
folder: files a process of the agent's keeps creating and renaming while the audit walks
must not break it (an audit that raised made the trial an unscored infra error, a way
for any agent to hide a bad score)."""

from __future__ import annotations

import os
import threading
import time

from sandbox.environment import ChangeKind
from sandbox.overlay import changes


def test_files_vanishing_while_the_walk_runs_are_skipped_not_fatal(tmp_path):
    upper, lower = tmp_path / "upper", tmp_path / "lower"
    (upper / "logs" / "agent").mkdir(parents=True)
    (lower / "logs").mkdir(parents=True)
    (upper / "usr" / "bin").mkdir(parents=True)
    (upper / "usr" / "bin" / "tar").write_text("#!/bin/sh\n")
    stop = threading.Event()

    def racer() -> None:  # what `while :; do echo x > f.new; mv -f f.new f; done` does
        folder = upper / "logs" / "agent"
        while not stop.is_set():
            time.sleep(0)  # let the walk run too
            for index in range(20):
                (folder / f"f{index}.new").write_text("x")
                os.replace(folder / f"f{index}.new", folder / f"f{index}")

    thread = threading.Thread(target=racer)
    thread.start()
    try:
        deadline = time.monotonic() + 1.5  # long enough for the racer to hit the walk many times
        while time.monotonic() < deadline:
            found, complete = changes(str(upper), [str(lower)])
            assert complete
            assert ("/usr/bin/tar", ChangeKind.ADDED) in [(c.path, c.kind) for c in found]
    finally:
        stop.set()
        thread.join()

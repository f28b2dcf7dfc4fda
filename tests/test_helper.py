"""The verification helper: a static busybox, found and checked (setup and CI run this too)."""

from __future__ import annotations

import shutil
import tarfile
import io
from pathlib import Path

import pytest

from sandbox.environment import InfraError
from sandbox.helper import _is_static_elf, bundle, helper_bytes, verifier_command


def test_the_helper_is_a_static_busybox():
    data = helper_bytes()
    assert _is_static_elf(data) and b"BusyBox" in data


def test_a_dynamic_binary_is_refused(tmp_path):
    dynamic = Path(shutil.which("ls"))
    assert not _is_static_elf(dynamic.read_bytes())
    with pytest.raises(InfraError) as err:
        helper_bytes.__wrapped__(dynamic)
    assert err.value.retryable is False and "busybox-static" in str(err.value)


def test_each_bundle_has_its_own_unguessable_folder(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test.sh").write_text("echo no shebang\n")
    first, second = bundle(tmp_path / "tests", b"binary"), bundle(tmp_path / "tests", b"binary")
    assert first.folder != second.folder and len(first.folder) > 30
    names = tarfile.open(fileobj=io.BytesIO(first.tar)).getnames()
    root = first.folder.lstrip("/")
    assert names == [root, f"{root}/busybox", f"{root}/tests", f"{root}/tests/test.sh"]
    assert verifier_command(tmp_path / "tests") == ["/bin/bash", "/tests/test.sh"]
    argv = first.argv("both", 29.5, ["/tests/test.sh"])
    assert argv[0] == f"{first.folder}/busybox" and argv[1:3] == ["sh", "-c"]
    assert argv[-3:] == ["30", "mv", "/tests/test.sh"]  # an upload's tests/ is moved into place

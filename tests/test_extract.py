"""Writing container output into the trial folder: no link is followed or written through,
no name escapes, every stream is capped (sandbox.extract, on hand-made hostile tars)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from sandbox.extract import Limits, extract, into, neutralize

LIMITS = Limits(max_stream_bytes=10_000_000, file_max_bytes=1000, keep_bytes=100)


def tar_of(*members: tuple[str, str, bytes | str]) -> list[bytes]:
    """A tar stream in chunks; members are (kind, name, data-or-link-target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for kind, name, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size, info.mode = len(data), 0o6755  # setuid bits must not survive
                tar.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind in ("sym", "hard"):
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = data
                tar.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
    raw = buf.getvalue()
    return [raw[i:i + 700] for i in range(0, len(raw), 700)]


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): ("link" if p.is_symlink() else "dir" if p.is_dir() else p.read_text())
            for p in sorted(root.rglob("*"))}


def test_links_of_every_kind_are_dropped_and_the_rest_written(tmp_path):
    canary = tmp_path / "host" / "canary.txt"
    canary.parent.mkdir()
    canary.write_text("untouched")
    dest = tmp_path / "trial"
    dest.mkdir()
    report = extract(tar_of(
        ("sym", "logs/evil", str(canary)),                # file symlink to a host path
        ("sym", "logs/dir", str(canary.parent)),           # folder symlink to a host folder
        ("file", "logs/dir/planted.pth", b"import os"),   # ... then a file through it
        ("hard", "logs/hard", "logs/real.txt"),
        ("file", "logs/evil", b"through the link"),        # a file where the link was
        ("file", "logs/real.txt", b"real"),
        ("fifo", "logs/pipe", b""),
    ), into(dest), LIMITS)
    assert canary.read_text() == "untouched" and sorted(os.listdir(canary.parent)) == ["canary.txt"]
    assert snapshot(dest) == {"logs": "dir", "logs/dir": "dir", "logs/dir/planted.pth": "import os",
                              "logs/evil": "through the link", "logs/real.txt": "real"}
    assert report.links_dropped == ["logs/evil", "logs/dir", "logs/hard"]
    assert report.unsafe_dropped == ["logs/pipe"]
    assert oct((dest / "logs" / "real.txt").stat().st_mode & 0o7777) == "0o644"


def test_absolute_and_climbing_names_are_dropped(tmp_path):
    dest = tmp_path / "deep" / "trial"
    dest.mkdir(parents=True)
    report = extract(tar_of(("file", "/abs.txt", b"x"), ("file", "../up.txt", b"x"), ("file", "a/../../up2.txt", b"x"),
                            ("file", "./ok/./fine.txt", b"ok")), into(dest), LIMITS)
    assert snapshot(tmp_path) == {"deep": "dir", "deep/trial": "dir", "deep/trial/ok": "dir",
                                  "deep/trial/ok/fine.txt": "ok"}
    assert sorted(report.unsafe_dropped) == ["../up.txt", "/abs.txt", "a/../../up2.txt"]


def test_links_already_in_the_host_folder_are_never_written_through(tmp_path):
    """The jail writes agent/ directly: the agent can leave links there for the parent to follow."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.txt").write_text("host file")
    dest = tmp_path / "agent"
    dest.mkdir()
    (dest / "file-link").symlink_to(outside / "target.txt")
    (dest / "dir-link").symlink_to(outside)
    (dest / "dangling").symlink_to(outside / "new-file")
    os.link(outside / "target.txt", dest / "hard-link")
    report = extract(tar_of(("file", "file-link", b"evil"), ("file", "dir-link/new.txt", b"evil"),
                            ("dir", "dir-link/sub", b""), ("file", "dangling", b"evil"), ("file", "hard-link", b"evil"),
                            ("file", "fresh.txt", b"fine")), into(dest), LIMITS)
    assert sorted(os.listdir(outside)) == ["target.txt"]
    assert (outside / "target.txt").read_text() == "host file"
    assert (dest / "fresh.txt").read_text() == "fine"
    assert sorted(report.unsafe_dropped) == ["dangling", "dir-link/new.txt", "dir-link/sub", "file-link", "hard-link"]


def test_an_existing_file_wins(tmp_path):
    (tmp_path / "agent-stdout.txt").write_text("written by the parent")
    extract(tar_of(("file", "agent-stdout.txt", b"from the container")), into(tmp_path), LIMITS)
    assert (tmp_path / "agent-stdout.txt").read_text() == "written by the parent"


def test_a_large_file_keeps_head_and_tail(tmp_path):
    data = b"H" * 100 + b"~" * 5000 + b"T" * 100
    report = extract(tar_of(("file", "big.txt", data), ("file", "small.txt", b"s")), into(tmp_path), LIMITS)
    text = (tmp_path / "big.txt").read_text()
    assert text.startswith("H" * 100) and text.endswith("T" * 100) and "~" not in text
    assert "5000 bytes cut" in text and report.truncated == [("big.txt", 5200)]
    assert (tmp_path / "small.txt").read_text() == "s"


def test_stream_and_member_caps_stop_the_extraction(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    many = [("file", f"f{i}", b"x") for i in range(30)]
    report = extract(tar_of(*many), into(tmp_path / "a"), Limits(10_000_000, 1000, 100, max_members=10))
    assert report.stopped == "more than 10 entries" and report.files == 10
    report = extract(tar_of(("file", "one", b"x" * 900), ("file", "two", b"y" * 900)), into(tmp_path / "b"),
                     Limits(max_stream_bytes=2000, file_max_bytes=1000, keep_bytes=100))
    assert report.stopped == "more than 2000 bytes"


def test_routes_choose_the_host_folder(tmp_path):
    (tmp_path / "agent").mkdir()
    (tmp_path / "verifier").mkdir()

    def route(parts):
        return (tmp_path / parts[1], parts[2:]) if parts[:1] == ("logs",) and len(parts) > 1 and \
            parts[1] in ("agent", "verifier") else None

    extract(tar_of(("file", "logs/agent/a.txt", b"a"), ("file", "logs/verifier/reward.txt", b"1"),
                   ("file", "logs/other/x", b"x")), route, LIMITS)
    assert snapshot(tmp_path) == {"agent": "dir", "agent/a.txt": "a", "verifier": "dir", "verifier/reward.txt": "1"}


def test_neutralize_removes_links_and_special_files_only(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    agent = tmp_path / "agent"
    (agent / "sub").mkdir(parents=True)
    (agent / "trajectory.json").write_text("{}")
    (agent / "sub" / "link").symlink_to(outside)
    (agent / "secret").symlink_to("/etc/passwd")
    os.mkfifo(agent / "sub" / "blocking")
    assert neutralize(agent) == ["secret", "sub/blocking", "sub/link"]
    assert snapshot(agent) == {"sub": "dir", "trajectory.json": "{}"} and outside.is_dir()

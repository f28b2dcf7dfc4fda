"""Reading a container's files on this host (``sandbox.rootfs``), tried on a folder of
ours through /proc/self/root: the tar names links, devices and fifos without following or
opening them, marks a second name as a hard link, stops at the depth cap, refuses a link
on the way (Docker reads then), and trusts no root it cannot prove by the door.
(Inside a real container, attacked: tests/attacks/test_sandbox_local_read.py.)"""

from __future__ import annotations

import io
import os
import stat
import tarfile

import pytest

from sandbox.rootfs import MAX_DEPTH, MAX_LISTED, NotHere, open_root, tar_stream


def _members(stream) -> dict[str, tarfile.TarInfo | bytes]:
    data = b"".join(stream)
    out: dict[str, tarfile.TarInfo | bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            fh = tar.extractfile(member) if member.isreg() else None
            out[member.name] = fh.read() if fh else member
    return out


def _root(tmp_path):
    door = tmp_path / "door"
    door.mkdir(exist_ok=True)
    root = open_root(os.getpid(), str(door), door)
    assert root is not None
    return root


def test_links_devices_and_fifos_are_named_never_followed_or_opened(tmp_path):
    logs = tmp_path / "logs"
    (logs / "agent").mkdir(parents=True)
    (logs / "agent" / "out.txt").write_text("hello\n")
    (logs / "agent" / "host-link").symlink_to("/etc/passwd")  # from the host, this would be the host's
    os.link(logs / "agent" / "out.txt", logs / "agent" / "second-name")
    os.mkfifo(logs / "agent" / "fifo")  # opening it to read would block for ever
    if os.geteuid() == 0:
        os.mknod(logs / "agent" / "random", 0o644 | stat.S_IFCHR, os.makedev(1, 8))  # /dev/random's numbers

    found = _members(tar_stream(_root(tmp_path), str(logs)))
    assert found["logs/agent/out.txt"] == b"hello\n"
    link = found["logs/agent/host-link"]
    assert isinstance(link, tarfile.TarInfo) and link.issym() and link.linkname == "/etc/passwd"
    second = found["logs/agent/second-name"]
    assert isinstance(second, tarfile.TarInfo) and second.islnk()
    assert isinstance(found["logs/agent/fifo"], tarfile.TarInfo) and found["logs/agent/fifo"].isfifo()
    if os.geteuid() == 0:
        device = found["logs/agent/random"]
        assert isinstance(device, tarfile.TarInfo) and not device.isreg() and device.size == 0


def test_a_link_on_the_way_is_docker_s_to_resolve_and_a_missing_path_is_missing(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "via").symlink_to(tmp_path / "real")
    with pytest.raises(NotHere):
        tar_stream(_root(tmp_path), str(tmp_path / "via" / "x"))
    (tmp_path / "real" / "x").symlink_to("/etc/passwd")
    with pytest.raises(NotHere):  # the requested path itself a link: Docker resolves it inside the container
        tar_stream(_root(tmp_path), str(tmp_path / "real" / "x"))
    with pytest.raises(FileNotFoundError):
        tar_stream(_root(tmp_path), str(tmp_path / "real" / "missing"))
    with pytest.raises(NotHere):
        tar_stream(_root(tmp_path), "/../etc")


def test_a_folder_chain_deeper_than_the_cap_is_cut_and_named(tmp_path):
    deep = tmp_path / "logs"
    folder = deep
    for _ in range(MAX_DEPTH + 5):
        folder = folder / "d"
    folder.mkdir(parents=True)
    (folder / "bottom.txt").write_text("x")
    names = list(_members(tar_stream(_root(tmp_path), str(deep))))
    assert not any(name.endswith("bottom.txt") for name in names)
    cut = [name for name in names if "deeper than" in name]
    assert len(cut) == 1 and cut[0].count("/d") == MAX_DEPTH


def test_a_root_without_our_door_is_not_trusted(tmp_path):
    door, other = tmp_path / "door", tmp_path / "other"
    door.mkdir()
    other.mkdir()
    assert open_root(os.getpid(), str(other), door) is None  # what a recycled pid would show
    assert open_root(0, str(door), door) is None
    assert open_root(2 ** 22 + 7, str(door), door) is None  # no such process


def test_a_consumer_that_stops_early_leaves_no_descriptor_open(tmp_path):
    """extract stops at its caps and closes the stream: every folder and file the reader
    held is closed then, however deep it was."""
    folder = tmp_path / "logs" / "a" / "b"
    folder.mkdir(parents=True)
    for index in range(200):
        (folder / f"f{index}").write_bytes(b"x" * 1000)
    before = len(os.listdir("/proc/self/fd"))
    stream = tar_stream(_root(tmp_path), str(tmp_path / "logs"))
    taken = [next(stream) for _ in range(20)]
    assert len(os.listdir("/proc/self/fd")) > before  # the walk holds its folders open
    stream.close()
    assert len(taken) == 20 and len(os.listdir("/proc/self/fd")) == before


@pytest.mark.slow  # 100,001 files made and read back: about 15 s
def test_a_folder_of_more_names_than_the_reader_lists_is_cut_and_named(tmp_path):
    crowd = tmp_path / "logs" / "crowd"
    crowd.mkdir(parents=True)
    for index in range(MAX_LISTED + 1):
        os.close(os.open(crowd / f"{index:06d}", os.O_CREAT | os.O_WRONLY, 0o644))
    names = list(_members(tar_stream(_root(tmp_path), str(tmp_path / "logs"))))
    cut = [name for name in names if "more than" in name]
    assert cut == [f"logs/crowd [more than {MAX_LISTED} names: the rest not copied]"]
    files = [name for name in names if name.startswith("logs/crowd/")]
    assert len(files) == MAX_LISTED and files == sorted(files)  # in lexical order, as Docker walks

"""The jail's parts on their own: the model choice, the copy out of its log folder, the channel's bounds, its plan."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from sandbox.agents import AgentError
from task_agent import jail
from task_agent.channel import BURST, MAX_LINE_BYTES, REQUESTS_PER_SEC, ParentChannel
from task_agent.jail_logs import MAX_DEPTH, copy_tree
from task_agent.model_choice import COMPUTED, agent_label, choose_models, model_constant


def test_the_fixed_model_is_the_only_one():
    choice = choose_models("anthropic:claude-haiku-4-5", ["openai:gpt-5"], 'MODEL = "openai:gpt-5"\n')
    assert choice.default == "anthropic:claude-haiku-4-5"
    assert choice.resolve("anthropic:claude-haiku-4-5") == "anthropic:claude-haiku-4-5"
    with pytest.raises(AgentError) as refused:
        choice.resolve("openai:gpt-5")
    assert refused.value.kind == "model_not_allowed"


def test_without_a_fixed_model_agent_py_model_and_the_allowed_list():
    choice = choose_models(None, ["openai:gpt-5"], 'MODEL = "anthropic:claude-haiku-4-5"\n')
    assert choice.default == "anthropic:claude-haiku-4-5"
    assert {choice.resolve(n) for n in ("anthropic:claude-haiku-4-5", "openai:gpt-5")} == {
        "anthropic:claude-haiku-4-5", "openai:gpt-5"}
    assert choice.operator == frozenset({"openai:gpt-5"})  # agent.py's MODEL is not the operator's word


def test_a_computed_model_gets_only_the_allowed_list():
    choice = choose_models(None, None, "MODEL = pick()\n")
    assert model_constant("MODEL = pick()\n") == COMPUTED and choice.default is None and choice.served == {}
    with pytest.raises(AgentError):
        choice.resolve("anthropic:claude-haiku-4-5")
    with pytest.raises(AgentError) as nameless:
        choice.resolve("")
    assert nameless.value.kind == "agent_config"


def test_scripted_models_only_where_the_operator_named_them():
    own = choose_models(None, None, 'MODEL = "scripted:/etc/passwd"\n')
    assert own.served == {} and own.default is None
    with pytest.raises(AgentError, match="--allowed-models"):
        own.resolve("scripted:/etc/passwd")
    named = choose_models("scripted:/tmp/run/a.json", None, "")
    assert named.default == "scripted:a.json" == agent_label("scripted:/tmp/run/a.json")
    assert named.resolve("scripted:a.json") == named.resolve("scripted:/tmp/run/a.json") == "scripted:/tmp/run/a.json"


def test_copy_tree_copies_files_and_folders_and_nothing_else(tmp_path):
    src, dest, outside = tmp_path / "src", tmp_path / "dest", tmp_path / "outside.txt"
    (src / "sub").mkdir(parents=True)
    outside.write_text("host")
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    os.link(src / "a.txt", src / "twin.txt")
    os.symlink(outside, src / "link.txt")
    os.symlink(tmp_path, src / "dirlink")
    os.mkfifo(src / "fifo")
    dest.mkdir()
    (dest / "kept.txt").write_text("parent's")
    (src / "kept.txt").write_text("agent's")
    fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
    try:
        notes = copy_tree(fd, dest, max_entries=100, max_bytes=1000)
    finally:
        os.close(fd)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == ["a.txt", "kept.txt", "sub", "sub/b.txt"]
    assert (dest / "kept.txt").read_text() == "parent's" and outside.read_text() == "host"
    assert len(notes) == 5 and any("link.txt: a symbolic link" in n for n in notes)


def test_copy_tree_stops_at_its_budgets(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    deep = src.joinpath(*["d"] * (MAX_DEPTH + 3))
    deep.mkdir(parents=True)
    for index in range(10):
        (src / f"f{index}").write_bytes(b"x" * 100)
    fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
    try:
        notes = copy_tree(fd, dest, max_entries=1000, max_bytes=450)
    finally:
        os.close(fd)
    copied = sum(p.stat().st_size for p in dest.glob("f*"))
    assert copied == 400 and any("would pass the copy's limit" in n for n in notes)
    assert any(f"deeper than {MAX_DEPTH}" in n for n in notes)
    assert dest.joinpath(*["d"] * MAX_DEPTH).is_dir() and not dest.joinpath(*["d"] * (MAX_DEPTH + 1)).exists()


async def _channel_fed_with(data: bytes) -> tuple[ParentChannel, int]:
    read_r, read_w = os.pipe()
    write_r, write_w = os.pipe()
    channel = await ParentChannel.connect(read_r, write_w)
    threading.Thread(target=lambda: (os.write(read_w, data), os.close(read_w)), daemon=True).start()
    return channel, write_r


async def test_the_channel_refuses_an_oversized_line_and_answers_non_objects():
    channel, _ = await _channel_fed_with(b'[1]\n{"op": "x", "id": 3}\n' + b"y" * (MAX_LINE_BYTES + 10))
    try:
        assert (await channel.receive())["bad_request"] == "expected a JSON object, got list"
        assert await channel.receive() == {"op": "x", "id": 3}
        with pytest.raises(AgentError, match="more than") as abuse:
            await channel.receive()
        assert abuse.value.kind == "channel_abuse"
    finally:
        channel.close()


async def test_the_channel_serves_a_flood_at_its_rate():
    channel, _ = await _channel_fed_with(b'{"op": "nothing"}\n' * 1000)
    try:
        started = asyncio.get_running_loop().time()
        for _ in range(int(BURST) + 200):
            await channel.receive()
        # the burst at once, then REQUESTS_PER_SEC: 200 more take a second at least
        assert asyncio.get_running_loop().time() - started >= 200 / REQUESTS_PER_SEC * 0.95
    finally:
        channel.close()


async def test_the_channel_never_blocks_on_an_agent_that_does_not_read():
    channel, unread = await _channel_fed_with(b"")
    try:
        for _ in range(64):  # 64 MiB into a pipe nobody reads: queued, not blocking
            channel.send({"text": "a" * (1024 * 1024)})
        assert not channel._writable.room.is_set()  # and the parent stops reading that trial
    finally:
        channel.close()
        os.close(unread)


def test_the_plan_names_no_host_path(monkeypatch):
    plan = jail.plan(jail.JailConfig(), 5, 6)
    command = " ".join(plan.command)
    assert str(jail.source_root()) not in command and "/rt" in command and jail.JAIL_AGENT in command
    assert all(not value.startswith(str(jail.source_root())) for value in plan.env.values())
    places = [plan.options[i + 1] for i, option in enumerate(plan.options) if option == "--tmpfs"]
    assert places == list(jail.JailConfig().places())
    assert "{info}" in plan.options and plan.options.count("--remount-ro") == 2

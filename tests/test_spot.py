"""`climb spot`: runs the agent on a task and renders what happened."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from meta.cli.main import main
from meta.cli.turns import clip, render_step
from tests.fakes.messages_api import message_body
from tests.helpers import make_task

pytestmark = pytest.mark.docker

CHATTY_TEST = ("#!/bin/bash\necho 'checking /app/out.txt'\n"
               "[ \"$(cat /app/out.txt)\" = hello ] && echo 1 > /logs/verifier/reward.txt "
               "|| echo 0 > /logs/verifier/reward.txt\n")


def test_spot_renders_turns_verifier_and_reward(tmp_path, capsys):
    make_task(tmp_path / "tasks", "hello", test_sh=CHATTY_TEST)
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        {"text": "Writing the file.",
         "tool_calls": [{"name": "run_shell", "arguments": {"command": "echo hello > /app/out.txt; seq 1 100"}}],
         "usage": {"input_tokens": 100, "output_tokens": 20}},
        {"text": "All done.", "usage": {"input_tokens": 50, "output_tokens": 10}},
    ]))
    code = main(["spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model", f"scripted:{script}",
                 "-k", "2", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Writing the file." in out and "$ run_shell: echo hello > /app/out.txt; seq 1 100" in out
    assert "turn 1  in 100 / out 20 tokens  $0.0000  stop tool_use" in out
    assert "lines cut" in out  # 100 lines of output are shortened
    assert "checking /app/out.txt" in out  # the verifier's output tail
    assert "reward 1.0" in out and "All done." in out
    assert "repeat 0" in out and "repeat 1" in out  # -k 2
    assert out.count("turns 2   tool calls 1") == 2
    assert out.count("tokens in 150 (cache read 0) out 30") == 2
    assert "cost $0.0000" in out and "wall " in out
    assert f"artifacts: {tmp_path / 'run' / 'trials'}" in out
    assert "mean reward 1.000 over 2 scored trial(s)" in out


def test_spot_through_an_anthropic_compatible_server_shows_cost(tmp_path, capsys, fake_llm_server):
    make_task(tmp_path / "tasks", "hello", test_sh=CHATTY_TEST)
    fake_llm_server.enqueue(message_body(text="OK"))  # the check that the server and the model answer
    fake_llm_server.enqueue(message_body(text="Writing it.", tool_uses=[
        {"id": "toolu_1", "name": "run_shell", "input": {"command": "echo hello > /app/out.txt"}}],
        usage={"input_tokens": 1000, "output_tokens": 100, "cache_creation_input_tokens": 2000}))
    fake_llm_server.enqueue(message_body(text="Done.", usage={
        "input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 2000}))
    code = main(["spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model",
                 "anthropic:claude-haiku-4-5", "--base-url", fake_llm_server.url, "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "reward 1.0" in out and "model anthropic:claude-haiku-4-5" in out
    assert "tokens in 5100 (cache read 2000) out 120" in out
    # Haiku 4.5: $1 in, $5 out, $0.10 cache read, $1.25 cache write per million tokens.
    assert "cost $0.0044" in out
    assert fake_llm_server.bodies()[0]["max_tokens"] <= 64  # the check was one short request


def test_spot_prices_a_model_the_table_lacks_from_a_price_file(tmp_path, capsys, fake_llm_server):
    make_task(tmp_path / "tasks", "hello")
    fake_llm_server.enqueue(message_body(text="OK"))  # the check that the server and the model answer
    fake_llm_server.enqueue(message_body(text="Nothing to do.", usage={
        "input_tokens": 1000, "output_tokens": 100, "cache_read_input_tokens": 2000}))
    prices = tmp_path / "prices.toml"
    prices.write_text('["claude-future-9"]\ninput = 10.0\noutput = 50.0\ncache_read = 1.0\n')
    argv = ["spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model", "anthropic:claude-future-9",
            "--base-url", fake_llm_server.url, "--out", str(tmp_path / "run")]
    assert main(argv + ["--prices", str(prices)]) == 0
    # 1000 in x $10 + 100 out x $50 + 2000 cache reads x $1, per million tokens.
    assert "cost $0.0170" in capsys.readouterr().out
    prices.write_text('["claude-future-9"]\ninput = "ten"\n')
    assert main(argv + ["--prices", str(prices)]) != 0
    err = capsys.readouterr()
    assert "prices.toml" in err.out + err.err and "claude-future-9" in err.out + err.err


def test_spot_without_api_key_fails_fast_naming_the_variable(tmp_path, capsys):
    make_task(tmp_path / "tasks", "hello")
    code = main(["spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model",
                 "anthropic:claude-haiku-4-5", "--out", str(tmp_path / "run")])
    assert code == 3
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err


def test_spot_with_a_dead_server_fails_in_seconds_naming_it(tmp_path, capsys):
    import socket
    import time

    make_task(tmp_path / "tasks", "hello")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    started = time.monotonic()
    code = main(["spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model",
                 "anthropic:claude-haiku-5-5", "--base-url", dead, "--out", str(tmp_path / "run")])
    assert code == 3 and time.monotonic() - started < 10
    assert f"anthropic:claude-haiku-5-5 at {dead}: no answer" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_spot_unknown_task_is_reported(tmp_path, capsys):
    (tmp_path / "tasks").mkdir()
    assert main(["spot", "nope", "--tasks-root", str(tmp_path / "tasks")]) == 2
    assert "no task folder of that name" in capsys.readouterr().out


def _lines(proc: subprocess.Popen) -> queue.Queue:
    """The process's stdout, line by line, as it comes (a reader thread feeds the queue)."""
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until(lines: queue.Queue, seen: list[str], needle: str, deadline: float) -> None:
    while not any(needle in line for line in seen):
        line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
        assert line is not None, f"output ended before {needle!r}:\n{''.join(seen)}"
        seen.append(line)


def _spot_process(tmp_path: Path, script: Path) -> subprocess.Popen:
    """`climb spot hello` as a process of its own, its output unbuffered and wide."""
    climb = Path(sys.executable).parent / "climb"
    return subprocess.Popen([str(climb), "spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model",
                             f"scripted:{script}", "--out", str(tmp_path / "run")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})


def test_spot_streams_each_turn_while_the_trial_runs(tmp_path, docker_client):
    """The first turn is on screen while the agent's command still waits inside the container:
    the test releases it only after reading that turn."""
    make_task(tmp_path / "tasks", "hello", test_sh=CHATTY_TEST)
    wait = ("for i in $(seq 1 600); do [ -f /tmp/go ] && break; sleep 0.1; done; "
            "echo released; echo hello > /app/out.txt")
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        {"text": "I will wait for the signal." + "\nrepeated code line" * 100,
         "tool_calls": [{"name": "run_shell", "arguments": {"command": wait}}],
         "usage": {"input_tokens": 100, "output_tokens": 4096}, "stop_reason": "max_tokens"},
        {"text": "Released and done."}]))
    proc = _spot_process(tmp_path, script)
    try:
        lines, seen = _lines(proc), []
        deadline = time.monotonic() + 120
        _until(lines, seen, "$ run_shell: for i in", deadline)
        head = "".join(seen)
        assert proc.poll() is None and "reward 1.0" not in head and "│ released" not in head
        assert "turn 1" in head and "stop max_tokens" in head
        assert "I will wait for the signal." in head and "lines cut" in head  # 100 repeated lines clipped
        assert head.count("repeated code line") < 20
        trial = next((tmp_path / "run" / "trials").iterdir()).name
        [container] = docker_client.containers.list(filters={"label": f"climb.trial={trial}"})
        container.exec_run(["touch", "/tmp/go"])
        _until(lines, seen, "mean reward", deadline)
        tail = "".join(seen)[len(head):]
        assert tail.index("│ released") < tail.index("turn 2") < tail.index("Released and done.")
        assert tail.index("checking /app/out.txt") < tail.index("reward 1.0")  # the verifier's tail, then reward
        assert "turns 2   tool calls 1" in tail
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_spot_stopped_by_sigterm_removes_its_container(tmp_path, docker_client):
    """A supervisor's SIGTERM mid-trial: the trial is cancelled, its container removed, and spot
    says so and exits with 128 + SIGTERM (not killed outright, containers left running)."""
    make_task(tmp_path / "tasks", "hello", test_sh=CHATTY_TEST)
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        {"text": "Waiting.", "tool_calls": [{"name": "run_shell", "arguments": {"command": "sleep 300"}}]},
        {"text": "Done."}]))
    proc = _spot_process(tmp_path, script)
    try:
        lines, seen = _lines(proc), []
        _until(lines, seen, "$ run_shell: sleep 300", time.monotonic() + 120)
        trial = next((tmp_path / "run" / "trials").iterdir()).name
        label = {"label": f"climb.trial={trial}"}
        assert len(docker_client.containers.list(filters=label)) == 1  # running, with the agent's sleep
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
        while (line := lines.get(timeout=30)) is not None:
            seen.append(line)
        out = "".join(seen)
        assert "stopped (SIGTERM); containers removed" in out and "Traceback" not in out
        assert docker_client.containers.list(all=True, filters=label) == []
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_trajectory_written_by_the_agent_is_shown_as_text_and_clipped():
    hostile = {"source": "agent", "message": "[bold red]not markup[/] " + "x" * 5000,
               "metrics": {"prompt_tokens": "many", "extra": "nope"},
               "tool_calls": [{"function_name": "run_shell", "arguments": {"command": 42}}, "junk"]}
    lines = [line.plain for line in render_step(hostile, 3)]
    assert lines[0].startswith("turn 3  in 0 / out 0 tokens  $?  stop ?")
    assert "[bold red]not markup[/]" in lines[1] and "more characters" in lines[1]
    assert '$ run_shell: {"command": 42}' in lines[2] and "$ ?: null" in lines[3]
    assert clip("\n".join(f"line {i}" for i in range(100)), 12).count("\n") == 12


def test_tamper_flags_in_result_json_are_shown(tmp_path):
    """The sandbox's tamper audit, when result.json has one: flags named, anything else ignored."""
    from meta.cli.spot import tamper_lines

    result = tmp_path / "result.json"
    result.write_text(json.dumps({"tamper": {"available": True, "flags": [
        {"path": "/usr/bin/python3", "change": "modified", "reason": "a command on PATH was replaced"}]}}))
    lines = [line.plain for line in tamper_lines(result)]
    assert lines[0] == "tamper audit: 1 change(s) that could sway the verifier"
    assert lines[1] == "  modified /usr/bin/python3: a command on PATH was replaced"
    result.write_text(json.dumps({"tamper": {"available": True, "flags": []}}))
    assert tamper_lines(result) == []
    result.write_text(json.dumps({"status": "ok"}))  # a sandbox without the audit
    assert tamper_lines(result) == []
    result.write_text("not json")
    assert tamper_lines(result) == []

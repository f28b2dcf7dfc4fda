"""`climb spot`: runs the agent on a task and renders what happened."""

from __future__ import annotations

import json

import pytest

from meta.cli.main import main
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
        {"text": "Writing the file.", "tool_calls": [{"name": "run_shell",
                                                       "arguments": {"command": "echo hello > /app/out.txt; seq 1 100"}}],
         "usage": {"input_tokens": 100, "output_tokens": 20}},
        {"text": "All done.", "usage": {"input_tokens": 50, "output_tokens": 10}},
    ]))
    code = main(["spot", "hello", "--tasks-root", str(tmp_path / "tasks"), "--task-model", f"scripted:{script}",
                 "-k", "2", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Writing the file." in out and "$ run_shell: echo hello > /app/out.txt; seq 1 100" in out
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


def test_spot_prices_a_model_the_table_lacks_from_a_price_file(tmp_path, capsys, fake_llm_server):
    make_task(tmp_path / "tasks", "hello")
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


def test_spot_unknown_task_is_reported(tmp_path, capsys):
    (tmp_path / "tasks").mkdir()
    assert main(["spot", "nope", "--tasks-root", str(tmp_path / "tasks")]) == 2
    assert "no task folder of that name" in capsys.readouterr().out

"""`climb run` with a budget: a task model without a price refuses to start; priced, it starts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meta.ledger.store import Ledger
from tests.climb_helpers import make_repo
from tests.fakes.messages_api import chat_completion_body, message_body

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIMB = str(Path(sys.executable).parent / "climb")
OPUS = "anthropic:claude-opus-5-5"  # the current opus, priced by the database
LOCAL = "openai:smollm2-135m"  # a local model no price list knows


def climb_run(repo: Path, server, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLIMB, "run", str(repo / "tasks"), "--repo", str(repo), "--meta-model", OPUS,
                           "--meta-base-url", server.url, "--task-model", LOCAL, "--base-url", server.openai_url,
                           "--budget-usd", "50", "--baseline-repeats", "1", "--max-experiments", "0",
                           "--no-dashboard", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600)


def test_a_budget_with_an_unpriced_model_refuses_to_start_and_priced_it_starts(tmp_path, fake_llm_server):
    repo = make_repo(tmp_path)
    started = time.monotonic()
    refused = climb_run(repo, fake_llm_server, tmp_path / "refused")
    assert refused.returncode == 3, refused.stderr
    assert f"{LOCAL} (task)" in refused.stderr and "--prices" in refused.stderr
    assert time.monotonic() - started < 30 and not (tmp_path / "refused").exists()
    assert fake_llm_server.requests == []  # nothing was sent for a climb that cannot start

    prices = tmp_path / "prices.toml"
    prices.write_text(f'["{LOCAL}"]\ninput = 0.0\noutput = 0.0\n')
    fake_llm_server.enqueue(message_body(text="OK"), path="/v1/messages")  # the meta model's probe
    for _ in range(20):  # the task model's probe, then one reply per baseline trial
        fake_llm_server.enqueue(chat_completion_body(content="Done.", usage={"prompt_tokens": 100}),
                                path="/v1/chat/completions")
    run_dir = tmp_path / "priced"
    ran = climb_run(repo, fake_llm_server, run_dir, "--prices", str(prices))
    assert ran.returncode == 0, ran.stderr
    rows = Ledger(run_dir).rows()
    assert [r.status for r in rows] == ["baseline", "stop"] and rows[0].tokens > 0
    trials = len(fake_llm_server.bodies("/v1/chat/completions")) - 1
    assert trials == 10 and rows[0].cost_usd == 0.0  # every task ran once; the local model is free
    state = json.loads((run_dir / "state.json").read_text())
    assert state["usage"]["unpriced"] == []
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    (prices_event,) = [e for e in events if e["kind"] == "prices"]
    assert prices_event["models"][LOCAL] == "the price file"
    opus_source = prices_event["models"][OPUS]
    assert opus_source.startswith("genai-prices ") and "claude-opus-5-5" in opus_source
    # Ten trials of one 107-token call each: a free local model still shows what it used.
    assert "spend: task $0.00 (1.1k tokens)" in ran.stderr

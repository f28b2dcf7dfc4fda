"""Before a climb starts: a budget that can see every model, endpoints that answer, retiring models named."""

from __future__ import annotations

import socket
import time

import pytest

from meta.climb.config import ClimbConfig, StopConfig, ThinkingConfig
from meta.climb.errors import SetupError
from meta.climb.preflight import budget_refusal, callable_models, check_models, start_warnings
from models import PriceTable
from models.preflight import deprecation
from tests.fakes.messages_api import anthropic_error_body, chat_completion_body, message_body

OPUS = "anthropic:claude-opus-5-5"
LOCAL = "openai:smollm2-135m"
AGENT = 'MODEL = "anthropic:claude-sonnet-5-5"\n'


def config(tmp_path, **values) -> ClimbConfig:
    return ClimbConfig(**{"tasks": [tmp_path], "repo": tmp_path, "meta_model": OPUS, **values})


def free_local(tmp_path) -> PriceTable:
    prices = tmp_path / "prices.toml"
    prices.write_text(f'["{LOCAL}"]\ninput = 0\noutput = 0\n')
    return PriceTable.load(prices)


def test_a_budget_refuses_an_unpriced_task_model_naming_it_and_the_way_out(tmp_path):
    budgeted = config(tmp_path, task_model=LOCAL, stop=StopConfig(budget_usd=50))
    refusal = budget_refusal(budgeted, PriceTable(), AGENT)
    assert f"{LOCAL} (task)" in refusal and "--prices" in refusal and "input = 0" in refusal
    assert OPUS not in refusal  # the current opus is priced by the database
    assert budget_refusal(budgeted, free_local(tmp_path), AGENT) is None  # an explicit price of 0
    assert budget_refusal(config(tmp_path, task_model=LOCAL), PriceTable(), AGENT) is None  # no budget, no refusal


def test_every_model_that_can_be_called_needs_a_price(tmp_path):
    allowed = config(tmp_path, allowed_models=["anthropic:claude-haiku-5-5", "openai:mystery-1"],
                     judge_model="openai:judge-x", stop=StopConfig(budget_usd=10))
    assert callable_models(allowed, AGENT) == {
        "meta": [OPUS], "judge": ["openai:judge-x"],
        "task": ["anthropic:claude-sonnet-5-5", "anthropic:claude-haiku-5-5", "openai:mystery-1"]}
    refusal = budget_refusal(allowed, PriceTable(), AGENT)
    assert "openai:judge-x (judge)" in refusal and "openai:mystery-1 (task)" in refusal and "have no price" in refusal
    computed = config(tmp_path, stop=StopConfig(budget_usd=10))
    assert "MODEL is computed" in budget_refusal(computed, PriceTable(), "MODEL = pick()\n")


def test_start_warnings_name_deprecated_and_unpriced_models(tmp_path):
    warnings = start_warnings(config(tmp_path, meta_model="anthropic:claude-opus-4-5", task_model=LOCAL),
                              PriceTable(), AGENT)
    assert any("claude-opus-4-5 is deprecated: end of life on January 22nd, 2027" in w for w in warnings)
    assert any(LOCAL in w and "tokens are still counted" in w for w in warnings)
    assert deprecation(OPUS) is None and deprecation("scripted:/x.json") is None


def test_the_default_and_the_readme_examples_name_current_priced_models():
    import re
    from pathlib import Path

    from meta.gates.static import model_constant

    root = Path(__file__).resolve().parents[1]
    default = model_constant((root / "task_agent" / "agent.py").read_text())
    named = set(re.findall(r"\banthropic:claude-[a-z0-9-]+|\bopenai:gpt-[a-z0-9.-]+",
                           (root / "README.md").read_text()))
    assert default in named and len(named) >= 2  # the README says what the default is
    for model in named:
        assert PriceTable().lookup(model) is not None, model
        assert deprecation(model) is None, model


def test_a_blind_budget_is_refused_before_any_request(tmp_path, fake_llm_server):
    budgeted = config(tmp_path, meta_base_url=fake_llm_server.url, task_model=LOCAL,
                      base_url=fake_llm_server.openai_url, stop=StopConfig(budget_usd=50))
    with pytest.raises(SetupError, match="smollm2-135m"):
        check_models([budgeted], [AGENT])
    assert fake_llm_server.requests == []


def test_each_endpoint_gets_one_short_request_with_its_roles_settings(tmp_path, fake_llm_server):
    fake_llm_server.enqueue(message_body(text="OK"), path="/v1/messages")
    fake_llm_server.enqueue(chat_completion_body(content="OK"), path="/v1/chat/completions")
    both = config(tmp_path, meta_base_url=fake_llm_server.url, task_model=LOCAL,
                  base_url=fake_llm_server.openai_url, meta_thinking=ThinkingConfig(effort="high"))
    assert check_models([both], [AGENT]) == []
    meta = fake_llm_server.bodies("/v1/messages")
    assert len(meta) == 1  # meta and judge share the endpoint and the settings: probed once
    assert meta[0]["model"] == "claude-opus-5-5" and meta[0]["thinking"] == {"type": "adaptive"}
    assert meta[0]["output_config"] == {"effort": "high"} and meta[0]["max_tokens"] <= 64
    (task,) = fake_llm_server.bodies("/v1/chat/completions")
    assert task["model"] == "smollm2-135m"


def test_a_dead_base_url_fails_in_seconds_with_its_name(tmp_path):
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(SetupError) as caught:
        check_models([config(tmp_path, meta_base_url=dead, task_model=LOCAL, base_url=dead + "/v1")], [AGENT])
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert f"meta model {OPUS} at {dead}: no answer" in message
    assert f"task model {LOCAL} at {dead}/v1: no answer" in message


def test_a_misspelled_model_fails_with_its_name(tmp_path, fake_llm_server):
    fake_llm_server.enqueue(anthropic_error_body(404, "model: claude-opsu-5-5"), status=404)
    with pytest.raises(SetupError) as caught:
        check_models([config(tmp_path, meta_model="anthropic:claude-opsu-5-5", meta_base_url=fake_llm_server.url,
                             task_model="scripted:" + str(_script(tmp_path)))], [AGENT])
    assert "anthropic:claude-opsu-5-5" in str(caught.value) and "no such model" in str(caught.value)


def test_a_busy_endpoint_is_a_warning_not_a_refusal(tmp_path, fake_llm_server):
    for _ in range(2):
        fake_llm_server.enqueue_error(529, "Overloaded", headers={"retry-after": "0"})
    warnings = check_models([config(tmp_path, meta_base_url=fake_llm_server.url,
                                    task_model="scripted:" + str(_script(tmp_path)))], [AGENT])
    assert len(warnings) == 1 and "busy (HTTP 529)" in warnings[0]


def _script(tmp_path):
    path = tmp_path / "task.json"
    path.write_text('[{"text": "done"}]')
    return path


def test_an_agent_whose_model_its_trials_would_refuse_does_not_start(tmp_path):
    script = tmp_path / "agent-script.json"
    script.write_text("[]")
    scripted = f'MODEL = "scripted:{script}"\n'  # agent.py cannot make the parent read a file
    with pytest.raises(SetupError, match=r"MODEL cannot be used by its trials: .*a scripted model is served only"):
        check_models([config(tmp_path)], [scripted])
    with pytest.raises(SetupError, match="without a name"):
        check_models([config(tmp_path)], ["X = 1\n"])
    named = config(tmp_path, meta_model=f"scripted:{script}", allowed_models=[f"scripted:{script}"])
    assert check_models([named], [scripted]) == []  # the operator named it: served (a script has no server)

"""The scripted provider: replay, rule choice, exhaustion, simulated errors, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.messages import Reply, tool_result
from models import (
    ModelAuthError,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailableError,
    ScriptedModel,
    ScriptExhaustedError,
    UsageTracker,
    create_model,
)

USER = [{"role": "user", "content": "Fix the bug in app.py"}]
TOOLS = [{"name": "bash", "description": "Run.", "input_schema": {"type": "object"}}]


def write(tmp_path: Path, script) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script) if not isinstance(script, str) else script)
    return str(path)


async def test_list_replays_in_order_and_records_usage(tmp_path):
    path = write(
        tmp_path,
        [
            {
                "text": "Looking.",
                "tool_calls": [{"name": "bash", "arguments": {"cmd": "cat app.py"}}],
                "usage": {"input_tokens": 10, "output_tokens": 3},
            },
            {"text": "Done.", "usage": {"input_tokens": 20, "output_tokens": 2}},
        ],
    )
    tracker = UsageTracker()
    model = create_model(f"scripted:{path}", tracker=tracker, role="meta")
    assert model.name == f"scripted:{path}" and model.remaining() == 2

    first = await model.complete(USER, system="sys", tools=TOOLS, max_tokens=100)
    assert first.stop_reason == "tool_use" and first.text == "Looking."
    call = first.tool_calls[0]
    assert (call.name, call.arguments) == ("bash", {"cmd": "cat app.py"}) and call.id
    history = [
        *USER,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [tool_result(call.id, "x")]},
    ]
    second = await model.complete(history, max_tokens=100)

    assert second.stop_reason == "end_turn" and second.text == "Done."
    assert model.remaining() == 0
    model.assert_complete()
    assert model.requests[1]["messages"] == history and model.requests[0]["system"] == "sys"
    totals = tracker.total(role="meta")
    assert totals.calls == 2 and totals.usage.input_tokens == 30 and totals.cost_usd == 0
    assert tracker.unpriced_models() == set()  # scripted is free, not unknown


async def test_each_create_model_is_a_fresh_session(tmp_path):
    path = write(tmp_path, [{"text": "one"}])
    for _ in range(2):
        model = create_model(f"scripted:{path}")
        assert (await model.complete(USER, max_tokens=5)).text == "one"


async def test_running_out_raises_script_exhausted(tmp_path):
    model = create_model(f"scripted:{write(tmp_path, [{'text': 'only'}])}")
    await model.complete(USER, max_tokens=5)
    with pytest.raises(ScriptExhaustedError) as caught:
        await model.complete(USER, max_tokens=5)
    assert isinstance(caught.value, ModelRequestError)
    assert "exhausted" in str(caught.value) and "script.json" in str(caught.value)


async def test_assert_complete_reports_unconsumed(tmp_path):
    model = create_model(f"scripted:{write(tmp_path, [{'text': 'a'}, {'text': 'b'}])}")
    await model.complete(USER, max_tokens=5)
    with pytest.raises(AssertionError, match="1 scripted response"):
        model.assert_complete()


async def test_first_matching_rule_is_chosen_on_the_first_call(tmp_path):
    path = write(
        tmp_path,
        {
            "rules": [
                {"match": {"system_contains": "meta-agent"}, "responses": [{"text": "meta"}]},
                {
                    "match": {"first_user_contains": "bug", "tools_include": "bash"},
                    "responses": [{"text": "task-1"}, {"text": "task-2"}],
                },
                {"match": {}, "responses": [{"text": "fallback"}]},
            ]
        },
    )
    task = create_model(f"scripted:{path}")
    assert (await task.complete(USER, system="You are an agent.", tools=TOOLS, max_tokens=5)).text == "task-1"
    # Later calls keep replaying the chosen rule, whatever they contain.
    assert (await task.complete(USER, system="You are a meta-agent.", max_tokens=5)).text == "task-2"
    meta = create_model(f"scripted:{path}")
    assert (await meta.complete(USER, system="You are the meta-agent.", max_tokens=5)).text == "meta"
    other = create_model(f"scripted:{path}")
    assert (await other.complete(USER, max_tokens=5)).text == "fallback"  # no bash tool


async def test_no_rule_matched_names_the_file(tmp_path):
    path = write(tmp_path, {"rules": [{"match": {"system_contains": "nope"}, "responses": [{"text": "x"}]}]})
    model = create_model(f"scripted:{path}")
    with pytest.raises(ModelRequestError, match="no rule matched") as caught:
        await model.complete(USER, system="hello", max_tokens=5)
    assert path in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("unavailable", ModelUnavailableError), ("auth", ModelAuthError), ("request", ModelRequestError)],
)
async def test_simulated_errors(tmp_path, kind, error):
    path = write(tmp_path, [{"error": kind, "message": "simulated outage", "status": 529}, {"text": "after"}])
    model = create_model(f"scripted:{path}")
    with pytest.raises(error, match="simulated outage") as caught:
        await model.complete(USER, max_tokens=5)
    assert caught.value.provider == "scripted" and caught.value.status == 529
    assert (await model.complete(USER, max_tokens=5)).text == "after"


async def test_string_arguments_replay_truncated_json(tmp_path):
    path = write(
        tmp_path,
        [
            {
                "tool_calls": [{"name": "bash", "arguments": '{"cmd": "ls', "id": "t1"}],
                "stop_reason": "max_tokens",
            }
        ],
    )
    reply = await create_model(f"scripted:{path}").complete(USER, max_tokens=5)
    assert reply.stop_reason == "max_tokens"
    call = reply.tool_calls[0]
    assert call.id == "t1" and call.arguments == {} and "not valid JSON" in call.parse_error


async def test_recorded_replies_replay_verbatim():
    recorded = Reply(
        content=[{"type": "thinking", "thinking": "hm", "signature": "abc"}, {"type": "text", "text": "hi"}],
        stop_reason="end_turn",
    ).to_json()
    model = ScriptedModel([recorded], source="session.json")
    reply = await model.complete(USER, max_tokens=5)
    assert reply.content == recorded["content"] and reply.reasoning == "hm"


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ModelConfigError, match=r"nope\.json"):
        create_model(f"scripted:{tmp_path / 'nope.json'}")


def test_bad_json_names_file_and_line(tmp_path):
    path = write(tmp_path, '[\n  {"text": "a"},\n  {"text": }\n]')
    with pytest.raises(ModelConfigError) as caught:
        create_model(f"scripted:{path}")
    assert path in str(caught.value) and "line 3" in str(caught.value)


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ({"responses": []}, "top level"),
        ([{"text": "a"}, {"txt": "typo"}], "responses[1]"),
        ([{"stop_reason": "done"}], "responses[0].stop_reason"),
        ([{"usage": {"input_tokens": -1}}], "responses[0].usage"),
        ([{"tool_calls": [{"arguments": {}}]}], "responses[0].tool_calls[0]"),
        ([{"error": "boom"}], "responses[0]"),
        ({"rules": [{"match": {"system": "x"}, "responses": []}]}, "rules[0].match"),
        ({"rules": [{"match": {}, "responses": [{"text": "a"}, 3]}]}, "rules[0].responses[1]"),
    ],
)
def test_bad_shape_names_the_position(tmp_path, script, where):
    path = write(tmp_path, script)
    with pytest.raises(ModelConfigError) as caught:
        create_model(f"scripted:{path}")
    assert path in str(caught.value) and where in str(caught.value)

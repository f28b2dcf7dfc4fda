"""Prices (defaults and overrides) and the usage tracker."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from models.messages import Usage
from models import ModelConfigError, Price, PriceTable, UsageTracker

MILLION = Usage(input_tokens=1_000_000)


@pytest.mark.parametrize(
    ("model", "input_price"),
    [
        ("anthropic:claude-sonnet-4-5", 3.0),
        ("anthropic:claude-sonnet-4-5-20250929", 3.0),
        ("claude-opus-4-5", 5.0),
        ("anthropic:claude-opus-4-1", 15.0),
        ("anthropic:claude-haiku-4-5-20251001", 1.0),
        ("openai:gpt-5", 1.25),
        ("openai:gpt-5-mini", 0.25),
        ("openai:gpt-4o-mini-2024-07-18", 0.15),
        ("openai:gpt-4.1", 2.0),
        ("scripted:/tmp/anything.json", 0.0),
    ],
)
def test_default_prices(model, input_price):
    assert PriceTable().cost(model, MILLION) == pytest.approx(input_price)


def test_every_component_is_priced():
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read_tokens=1_000_000,
        cache_write_tokens=1_000_000,
    )
    assert PriceTable().cost("anthropic:claude-opus-4-5", usage) == pytest.approx(5 + 25 + 0.5 + 6.25)


def test_unknown_models_have_no_price():
    table = PriceTable()
    assert table.lookup("openai:my-local-llama") is None
    assert table.cost("anthropic:claude-sonnet-4-5-turbo", MILLION) is None  # not a dated snapshot


def test_overrides_from_a_dict_and_defaults_for_cache_prices():
    table = PriceTable().with_overrides(
        {"my-local-llama": {"input": 0.5, "output": 1.0}, "gpt-5": Price(input=9, output=9)}
    )
    usage = Usage(input_tokens=1_000_000, cache_read_tokens=1_000_000)
    assert table.cost("openai:my-local-llama", usage) == pytest.approx(1.0)  # cache read defaults to input
    assert table.cost("openai:gpt-5", MILLION) == pytest.approx(9)
    assert PriceTable().cost("openai:gpt-5", MILLION) == pytest.approx(1.25)  # the default is untouched


def test_overrides_from_toml_and_json_files(tmp_path):
    toml = tmp_path / "prices.toml"
    toml.write_text('["claude-opus-4-6"]\ninput = 5.0\noutput = 25.0\ncache_read = 0.5\ncache_write = 6.25\n')
    assert PriceTable.load(toml).cost("anthropic:claude-opus-4-6", MILLION) == pytest.approx(5.0)
    js = tmp_path / "prices.json"
    js.write_text(json.dumps({"gpt-4o": {"input": 1, "output": 2}}))
    table = PriceTable.load(js)
    assert table.cost("openai:gpt-4o", MILLION) == pytest.approx(1)
    assert table.cost("openai:gpt-5", MILLION) == pytest.approx(1.25)


def test_bad_override_names_the_file_and_model(tmp_path):
    bad = tmp_path / "prices.toml"
    bad.write_text('["gpt-5"]\ninput = 1.0\noutptu = 2.0\n')
    with pytest.raises(ModelConfigError) as caught:
        PriceTable.load(bad)
    assert (
        "prices.toml" in str(caught.value) and "gpt-5" in str(caught.value) and "outptu" in str(caught.value)
    )
    with pytest.raises(ModelConfigError, match=r"missing\.toml"):
        PriceTable.load(tmp_path / "missing.toml")


def test_tracker_totals_by_role_and_model():
    tracker = UsageTracker()
    tracker.record(role="task", model="anthropic:a", usage=Usage(10, 1), cost_usd=0.5)
    tracker.record(role="task", model="openai:b", usage=Usage(20, 2, cache_read_tokens=5), cost_usd=0.25)
    tracker.record(role="meta", model="anthropic:a", usage=Usage(30, 3), cost_usd=1.0)

    assert tracker.cost_by_role() == {"task": 0.75, "meta": 1.0}
    assert tracker.cost_by_model() == {"anthropic:a": 1.5, "openai:b": 0.25}
    assert tracker.total(role="task").usage == Usage(30, 3, cache_read_tokens=5)
    assert tracker.total(role="meta", model="anthropic:a").calls == 1
    assert tracker.total().calls == 3 and tracker.cost_usd == pytest.approx(1.75)
    assert tracker.by_model()["anthropic:a"].usage.input_tokens == 40


def test_tracker_round_trips_through_json():
    tracker = UsageTracker()
    tracker.record(role="judge", model="anthropic:a", usage=Usage(1, 2, 3, 4), cost_usd=0.125)
    tracker.record(role="task", model="openai:local", usage=Usage(5, 6), cost_usd=0.0, priced=False)
    restored = UsageTracker.from_json(json.loads(json.dumps(tracker.to_json())))
    assert restored.to_json() == tracker.to_json()
    assert restored.unpriced_models() == {"openai:local"}
    restored.record(role="judge", model="anthropic:a", usage=Usage(1), cost_usd=0.125)
    assert restored.total(role="judge").calls == 2


def test_unpriced_models_are_flagged_and_warned_once(caplog):
    tracker = UsageTracker()
    for _ in range(3):
        tracker.record(role="task", model="openai:mystery", usage=Usage(1), cost_usd=0.0, priced=False)
    assert tracker.unpriced_models() == {"openai:mystery"}
    assert sum("openai:mystery" in r.getMessage() for r in caplog.records) == 1


def test_unknown_role_is_rejected():
    with pytest.raises(ValueError, match="role"):
        UsageTracker().record(role="planner", model="x:y", usage=Usage(), cost_usd=0)


def test_tracker_is_thread_safe():
    tracker = UsageTracker()

    def hammer() -> None:
        for _ in range(2000):
            tracker.record(role="task", model="m:x", usage=Usage(1, 1), cost_usd=0.001)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    totals = tracker.total()
    assert totals.calls == 16_000 and totals.usage == Usage(16_000, 16_000)


async def test_tracker_from_many_tasks():
    tracker = UsageTracker()

    async def call(i: int) -> None:
        await asyncio.sleep(0)
        tracker.record(role="task" if i % 2 else "meta", model="m:x", usage=Usage(i), cost_usd=float(i))

    async with asyncio.TaskGroup() as group:
        for i in range(100):
            group.create_task(call(i))
    assert tracker.total().calls == 100 and tracker.cost_usd == pytest.approx(sum(range(100)))

"""Prices (defaults and overrides) and the usage tracker."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from models.messages import Usage
from models import ModelConfigError, Price, PriceTable, UsageTracker
from models.pricing import unpriced

MILLION = Usage(input_tokens=1_000_000)
# Below every long-context tier (200k prompt tokens), so the base price applies.
TENTH = Usage(input_tokens=100_000)


@pytest.mark.parametrize(
    ("model", "input_price"),
    [
        # current models, as the SDKs list them (genai-prices' data)
        ("anthropic:claude-opus-5-5", 4.0),
        ("anthropic:claude-opus-5", 5.0),
        ("anthropic:claude-sonnet-5-5", 2.0),
        ("anthropic:claude-haiku-5-5", 0.1),
        ("openai:gpt-5.5", 5.0),
        ("openai:gpt-6-sol", 2.0),
        # dated snapshots price like their family
        ("anthropic:claude-sonnet-5-5-20261101", 2.0),
        ("anthropic:claude-haiku-4-5-20251001", 1.0),
        ("anthropic:claude-opus-4-5-20251101", 5.0),
        ("openai:gpt-5.5-2026-04-23", 5.0),
        ("openai:gpt-5.4-mini-2026-03-17", 0.75),
        # a bare id, as in a price file's key
        ("claude-opus-5", 5.0),
        ("scripted:/tmp/anything.json", 0.0),
    ],
)
def test_prices_of_current_models_and_snapshots(model, input_price):
    assert PriceTable().cost(model, TENTH) == pytest.approx(input_price / 10)


def test_every_component_is_priced():
    usage = Usage(input_tokens=100_000, output_tokens=100_000, cache_read_tokens=100_000,
                  cache_write_tokens=100_000)
    # uncached input, output, cache reads and 5-minute cache writes, each at its own rate
    assert PriceTable().cost("anthropic:claude-opus-5", usage) == pytest.approx((5 + 25 + 0.5 + 6.25) / 10)


def test_long_context_is_priced_per_call():
    # Sonnet 4.5 costs $3/M up to 200k prompt tokens and $6/M beyond, decided per call.
    assert PriceTable().cost("anthropic:claude-sonnet-4-5", Usage(input_tokens=100_000)) == pytest.approx(0.3)
    assert PriceTable().cost("anthropic:claude-sonnet-4-5", Usage(input_tokens=300_000)) == pytest.approx(1.8)


def test_unknown_models_have_no_price():
    table = PriceTable()
    assert table.lookup("openai:my-local-llama") is None and table.source("openai:my-local-llama") is None
    assert table.cost("anthropic:claude-opus-9-9", MILLION) is None
    assert PriceTable(database=False).lookup("anthropic:claude-opus-5") is None
    assert unpriced(["openai:my-local-llama", "anthropic:claude-opus-5", "openai:my-local-llama", ""],
                    table) == ["openai:my-local-llama"]


def test_overrides_win_and_an_explicit_zero_is_a_price():
    table = PriceTable().with_overrides(
        {"my-local-llama": {"input": 0.5, "output": 1.0}, "openai:gpt-5.5": Price(input=9, output=9),
         "smollm2-135m": {"input": 0, "output": 0}}
    )
    usage = Usage(input_tokens=1_000_000, cache_read_tokens=1_000_000)
    assert table.cost("openai:my-local-llama", usage) == pytest.approx(1.0)  # cache read defaults to input
    assert table.cost("openai:gpt-5.5", MILLION) == pytest.approx(9)
    assert table.cost("anthropic:smollm2-135m", MILLION) == 0.0 and table.lookup("openai:smollm2-135m")
    assert table.source("openai:gpt-5.5") == "the price file"
    assert table.source("anthropic:claude-opus-5").startswith("genai-prices ")
    assert PriceTable().cost("openai:gpt-5.5", TENTH) == pytest.approx(0.5)  # the database is untouched


def test_overrides_from_toml_and_json_files(tmp_path):
    toml = tmp_path / "prices.toml"
    toml.write_text('["claude-opus-4-6"]\ninput = 7.0\noutput = 25.0\ncache_read = 0.5\ncache_write = 6.25\n')
    assert PriceTable.load(toml).cost("anthropic:claude-opus-4-6", MILLION) == pytest.approx(7.0)
    js = tmp_path / "prices.json"
    js.write_text(json.dumps({"openai:my-local-llama": {"input": 1, "output": 2}}))
    table = PriceTable.load(js)
    assert table.cost("openai:my-local-llama", MILLION) == pytest.approx(1)
    assert table.lookup("anthropic:my-local-llama") is None  # the provider-qualified key is that provider's only
    assert table.cost("openai:gpt-6-sol", TENTH) == pytest.approx(0.2)


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

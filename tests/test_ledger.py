"""The ledger: exact TSV round trips, durable appends, torn lines, resume, the proposer's summary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

import pytest
from pydantic import ValidationError

from meta.ledger.store import COLUMNS, HEADER, Ledger, LedgerError, ResultRow


def row(exp: int, status: str = "discard", **fields) -> ResultRow:
    return ResultRow(exp=exp, status=status, **fields)


FULL = ResultRow(
    exp=3, commit="0123abcd" * 5, status="keep", train_score=0.6123456789012345, train_se=0.0312,
    delta=-0.1, p_or_bound=1e-05, heldout_score=0.55, passed="14/23", cost_usd=12.345678,
    tokens=1234567, minutes=42.5, description="Add a verify-before-finish step",
)


def test_header_is_the_documented_columns(tmp_path):
    Ledger(tmp_path)
    assert (tmp_path / "results.tsv").read_text() == (
        "exp\tcommit\tstatus\ttrain_score\ttrain_se\tdelta\tp_or_bound\theldout_score\tpassed\t"
        "cost_usd\ttokens\tminutes\tdescription\n"
    )
    assert HEADER.rstrip("\n").split("\t") == list(COLUMNS)


def test_rows_round_trip_exactly(tmp_path):
    ledger = Ledger(tmp_path)
    sparse = row(4, "crash", description="agent.py raised at import")
    ledger.append_row(FULL)
    ledger.append_row(sparse)
    assert ledger.rows() == [FULL, sparse]
    assert Ledger(tmp_path).rows() == [FULL, sparse]
    line = (tmp_path / "results.tsv").read_text().splitlines()[2]
    assert line == "4\t\tcrash\t\t\t\t\t\t\t\t\t\tagent.py raised at import"


def test_rows_are_written_for_people(tmp_path):
    """Short hashes and rounded statistics (the exact values stay in events.jsonl)."""
    ledger = Ledger(tmp_path)
    ledger.append_row(row(1, "keep", commit="0123abcd" * 5, train_score=2 / 3, train_se=0.0312345, delta=-0.00001,
                          p_or_bound=0.0004997501249375312, heldout_score=0.55559, cost_usd=0.0123456789))
    line = (tmp_path / "results.tsv").read_text().splitlines()[1].split("\t")
    assert line[:9] == ["1", "0123abcd01", "keep", "0.6667", "0.0312", "0.0", "0.0005", "0.5556", ""]
    assert line[9] == "0.012346"
    assert ledger.rows()[0].commit == "0123abcd01"


def test_descriptions_are_flattened_to_one_cell(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append_row(row(1, description="  first line\n\tsecond\r\nthird\u2028fourth  "))
    assert ledger.rows()[0].description == "first line second third fourth"
    assert len((tmp_path / "results.tsv").read_text().splitlines()) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "kept"},
        {"passed": "14 of 23"},
        {"commit": "not-a-sha"},
        {"train_score": float("nan")},
        {"tokens": -1},
        {"surprise": 1},
    ],
)
def test_rows_validate(bad):
    with pytest.raises(ValidationError):
        ResultRow(**{"exp": 1, "status": "keep", **bad})


def test_rows_are_frozen():
    with pytest.raises(ValidationError):
        FULL.exp = 9


def test_a_second_row_for_an_experiment_is_refused_but_stop_rows_are_separate(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append_row(row(0, "baseline", train_score=0.5))
    ledger.append_row(row(1))
    with pytest.raises(LedgerError, match="experiment 1 already has a row"):
        ledger.append_row(row(1, "keep"))
    ledger.append_row(row(1, "stop", description="budget exhausted"))
    ledger.append_row(row(1, "stop", description="stopped again after resume"))
    assert ledger.has_row(1) and not ledger.has_row(2)
    # A new writer on the same folder (resume) knows what is already there.
    resumed = Ledger(tmp_path)
    assert resumed.has_row(0) and resumed.has_row(1)
    with pytest.raises(LedgerError):
        resumed.append_row(row(1))
    assert [r.status for r in resumed.rows()] == ["baseline", "discard", "stop", "stop"]


def test_a_torn_last_row_is_skipped_by_readers_and_cut_by_the_next_writer(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append_row(row(1, "keep"))
    with (tmp_path / "results.tsv").open("a") as f:
        f.write("2\tabcd1234\tdisc")  # the process died here
    assert [r.exp for r in ledger.rows()] == [1]
    resumed = Ledger(tmp_path)
    assert not resumed.has_row(2)
    resumed.append_row(row(2, "discard"))
    assert [r.exp for r in resumed.rows()] == [1, 2]
    assert (tmp_path / "results.tsv").read_text().count("\n") == 3


def test_readers_skip_a_torn_line_without_repairing_it(tmp_path):
    writer = Ledger(tmp_path)
    writer.append_row(row(1))
    writer.append_event("proposal", exp=2, description="x")
    with (tmp_path / "results.tsv").open("a") as f:
        f.write("2\t\tke")
    with (tmp_path / "events.jsonl").open("a") as f:
        f.write('{"t": "2025-01-01", "exp": 2, "ki')
    assert [r.exp for r in writer.rows()] == [1]
    assert [e["kind"] for e in writer.events()] == ["proposal"]


def test_a_torn_header_is_rewritten(tmp_path):
    (tmp_path / "results.tsv").write_text("exp\tcom")
    ledger = Ledger(tmp_path)
    assert (tmp_path / "results.tsv").read_text() == HEADER
    assert ledger.rows() == []


def test_a_foreign_header_or_corrupt_middle_line_is_an_error(tmp_path):
    (tmp_path / "results.tsv").write_text("commit\tscore\n")
    with pytest.raises(LedgerError, match="unexpected header"):
        Ledger(tmp_path)
    other = tmp_path / "other"
    ledger = Ledger(other)
    with (other / "results.tsv").open("a") as f:
        f.write("garbage\n")
    with pytest.raises(LedgerError, match=r"results\.tsv:2"):
        ledger.rows()


@dataclass(frozen=True)
class _Decision:
    verdict: str
    per_task: dict[str, list[float]]


def test_events_are_json_lines_with_time_exp_and_kind(tmp_path):
    clock = iter([datetime(2025, 5, 1, 12, 0, tzinfo=UTC),
                  datetime(2025, 5, 1, 12, 1, tzinfo=UTC)])
    ledger = Ledger(tmp_path, now=lambda: next(clock))
    first = ledger.append_event("resume", note="line\nbreak \u2028 kept", path=Path("/x"))
    ledger.append_event("decision", exp=4, decision=_Decision("keep", {"a": [1.0]}), tags={"b", "a"})
    assert first == {"t": "2025-05-01T12:00:00.000+00:00", "exp": None, "kind": "resume",
                     "note": "line\nbreak \u2028 kept", "path": "/x"}
    lines = (tmp_path / "events.jsonl").read_text().split("\n")
    assert len(lines) == 3 and lines[2] == ""
    decision = ledger.events("decision")
    assert decision == [{"t": "2025-05-01T12:01:00.000+00:00", "exp": 4, "kind": "decision",
                         "decision": {"verdict": "keep", "per_task": {"a": [1.0]}}, "tags": ["a", "b"]}]
    assert [e["kind"] for e in ledger.events()] == ["resume", "decision"]


def test_event_data_cannot_override_the_envelope(tmp_path):
    ledger = Ledger(tmp_path)
    with pytest.raises(ValueError, match="reserved"):
        ledger.append_event("spend", t="yesterday")
    with pytest.raises(TypeError):
        ledger.append_event("spend", value=object())
    assert ledger.events() == []


def test_state_is_replaced_atomically(tmp_path):
    ledger = Ledger(tmp_path)
    assert ledger.load_state() is None
    ledger.save_state({"exp": 3, "incumbent": "abcd"})
    ledger.save_state({"exp": 4, "incumbent": "ef01"})
    assert ledger.load_state() == {"exp": 4, "incumbent": "ef01"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tsv", "state.json"]
    # A crash between writing the temporary file and the rename leaves the old state readable.
    (tmp_path / ".state.json.tmp").write_text('{"exp": 5, "inc')
    assert Ledger(tmp_path).load_state() == {"exp": 4, "incumbent": "ef01"}
    (tmp_path / "state.json").write_text("[1, 2]")
    with pytest.raises(LedgerError, match="not a JSON object"):
        ledger.load_state()


def _climb(tmp_path) -> Ledger:
    ledger = Ledger(tmp_path)
    ledger.append_row(row(0, "baseline", commit="aaaa1111", train_score=0.5, train_se=0.04,
                          heldout_score=0.45, description="baseline"))
    ledger.append_row(row(1, "discard", commit="bbbb2222", delta=-0.02, p_or_bound=0.7,
                          train_score=0.48, heldout_score=0.99, description="shorter prompt"))
    ledger.append_event("decision", exp=1, per_task_delta={"csv-rollup": -0.5, "fix-bug": 0.25,
                                                           "secret-heldout": 1.0, "same": 0.0})
    ledger.append_row(row(2, "keep", commit="cccc3333", delta=0.08, p_or_bound=0.01, train_score=0.58,
                          train_se=0.03, heldout_score=0.52, description="verify outputs\tbefore finishing"))
    ledger.append_row(row(3, "overfit", commit="dddd4444", delta=0.2, description="special-case csv"))
    ledger.append_row(row(3, "stop", description="budget exhausted"))
    return ledger


def test_summary_for_proposer_shows_recent_experiments_and_train_deltas(tmp_path):
    summary = _climb(tmp_path).summary_for_proposer(hidden_tasks={"secret-heldout"})
    lines = summary.splitlines()
    assert lines[0] == "Incumbent: exp 2 (cccc3333), train score 0.580 ± 0.030, held-out score 0.520"
    assert lines[1] == "Last 4 of 4 experiments, oldest first:"
    assert "- exp 1, discard, delta -0.020, p/bound 0.7, train 0.480: shorter prompt" in lines
    assert "    per-task deltas: csv-rollup -0.50, fix-bug +0.25" in lines
    assert "- exp 2, keep, delta +0.080, p/bound 0.01, train 0.580: verify outputs before finishing" in lines
    assert "- exp 3, overfit, delta +0.200: special-case csv" in lines
    assert "budget exhausted" not in summary


def test_summary_never_shows_held_out_detail(tmp_path):
    summary = _climb(tmp_path).summary_for_proposer(hidden_tasks={"secret-heldout"})
    assert "secret-heldout" not in summary
    # Only the incumbent's aggregate: a discarded candidate's held-out score stays out.
    assert "0.99" not in summary and "0.45" not in summary
    assert summary.count("held-out") == 1


def test_summary_limits_and_empty(tmp_path):
    assert Ledger(tmp_path / "empty").summary_for_proposer() == "No experiments yet."
    ledger = _climb(tmp_path)
    short = ledger.summary_for_proposer(last_n=1)
    assert "Last 1 of 4" in short and "exp 3, overfit" in short and "exp 1," not in short
    many = Ledger(tmp_path / "many")
    many.append_row(row(1))
    many.append_event("decision", exp=1, per_task_delta={f"t{i}": i / 10 for i in range(1, 12)})
    text = many.summary_for_proposer()
    assert "t11 +1.10" in text and "(+3 more)" in text and "t1 " not in text
    assert "Incumbent" not in text


def test_events_file_with_corrupt_middle_line_is_an_error(tmp_path):
    ledger = Ledger(tmp_path)
    (tmp_path / "events.jsonl").write_text('{"kind": "a"}\nnot json\n{"kind": "b"}\n')
    with pytest.raises(LedgerError, match=r"events\.jsonl:2"):
        ledger.events()
    assert json.loads((tmp_path / "events.jsonl").read_text().splitlines()[0]) == {"kind": "a"}

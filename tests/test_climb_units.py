"""Small pieces of the climb: the split, static checks, disk pruning, the final table."""

from __future__ import annotations

from pathlib import Path

import pytest

from meta.climb.config import ClimbConfig, SplitConfig
from meta.climb.disk import space_paths
from meta.climb.setup import prune_trial_files, small_benchmark_warning
from meta.climb.final import format_table
from meta.climb.split import split_tasks
from meta.decide.defaults import ALPHA
from meta.gates.static import (
    COMPUTED,
    compile_error,
    model_constant,
    model_violation,
    scoring_reference,
    task_model,
)


def test_split_is_seeded_order_free_and_stable_under_additions():
    tasks = [f"t{i:02d}" for i in range(20)]
    train, heldout = split_tasks(tasks, SplitConfig(heldout_fraction=0.2, seed=7))
    assert len(heldout) == 4 and set(train) | set(heldout) == set(tasks) and not set(train) & set(heldout)
    assert split_tasks(list(reversed(tasks)), SplitConfig(heldout_fraction=0.2, seed=7)) == (train, heldout)
    assert split_tasks(tasks, SplitConfig(heldout_fraction=0.2, seed=8))[1] != heldout
    _, more = split_tasks(tasks + ["t99"], SplitConfig(heldout_fraction=0.2, seed=7))
    assert set(heldout) <= set(more) or len(set(heldout) - set(more)) <= 1


def test_split_explicit_lists_are_checked():
    assert split_tasks(["a", "b", "c"], SplitConfig(heldout=["c"])) == (["a", "b"], ["c"])
    with pytest.raises(ValueError, match="unknown"):
        split_tasks(["a"], SplitConfig(heldout=["zzz"]))
    with pytest.raises(ValueError, match="both"):
        split_tasks(["a", "b"], SplitConfig(train=["a", "b"], heldout=["b"]))


def test_static_checks():
    assert compile_error("def run(:\n", "agent.py").startswith("agent.py does not compile")
    assert compile_error("x = 1\n", "agent.py") is None
    assert model_constant('MODEL = "anthropic:claude-haiku-4-5"\n') == "anthropic:claude-haiku-4-5"
    old, new = 'MODEL = "a:x"\n', 'MODEL = "a:y"\n'
    assert model_violation(old, old, None, fixed=False) is None
    assert "no allowed models" in model_violation(new, old, None, fixed=False)
    assert model_violation(new, old, ["a:y"], fixed=False) is None
    assert "not one of" in model_violation(new, old, ["a:z"], fixed=False)
    assert "fixed" in model_violation(new, old, ["a:y"], fixed=True)
    assert (task_model(None, old), task_model("b:z", old), task_model(None, "")) == ("a:x", "b:z", None)
    assert task_model(None, "MODEL = pick()\n") == COMPUTED


def test_gate_0_treats_a_thinking_settings_edit_like_any_other_edit():
    baseline = (Path(__file__).resolve().parents[1] / "task_agent" / "agent.py").read_text()
    edited = baseline.replace("THINKING = None", 'THINKING = "adaptive"').replace("EFFORT = None", 'EFFORT = "high"')
    assert edited != baseline, "agent.py's THINKING/EFFORT levers moved: update this test"
    assert compile_error(edited, "agent.py") is None
    for fixed, allowed in ((False, None), (True, None), (False, ["a:x"])):
        assert model_violation(edited, baseline, allowed, fixed=fixed) is None  # MODEL did not change
    assert scoring_reference(edited, baseline) is None


def test_an_edit_that_names_the_scoring_files_is_refused():
    old = 'SYSTEM_PROMPT = "Solve the task."\n'
    writes_grade = old + 'HINT = "when done, echo 1 > /logs/verifier/reward.txt"\n'
    assert "'/logs/verifier', 'reward.txt'" in scoring_reference(writes_grade, old)
    assert "'solve.sh'" in scoring_reference(old + 'X = "cat /solution/solve.sh"\n', old)
    assert scoring_reference(old + 'X = "run the tests in /app/tests"\n', old) is None
    assert scoring_reference(writes_grade, writes_grade) is None  # only what the edit adds counts


def test_prune_keeps_results_and_trajectories(tmp_path):
    for exp in range(1, 6):
        trial = tmp_path / "experiments" / f"exp-{exp:04d}" / "batch-01" / "trials" / "t"
        (trial / "agent").mkdir(parents=True)
        (trial / "artifacts").mkdir()
        (trial / "result.json").write_text("{}")
        (trial / "agent" / "trajectory.json").write_text("{}")
        (trial / "agent" / "agent-stdout.txt").write_text("x" * 1000)
        (trial / "artifacts" / "big.bin").write_bytes(b"y" * 5000)
    freed = prune_trial_files(tmp_path, keep_last=2)
    assert freed == 3 * 6000
    old = tmp_path / "experiments" / "exp-0001" / "batch-01" / "trials" / "t"
    new = tmp_path / "experiments" / "exp-0005" / "batch-01" / "trials" / "t"
    assert (old / "result.json").exists() and (old / "agent" / "trajectory.json").exists()
    assert not (old / "agent" / "agent-stdout.txt").exists() and not (old / "artifacts" / "big.bin").exists()
    assert (new / "artifacts" / "big.bin").exists()


def test_small_benchmark_warning(tmp_path):
    config = ClimbConfig(tasks=[tmp_path], repo=tmp_path, meta_model="scripted:x")
    # The first keep look spends about half of alpha (0.155): 2 tasks (best p 0.25) cannot reach it.
    assert config.decide.alpha_spending()[0] == pytest.approx(0.155, abs=0.001)
    assert small_benchmark_warning(config, 2) and "only 2 train tasks" in small_benchmark_warning(config, 2)[0]
    assert small_benchmark_warning(config, 3) == []
    assert small_benchmark_warning(config, 20) == []


def test_final_table_formats_percent_or_absolute_change():
    table = {"train": {"baseline": {"mean": 0.5, "se": 0.05}, "final": {"mean": 0.6, "se": 0.05},
                       "change": 0.1, "change_pct": 20.0},
             "heldout": {"baseline": {"mean": 0.0, "se": 0.0}, "final": {"mean": 0.25, "se": 0.1},
                         "change": 0.25, "change_pct": None}}
    text = format_table(table)
    assert "+20.0%" in text and "+0.250" in text and "0.500 ± 0.050" in text
    table["train"]["test"] = {"tasks": 8, "change": 0.1, "se": 0.04, "low": 0.022, "high": 0.178, "level": 0.95,
                              "p_value": 0.031}
    assert "+0.100 [+0.022, +0.178] (8 tasks)" in format_table(table) and "0.031" in format_table(table)
    assert format_table({"note": "no edit was kept: the final agent is the baseline"}).startswith("no edit")


def test_suite_se_never_reads_single_trials_as_noise_free():
    from meta.decide.summary import suite_se

    se = suite_se
    assert se({"a": [1.0], "b": [0.0]}) is None  # one trial per task: the noise is unknown, not 0
    assert se({"a": [1.0, 0.0, 1.0], "b": [1.0, 1.0, 1.0]}) == pytest.approx((1 / 3 / 3) ** 0.5 / 2, abs=1e-6)
    assert se({"a": [1.0, 0.0], "b": [1.0]}) == pytest.approx((0.5 / 2 + 0.5) ** 0.5 / 2, abs=1e-6)  # b pooled
    # A kept candidate scored on one confirmation trial per task: its selection data give the spread.
    assert se({"a": [1.0], "b": [0.0]}, more={"a": [0.0], "b": [0.0]}) == pytest.approx(0.5 ** 0.5 / 2, abs=1e-6)
    row = {"baseline": {"mean": 0.5, "se": None}, "final": {"mean": 0.75, "se": 0.1}, "change": 0.25,
           "change_pct": 50.0}
    assert "0.500 ± n/a" in format_table({"train": row}) and "0.750 ± 0.100" in format_table({"train": row})


# ---------------------------------------------------------------- the loop's safe points (a real context)


def _climb(tmp_path, *, docker: bool = False, **overrides):
    """A climb set up on a small repo; its trials simulated, or on Docker (connected to, nothing runs)."""
    from meta.climb.loop import Climb
    from meta.climb.setup import build_context
    from tests.climb_helpers import FIX, climb_config, make_repo
    from tests.fakes.trials import SimulatedTrials, solves_when

    repo = make_repo(tmp_path)
    config = climb_config(repo, "scripted:unused", "scripted:unused", "scripted:unused", **overrides)
    trials = None if docker else SimulatedTrials(solves_when(FIX))
    ctx = build_context(config, tmp_path / "run", "climb-units", resume=False, trials=trials)
    return Climb(ctx)


def test_stop_conditions_plateau_hours_and_budget_warnings(tmp_path):
    from models.messages import Usage

    climb = _climb(tmp_path, stop={"plateau": 2, "budget_usd": 1.0})
    climb.state.exp, climb.state.last_keep_exp = 2, 1
    assert climb.should_stop() is None
    climb.state.exp = 3
    assert climb.should_stop() == "plateau: no keep in 2 experiments"
    climb.state.exp = 2
    for cost, warned in ((0.4, []), (0.2, [0.5]), (0.25, [0.5, 0.8]), (0.1, [0.5, 0.8])):
        climb.ctx.tracker.record(role="meta", model="m", usage=Usage(10, 1), cost_usd=cost)
        assert climb.should_stop() is None and climb.state.budget_warnings == warned
    assert [e["level"] for e in climb.ctx.ledger.events("budget_warning")] == [0.5, 0.8]  # each once
    climb.ctx.tracker.record(role="task", model="m", usage=Usage(10, 1), cost_usd=0.1)
    assert climb.should_stop() == "budget of $1 spent ($1.05)"
    climb.config = climb.config.model_copy(update={"stop": climb.config.stop.model_copy(update={"hours": 1.0})})
    climb._elapsed_base = 3600.0  # what an earlier process of this climb used, restored from state.json
    assert climb.should_stop() == "time budget of 1 h used"


async def test_a_meta_agent_that_stops_using_tools_is_booked_meta_failed_once(tmp_path):
    import json

    from meta.climb.experiment import run_experiment
    from meta.decide.records import IncumbentRecord
    from meta.proposer.session import MAX_IDLE_REPLIES

    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps([{"text": "I would improve the prompt.",
                                 "usage": {"input_tokens": 6000, "output_tokens": 40}}] * 10))
    climb = _climb(tmp_path, meta_model=f"scripted:{meta}")
    climb.state.incumbent = climb.ctx.snapshot(climb.ctx.workspace.head())
    climb.state.record = IncumbentRecord({})
    await run_experiment(climb, 1)
    (row,) = climb.ctx.ledger.rows()
    assert row.status == "meta_failed" and row.tokens == MAX_IDLE_REPLIES * 6040
    assert f"{MAX_IDLE_REPLIES} replies in a row without a tool call" in row.description
    assert climb.ctx.tracker.total(role="meta").calls == MAX_IDLE_REPLIES
    assert climb.ctx.ledger.events("gate") == []  # nothing was gated: the reason is said once, in the row
    (proposal,) = climb.ctx.ledger.events("proposal")
    assert proposal["finished"] is False and proposal["turns"] == MAX_IDLE_REPLIES


def test_low_disk_prunes_old_trials_then_stops(tmp_path):
    climb = _climb(tmp_path, min_free_gb=1e9)  # no disk is that big: always under pressure
    run_dir = climb.ctx.run_dir
    for exp in range(1, 6):
        (run_dir / "experiments" / f"exp-{exp:04d}" / "agent").mkdir(parents=True)
        (run_dir / "experiments" / f"exp-{exp:04d}" / "agent" / "agent-stdout.txt").write_text("x" * 100)
    assert climb.should_stop() == "disk space low even after pruning"
    assert not (run_dir / "experiments" / "exp-0002" / "agent" / "agent-stdout.txt").exists()
    assert (run_dir / "experiments" / "exp-0003" / "agent" / "agent-stdout.txt").exists()
    pruned = climb.ctx.ledger.events("disk_pruned")
    assert len(pruned) == 1 and pruned[0]["freed_mb"] >= 0


@pytest.mark.docker
def test_docker_data_root_is_watched_for_disk_space(tmp_path):
    # Image and container growth count too, since the daemon is local.
    climb = _climb(tmp_path, docker=True)
    assert climb.ctx.docker_root == Path(climb.ctx.client.info()["DockerRootDir"])
    assert space_paths(climb.ctx) == [climb.ctx.run_dir, climb.ctx.docker_root]


async def test_infra_dominated_batches_pause_and_rerun_then_long_outages_stop(tmp_path):
    from meta.climb.evaluation import InfraBatchError
    from models import ModelAuthError

    climb = _climb(tmp_path, pause_initial_sec=0.01, pause_max_sec=0.02)
    attempts = []

    async def batch():
        attempts.append(1)
        if len(attempts) < 3:
            raise InfraBatchError("7 of 8 trials failed on infrastructure", {"docker": 7})
        return "decided on a clean batch"

    assert await climb.resilient("decision", batch, exp=4) == "decided on a clean batch"
    ledger = climb.ctx.ledger
    assert [(p["what"], p["retry_in_sec"]) for p in ledger.events("pause")] == [("decision", 0.01), ("decision", 0.02)]
    assert ledger.events("resume")[0]["what"] == "decision" and not ledger.has_row(4)

    async def down():
        raise InfraBatchError("all trials failed on infrastructure", {"docker": 8})

    climb.config = climb.config.model_copy(update={"max_pause_hours": 1e-6})
    with pytest.raises(climb.Stop, match="outage longer than"):
        await climb.resilient("decision", down, exp=5)

    async def bad_key():
        raise ModelAuthError("invalid x-api-key", provider="anthropic", status=401)

    with pytest.raises(climb.Stop, match="model configuration"):
        await climb.resilient("proposal", bad_key, exp=5)
    climb.config = climb.config.model_copy(update={"max_pause_hours": 6.0, "pause_initial_sec": 600.0})
    climb.stop_requested = "interrupted (Ctrl-C)"  # a pause wakes for a stop request at once
    with pytest.raises(climb.Stop, match="Ctrl-C"):
        await climb.resilient("decision", down, exp=5)


def test_run_options_set_the_keep_level_and_an_explicit_held_out_list(tmp_path):
    from meta.cli.main import build_parser
    from meta.cli.climb import config_from_args
    from tests.climb_helpers import make_repo

    repo = make_repo(tmp_path)
    args = build_parser().parse_args(["run", str(repo / "tasks"), "--repo", str(repo), "--meta-model", "scripted:x",
                                      "--alpha", "0.1", "--heldout", "count-01, count-02", "--rule", "naive"])
    config = config_from_args(args)
    assert (config.decide.rule, config.decide.alpha) == ("naive", 0.1)
    assert split_tasks([f"count-{i:02d}" for i in range(4)], config.split) == (["count-00", "count-03"],
                                                                               ["count-01", "count-02"])
    default = config_from_args(build_parser().parse_args(["run", str(repo / "tasks"), "--repo", str(repo),
                                                          "--meta-model", "scripted:x"]))
    assert default.decide.alpha == ALPHA == 0.3
    assert default.split.heldout is None and default.split.heldout_fraction == 0.2
    assert (default.meta_thinking.thinking, default.meta_thinking.effort) == ("adaptive", None)
    assert default.judge_settings == default.meta_thinking and default.meta_max_turns == 40
    tuned = config_from_args(build_parser().parse_args([
        "run", str(repo / "tasks"), "--repo", str(repo), "--meta-model", "scripted:x", "--meta-thinking", "4096",
        "--meta-effort", "high", "--judge-thinking", "off", "--meta-max-turns", "12"]))
    assert tuned.meta_thinking.settings() == {"thinking": 4096, "effort": "high"}
    assert tuned.judge_settings.settings() == {"thinking": "off", "effort": "high"} and tuned.meta_max_turns == 12
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "t", "--meta-model", "m", "--meta-thinking", "lots"])


def test_a_bad_held_out_list_fails_before_any_worktree_exists(tmp_path):
    import subprocess

    from meta.climb.setup import SetupError, build_context
    from tests.climb_helpers import climb_config, make_repo

    repo = make_repo(tmp_path)
    config = climb_config(repo, "scripted:unused", "scripted:unused", "scripted:unused",
                          split=SplitConfig(heldout=["no-such-task"]))
    with pytest.raises(SetupError, match="no-such-task"):
        build_context(config, tmp_path / "run", "climb-badsplit", resume=False)
    assert not (tmp_path / "run" / "workspace").exists() and not (tmp_path / "run" / "state.json").exists()
    branches = subprocess.run(["git", "-C", str(repo), "branch", "--list", "climb/*"],
                              capture_output=True, text=True, check=True).stdout
    assert branches.strip() == ""

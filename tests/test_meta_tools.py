"""What the meta-agent can reach, enforced in code."""

from __future__ import annotations

import json

import pytest

from meta.proposer.reach import Reach, ToolRefused, TrialIndex, read_text
from meta.proposer.tools import MetaTools, ToolSetup
from sandbox.results import TrialResult, TrialStatus, write_result


def trial(root, task, trial_id, reward):
    folder = root / "trials" / trial_id
    (folder / "agent").mkdir(parents=True)
    (folder / "agent" / "trajectory.json").write_text(json.dumps({"steps": [{"message": f"working on {task}"}]}))
    write_result(TrialResult(run_id="r", trial_id=trial_id, task=task, agent="candidate", status=TrialStatus.OK,
                             rewards={"reward": reward}, reward=reward, trial_dir=str(folder)), folder)
    return folder


@pytest.fixture
def world(tmp_path):
    run = tmp_path / "run"
    ws = run / "workspace"
    (ws / "task_agent").mkdir(parents=True)
    (ws / "task_agent" / "agent.py").write_text('MODEL = "x"\nPROMPT = "hello"\n')
    (ws / "tasks" / "secret-task" / "tests").mkdir(parents=True)
    (ws / "tasks" / "secret-task" / "tests" / "test.sh").write_text("expected=42\n")
    (ws / ".git").mkdir()
    (ws / ".git" / "config").write_text("[core]\n")
    # The run folder's own files name the held-out tasks (split event, config, state, final table).
    for name in ("state.json", "config.json", "events.jsonl", "results.tsv"):
        (run / name).write_text("heldout-task\n")
    (run / "final" / "heldout").mkdir(parents=True)
    (run / "final" / "heldout" / "summary.txt").write_text("heldout-task\n")
    train_trial = trial(run / "experiments" / "exp-0001" / "batch-01", "train-task", "t1", 0.0)
    (train_trial / "agent" / "escape").symlink_to(ws / "tasks" / "secret-task" / "tests" / "test.sh")
    (train_trial / "agent" / "etc").symlink_to("/etc/hostname")
    trial(run / "heldout" / "exp-0000", "heldout-task", "h1", 1.0)
    reach = Reach(ws, [run / "baseline", run / "experiments"], [ws / ".git", ws / "tasks" / "secret-task"])
    index = TrialIndex([run / "baseline", run / "experiments", run / "heldout"], {"train-task"})
    return run, ws, reach, index


def test_reach_allows_workspace_and_train_trials(world):
    _run, _ws, reach, _ = world
    assert "PROMPT" in read_text(reach.check("task_agent/agent.py"))
    assert reach.check("experiments/exp-0001/batch-01/trials/t1/result.json").is_file()


@pytest.mark.parametrize("path", [".git/config", "tasks/secret-task/tests/test.sh", "../heldout/exp-0000",
                                  "state.json", "config.json", "events.jsonl", "results.tsv", "..", "../state.json",
                                  "final/heldout/summary.txt", "heldout", "experiments/../state.json",
                                  "/etc/passwd", "experiments/exp-0001/batch-01/trials/t1/agent/escape",
                                  "experiments/exp-0001/batch-01/trials/t1/agent/etc"])
def test_reach_refuses_everything_else(world, path):
    _, _, reach, _ = world
    with pytest.raises(ToolRefused):
        reach.check(path)


def test_trial_index_lists_only_train_tasks(world):
    _, _, _, index = world
    assert [r.trial_id for r in index.results()] == ["t1"]
    with pytest.raises(ToolRefused):
        index.find("h1")


def _proposer(world, **setup) -> MetaTools:
    _, ws, reach, index = world

    async def spot(task_ids, repeats):
        return []

    return MetaTools(ToolSetup(**{
        "workspace_path": ws, "agent_path": "task_agent/agent.py", "train_scores": {"train-task": 0.0},
        "reach": reach, "trials": index, "spot_check": spot, "spot_budget": 2,
        "train_instructions": {"train-task": "do it"}, **setup}))


async def test_proposer_tools(world):
    ws = world[1]
    proposer = _proposer(world)
    assert "t1" in await proposer.list_trials(failed_only=True)
    assert "working on train-task" in await proposer.read_trial("t1", "trajectory")
    assert "secret" not in await proposer.list_files("tasks")
    with pytest.raises(ToolRefused, match="not a train task"):
        await proposer.read_task("heldout-task")
    with pytest.raises(ToolRefused, match="occurs 0 times"):
        await proposer.edit_agent("nothing like this", "x")
    await proposer.edit_agent('PROMPT = "hello"', 'PROMPT = "hello, carefully"')
    assert "carefully" in (ws / "task_agent" / "agent.py").read_text()
    with pytest.raises(ToolRefused, match="not train tasks"):
        await proposer.spot_check(["heldout-task"])
    with pytest.raises(ToolRefused, match="needs 3 trials; 2 left"):
        await proposer.spot_check(["train-task"], repeats=3)
    with pytest.raises(ToolRefused, match=r"not \.git"):
        await proposer.write_file(".git/hooks/pre-commit", "evil")


async def test_tool_errors_go_back_to_the_model_and_history_is_listed(world):
    proposer = _proposer(world, experiments="- exp 1, discard: x\n" * 2000)
    with pytest.raises(ToolRefused, match="read_file failed: IsADirectoryError"):
        await proposer.call("read_file", {"path": "task_agent"}, None)  # a folder is not a crash
    with pytest.raises(ToolRefused, match="bad arguments"):
        await proposer.call("read_file", {"nope": 1}, None)
    history = await proposer.call("list_experiments", {}, None)
    assert history.startswith("- exp 1, discard: x") and "offset=12000" in history
    rest = await proposer.call("list_experiments", {"offset": 36000}, None)
    assert rest.endswith("- exp 1, discard: x\n") and "truncated" not in rest
    assert "heldout-task" not in await proposer.list_files("experiments")
    assert await proposer.grep_trials("heldout", "trajectory") == "no matches"

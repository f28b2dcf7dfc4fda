"""`climb demo`: a whole climb on the example tasks with scripted models, no API key needed.

It shows the machinery, not a model's skill. The scripted task model plays an
agent that gives up early unless its system prompt asks it to check its work;
then it runs the task's reference solution. The scripted meta-agent proposes
that prompt line (kept), then a cosmetic edit (discarded). Everything else is
real: Docker trials, the jail, the gates, the keep rule, the ledger, resume. It uses the
first 8 tasks and a final head-to-head on held-out only, twice per task, so it ends in about
a minute, with the report's path.
"""

from __future__ import annotations

import json
import subprocess
from argparse import Namespace


from meta.cli.climb import cmd_run, say
from meta.cli.parsers import build_parser
from meta.ledger.runs import new_run_dir
from sandbox.task import Task, discover

FIX = "Before you finish, check your work against every requirement of the task."
PROMPT_LINE = "When the task is done, reply without calling a tool."


def _solve_command(task: Task) -> str:
    script = (task.solution_dir / "solve.sh").read_text()  # type: ignore[union-attr]
    return (f"cat > /tmp/.demo-solve.sh <<'CLIMB_DEMO_EOF'\n{script}\nCLIMB_DEMO_EOF\n"
            "bash /tmp/.demo-solve.sh > /tmp/.demo-solve.log 2>&1; echo exit=$?; tail -n 5 /tmp/.demo-solve.log")


def task_script(tasks: list[Task]) -> dict:
    rules = []
    for task in tasks:
        key = task.instruction.strip().splitlines()[0][:80]
        rules.append({"match": {"system_contains": FIX, "first_user_contains": key}, "responses": [
            {"text": "Let me look around first.",
             "tool_calls": [{"name": "run_shell", "arguments": {"command": "ls -la"}}]},
            {"text": "Now I will do the work and check it.", "tool_calls": [
                {"name": "run_shell", "arguments": {"command": _solve_command(task)}}]},
            {"text": "Done, and checked against the requirements."}]})
        rules.append({"match": {"first_user_contains": key}, "responses": [
            {"text": "Let me look around.", "tool_calls": [{"name": "run_shell", "arguments": {"command": "ls"}}]},
            {"text": "This looks done already."}]})
    return {"rules": rules}


def meta_script() -> dict:
    def experiment(old: str, new: str, description: str, hypothesis: str) -> list[dict]:
        return [
            {"text": "Reading failed trials.",
             "tool_calls": [{"name": "list_trials", "arguments": {"failed_only": True}}]},
            {"text": "Editing agent.py.", "tool_calls": [{"name": "edit_agent",
                                                          "arguments": {"old_text": old, "new_text": new}}]},
            {"tool_calls": [{"name": "finish", "arguments": {"description": description, "hypothesis": hypothesis,
                                                             "failure_class": "finishes without checking"}}]}]
    first = experiment(PROMPT_LINE, f"{PROMPT_LINE}\n{FIX}", "ask the agent to check its work before finishing",
                       "agents stop after a first look; a self-check step makes them finish the job")
    second = experiment("MAX_TOKENS = 4096", "MAX_TOKENS = 4096  # per reply", "comment MAX_TOKENS",
                        "no effect expected (a control)")
    return {"rules": [{"match": {"first_user_contains": "- exp 1,"}, "responses": second},
                      {"match": {"first_user_contains": "- exp 0,"}, "responses": first}]}


def judge_script() -> list[dict]:
    return [{"tool_calls": [{"name": "verdict", "arguments": {
        "worthwhile": True, "reason": "a general self-check instruction, no task content"}}]}] * 3


def cmd_demo(args: Namespace) -> int:
    found = discover(args.tasks)
    tasks = [t for t in found.tasks if t.solution_dir and (t.solution_dir / "solve.sh").is_file()]
    if args.limit:  # a few tasks keep the demo to about a minute; 0 runs them all
        tasks = tasks[: args.limit]
    if len(tasks) < 2:
        say("the demo needs at least two tasks with solution/solve.sh", "red")
        return 2
    run_dir, _ = new_run_dir(args.out, "demo")
    scripts = run_dir.parent / f"{run_dir.name}-scripts"
    scripts.mkdir(parents=True, exist_ok=True)
    for name, data in (("task", task_script(tasks)), ("meta", meta_script()), ("judge", judge_script())):
        (scripts / f"{name}.json").write_text(json.dumps(data, indent=1))
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True).stdout.strip()
    argv = ["run", *(str(t.path) for t in tasks), "--repo", repo or ".",
            "--meta-model", f"scripted:{scripts / 'meta.json'}",
            "--task-model", f"scripted:{scripts / 'task.json'}", "--judge-model", f"scripted:{scripts / 'judge.json'}",
            "--max-experiments", "2", "--baseline-repeats", "1", "--final-repeats", "2", "0",
            "-n", str(args.concurrency), "--out", str(run_dir)]
    if args.no_dashboard:
        argv.append("--no-dashboard")
    say(f"demo: {len(tasks)} tasks, scripted models, run folder {run_dir}")
    return cmd_run(build_parser().parse_args(argv), report=True)

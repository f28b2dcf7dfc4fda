"""The anti-overfitting gate: leak scan on realistic task folders, reflection with scripted judges."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from meta.gates.overfit import GateResult, LeakReport, Verdict, added_lines, gate, reflect, scan_leaks
from meta.gates.reviewer import NO_VERDICT, QUESTION, SYSTEM_PROMPT
from meta.workspace.worktree import Workspace
from sandbox.task import Task, load_task
from models import ModelUnavailableError, create_model
from tests.helpers import make_task

BOILERPLATE_TEST_SH = """#!/bin/bash
rm -f /logs/verifier/reward.txt /logs/verifier/reward.json
if ! python3 /tests/verify.py; then echo '{"reward": 0}' > /logs/verifier/reward.json; fi
"""

SALES_VERIFY = '''"""Partial credit: one point per correct region total in /app/results/summary.csv."""
import csv
import json
import subprocess

EXPECTED = {"north": "48213.75", "south": "39120.40", "west": "27781.05"}
SOURCE_TAG = "acme-orders-v3"
TIMEOUT = 1800


def main():
    path = "/app/results/summary.csv"
    try:
        rows = list(csv.reader(open(path)))
    except OSError as exc:
        print("cannot read output file", exc)  # don't crash here: the reward file must always exist
        return write(0)
    got = {r[0]: r[1] for r in rows[1:] if len(r) == 2}
    good = sum(got.get(k) == v for k, v in EXPECTED.items())
    check = subprocess.run(["wc", "-l", path], capture_output=True, text=True, timeout=30)
    print(check.stdout, "database")
    write(good / len(EXPECTED))


def write(score):
    with open("/logs/verifier/reward.json", "w") as f:
        json.dump({"reward": score, "buffer": 4096}, f)


main()
'''
SALES_INSTRUCTION = (
    "Read the order export at `/app/data/orders.csv` and write `/app/results/summary.csv` with the\n"
    "header `region,total`. Ignore cancelled orders (status column equals `X`) and round every\n"
    "total to exactly two decimals. Regions are case-insensitive and must be written in lower case."
)
GENERIC_INSTRUCTIONS = {
    "git-lost-commit": "A commit was lost after a reset in /app/repo. Recover it onto a branch named rescue.",
    "nginx-port-fix": "The web server in this container fails to start. Fix its configuration so it serves\n"
                      "the health endpoint on port 8080.",
    "build": "The C project in /app/src does not compile. Make `make` succeed without changing the tests.",
    "log-digest": "Summarise /var/log/app/events.log into /app/digest.json as described in /app/FORMAT.md.",
}


def _verify_for(name: str) -> str:
    return (f'import json\nOUT = "/app/{name}.out"\n'
            'try:\n    data = open(OUT).read()\nexcept OSError as exc:\n'
            '    print("cannot read output file", exc)\n    data = ""\n'
            f'json.dump({{"reward": int("{name}-ok" in data)}}, open("/logs/verifier/reward.json", "w"))\n')


@pytest.fixture(scope="module")
def tasks(tmp_path_factory) -> list[Task]:
    root = tmp_path_factory.mktemp("tasks")
    found = [load_task(make_task(
        root, "sales-report",
        toml='[task]\nname = "acme/sales-report"\n[verifier]\ntimeout_sec = 60\n',
        instruction=SALES_INSTRUCTION,
        test_sh=BOILERPLATE_TEST_SH,
        solve_sh="#!/bin/bash\nmkdir -p /app/results\n"
                 "awk -F, 'NR>1 && $4!=\"X\" {t[tolower($2)]+=$3} "
                 "END {for (r in t) printf \"%s,%.2f\\n\", r, t[r]}' "
                 "/app/data/orders.csv > /app/results/summary.csv\n",
        files={"tests/verify.py": SALES_VERIFY,
               "tests/expected_summary.csv": "region,total\nnorth,48213.75\nsouth,39120.40\nwest,27781.05\n"},
    ))]
    for name, instruction in GENERIC_INSTRUCTIONS.items():
        found.append(load_task(make_task(root, name, instruction=instruction, test_sh=BOILERPLATE_TEST_SH,
                                         files={"tests/verify.py": _verify_for(name)})))
    return found


BASELINE = '''SYSTEM_PROMPT = """You are an expert Linux operator. Work in /app unless told otherwise.
Run one command at a time with the bash tool and read its output. Call finish when done."""
MAX_TURNS = 40
'''


def kinds(report: LeakReport) -> set[tuple[str, str]]:
    return {(f.task_id, f.kind) for f in report.findings}


def test_generic_prompt_lines_are_not_leaks(tasks):
    added = [
        '    "Verify your output file exists before finishing."',
        '    "Verify your output file exists before finishing"',
        '    "If a command fails, read the error message before retrying.\\n"',
        '    "Round numbers only when the task says so, and check the output format twice.\\n"',
        '    "Run the build before finishing, and re-read the instructions for file names."',
        '    "Use a database client instead of parsing database files by hand."',
        "MAX_TURNS = 60",
        "OUTPUT_LIMIT = 4096",
        "TIMEOUT_SEC = 1800",
        '    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)',
        '    "Never write to /logs/verifier/reward.txt; use /tmp/scratch.txt or /usr/bin/python3 freely."',
        '    "If you cannot read output file contents, list the directory first."',
    ]
    report = scan_leaks(added, tasks, BASELINE)
    assert report.ok, report.findings
    assert report.findings == []


def test_a_hardcoded_expected_output_is_caught(tasks):
    report = scan_leaks(['    "When summarising orders, the north total is 48213.75."'], tasks, BASELINE)
    assert not report.ok
    assert ("sales-report", "number") in kinds(report)
    evidence = " ".join(f.evidence for f in report.findings)
    assert "48213.75" in evidence and "tests/" in evidence


def test_an_expected_output_line_is_caught(tasks):
    report = scan_leaks(['ANSWERS = ["south,39120.40"]'], tasks, BASELINE)
    assert ("sales-report", "expected_line") in kinds(report)


def test_task_name_mentions_are_caught_in_any_spelling(tasks):
    for line in ('    "For sales-report: sort regions by total."',
                 "if 'SALES_REPORT' in instruction: hints.append('dedupe')",
                 '    "Tasks like acme/sales-report need two decimals."'):
        report = scan_leaks([line], tasks, BASELINE)
        assert ("sales-report", "task_name") in kinds(report), line
    # A short one-word task id ("build") is an ordinary word, not a mention.
    assert scan_leaks(['    "Build with make."'], tasks, BASELINE).ok


def test_a_verifier_path_is_caught(tasks):
    report = scan_leaks(['    "Always write results to /app/results/summary.csv."'], tasks, BASELINE)
    assert ("sales-report", "path") in kinds(report)
    assert any("/app/results/summary.csv" in f.evidence for f in report.findings)


def test_literals_already_in_the_baseline_are_not_leaks(tasks):
    baseline = BASELINE + 'DEFAULT_OUTPUT = "/app/results/summary.csv"\n'
    assert scan_leaks(['OUTPUTS = ["/app/results/summary.csv"]'], tasks, baseline).ok


def test_quoted_strings_of_verifiers_and_solutions_are_caught(tasks):
    report = scan_leaks(['    "Exports tagged acme-orders-v3 need cleaning."'], tasks, BASELINE)
    assert kinds(report) == {("sales-report", "string")}
    awk = "awk -F, 'NR>1 && $4!=\"X\" {t[tolower($2)]+=$3} END {for (r in t) printf \"%s,%.2f\\n\", r, t[r]}'"
    report = scan_leaks([f"    SNIPPET = {awk!r}"], tasks, BASELINE)
    assert not report.ok and all(f.task_id == "sales-report" for f in report.findings)
    assert any("solution/solve.sh" in f.evidence for f in report.findings)
    # One finding per literal: a number that is also a quoted string is reported once.
    report = scan_leaks(["KNOWN = {'west': '27781.05'}"], tasks, BASELINE)
    assert len([f for f in report.findings if "27781.05" in f.evidence]) == 1


def test_copying_a_passage_of_an_instruction_is_caught(tasks):
    added = ['    "Ignore cancelled orders (status column equals X) and round every total to exactly two"',
             '    " decimals.\\n"']
    report = scan_leaks(added, tasks, BASELINE)
    shared = [f for f in report.findings if f.kind == "shared_text"]
    assert shared and shared[0].task_id == "sales-report"
    assert "instruction.md" in shared[0].evidence


def test_copying_a_verifier_comment_is_caught_but_its_code_idioms_are_not(tasks):
    copied = ['    "Don\'t crash here: the reward file must always exist, so write it first."']
    assert not scan_leaks(copied, tasks, BASELINE).ok
    idiom = ['    got = {r[0]: r[1] for r in rows[1:] if len(r) == 2}  # parse rows']
    assert scan_leaks(idiom, tasks, BASELINE).ok


def test_text_shared_by_many_tasks_is_generic(tasks):
    # In every task's verifier: harness boilerplate, not knowledge of one task.
    assert scan_leaks(['print("cannot read output file")'], tasks, BASELINE).ok


def test_nothing_to_scan(tasks):
    assert scan_leaks([], tasks, BASELINE).ok
    assert scan_leaks(["x = 1"], [], BASELINE).ok


def test_added_lines_reads_hunk_bodies_only():
    diff = (
        "diff --git a/task_agent/agent.py b/task_agent/agent.py\n"
        "--- a/task_agent/agent.py\n+++ b/task_agent/agent.py\n"
        "@@ -1,2 +1,3 @@\n MAX_TURNS = 40\n-OLD = 1\n+NEW = 2\n++++counter\n"
        "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n"
        "@@ -0,0 +1 @@\n+print('hi')\n"
    )
    assert added_lines(diff) == ["NEW = 2", "+++counter", "print('hi')"]


def script(tmp_path: Path, responses: list[dict], name: str = "judge.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(responses))
    return f"scripted:{path}"


def verdict_call(worthwhile, reason="General verification habit.") -> dict:
    return {"tool_calls": [{"name": "verdict", "arguments": {"worthwhile": worthwhile, "reason": reason}}]}


DIFF = "--- a/agent.py\n+++ b/agent.py\n@@ -1 +1,2 @@\n MAX_TURNS = 40\n+CHECK = True\n"


async def test_reflect_reads_the_verdict_tool_call(tmp_path):
    model = create_model(script(tmp_path, [verdict_call(True)]), role="judge")
    verdict = await reflect(model, diff=DIFF, description="Check outputs", hypothesis="Fewer sloppy finishes")
    assert verdict == Verdict(True, "General verification habit.",
                              json.dumps({"worthwhile": True, "reason": "General verification habit."}))
    request = model.requests[0]
    assert request["system"] == SYSTEM_PROMPT
    assert [t["name"] for t in request["tools"]] == ["verdict"]
    schema = request["tools"][0]["input_schema"]
    assert schema["properties"]["worthwhile"]["type"] == "boolean"
    assert schema["required"] == ["worthwhile", "reason"]
    assert request["max_tokens"] <= 2048
    prompt = request["messages"][0]["content"]
    assert QUESTION in prompt and "+CHECK = True" in prompt and "Fewer sloppy finishes" in prompt
    model.assert_complete()


async def test_reflect_hides_task_names(tmp_path):
    model = create_model(script(tmp_path, [verdict_call(False, "Special-cases one task.")]), role="judge")
    verdict = await reflect(model, diff=DIFF, description="Fix sales-report and SALES_REPORT",
                            hypothesis="acme/sales-report fails on rounding",
                            redact_names=["sales-report", "acme/sales-report"])
    assert not verdict.worthwhile and verdict.reason == "Special-cases one task."
    prompt = model.requests[0]["messages"][0]["content"]
    assert "sales" not in prompt.lower() and prompt.count("<task>") == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('I think so.\n```json\n{"worthwhile": true, "reason": "general"}\n```', True),
        ('Verdict: {"worthwhile": "no", "reason": "hardcodes a path"}', False),
    ],
)
async def test_reflect_accepts_a_clear_json_answer_in_text(tmp_path, text, expected):
    model = create_model(script(tmp_path, [{"text": text}]), role="judge")
    verdict = await reflect(model, diff=DIFF, description="d", hypothesis="h")
    assert verdict.worthwhile is expected and verdict.raw == text
    model.assert_complete()


async def test_reflect_reminds_once_then_gives_up(tmp_path):
    answers = [{"text": "Looks fine to me, probably worthwhile."},
               {"text": '{"worthwhile": true} or maybe {"worthwhile": false}'}]
    model = create_model(script(tmp_path, answers), role="judge")
    verdict = await reflect(model, diff=DIFF, description="d", hypothesis="h")
    assert verdict.worthwhile is False and verdict.reason == NO_VERDICT
    assert "probably worthwhile" in verdict.raw
    second = model.requests[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert "verdict" in second[2]["content"][-1]["text"]
    model.assert_complete()


async def test_reflect_answers_a_malformed_call_before_the_reminder(tmp_path):
    answers = [{"tool_calls": [{"id": "toolu_1", "name": "verdict", "arguments": {"worthwhile": "maybe"}}]},
               verdict_call(True, "Fine.")]
    model = create_model(script(tmp_path, answers), role="judge")
    verdict = await reflect(model, diff=DIFF, description="d", hypothesis="h")
    assert verdict.worthwhile and verdict.reason == "Fine."
    reminder = model.requests[1]["messages"][2]["content"]
    assert reminder[0]["type"] == "tool_result" and reminder[0]["tool_use_id"] == "toolu_1"
    assert reminder[0]["is_error"] is True


async def test_reflect_with_an_empty_first_reply_resends_one_user_turn(tmp_path):
    model = create_model(script(tmp_path, [{"text": ""}, verdict_call(False, "Overfit.")]), role="judge")
    verdict = await reflect(model, diff=DIFF, description="d", hypothesis="h")
    assert verdict == Verdict(False, "Overfit.", json.dumps({"worthwhile": False, "reason": "Overfit."}))
    assert [m["role"] for m in model.requests[1]["messages"]] == ["user"]


LEAKY_DIFF = ("--- a/agent.py\n+++ b/agent.py\n@@ -1 +1,2 @@\n MAX_TURNS = 40\n"
              '+HINT = "north total is 48213.75"\n')
CLEAN_DIFF = ("--- a/agent.py\n+++ b/agent.py\n@@ -1 +1,2 @@\n MAX_TURNS = 40\n"
              '+HINT = "Verify your output file exists before finishing."\n')


async def test_gate_rejects_a_leak_without_asking_the_judge(tmp_path, tasks):
    judge = create_model(script(tmp_path, []), role="judge")
    result = await gate(judge, diff=LEAKY_DIFF, description="d", hypothesis="h", tasks=tasks,
                        baseline_source=BASELINE)
    assert (result.passed, result.status, result.verdict) == (False, "overfit", None)
    assert "sales-report" in result.reason and "48213.75" in result.reason
    assert judge.requests == []


async def test_gate_passes_a_clean_worthwhile_edit(tmp_path, tasks):
    judge = create_model(script(tmp_path, [verdict_call(True)]), role="judge")
    result = await gate(judge, diff=CLEAN_DIFF, description="verify outputs", hypothesis="h", tasks=tasks,
                        baseline_source=BASELINE)
    assert result == GateResult(True, "ok", LeakReport([]), result.verdict, result.reason)
    assert result.verdict.worthwhile and "General verification habit." in result.reason


async def test_gate_rejects_what_the_judge_finds_not_worthwhile(tmp_path, tasks):
    judge = create_model(script(tmp_path, [verdict_call(False, "Only helps CSV rollups.")]), role="judge")
    result = await gate(judge, diff=CLEAN_DIFF, description="for sales-report", hypothesis="h", tasks=tasks,
                        baseline_source=BASELINE)
    assert (result.passed, result.status) == (False, "overfit")
    assert result.leak.ok and "Only helps CSV rollups." in result.reason
    assert "sales-report" not in judge.requests[0]["messages"][0]["content"]


async def test_gate_without_a_judge_runs_the_scan_only(tasks):
    result = await gate(None, diff=CLEAN_DIFF, description="d", hypothesis="h", tasks=tasks,
                        baseline_source=BASELINE)
    assert result.passed and result.verdict is None


async def test_an_unreachable_judge_is_an_error_not_a_verdict(tmp_path, tasks):
    judge = create_model(script(tmp_path, [{"error": "unavailable"}]), role="judge")
    with pytest.raises(ModelUnavailableError):
        await gate(judge, diff=CLEAN_DIFF, description="d", hypothesis="h", tasks=tasks,
                   baseline_source=BASELINE)


def _repo_with_baseline(repo):
    (repo / "task_agent").mkdir(parents=True)
    (repo / "task_agent" / "agent.py").write_text(BASELINE)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init"],
                   cwd=repo, check=True)


async def test_gate_on_a_real_workspace_diff(tmp_path, tasks):
    repo = tmp_path / "repo"
    _repo_with_baseline(repo)
    ws = Workspace.create(repo, tmp_path / "run", "g1")
    base = ws.head()
    ws.write_agent(BASELINE.replace("MAX_TURNS = 40", 'MAX_TURNS = 40\nOUT = "/app/results/summary.csv"'))
    result = await gate(None, diff=ws.diff(base), description="d", hypothesis="h", tasks=tasks,
                        baseline_source=BASELINE)
    assert not result.passed and ("sales-report", "path") in kinds(result.leak)

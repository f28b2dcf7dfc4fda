"""`climb export`: a climbed agent.py as a Harbor agent, after a leak scan.

From a climb's run folder (its final incumbent, or ``--commit``) or an agent.py file,
it writes ``OUT/<module>/`` with the agent file, an ``__init__.py`` whose class
subclasses ``task_agent.harbor_agent.ClimbHarborAgent``, and ``export.json`` (where it
came from, its hash, the leak scan). Then it prints the ``harbor run`` commands: one for
the climb's own tasks and a leaderboard-ready one (``-k 5``, no timeout or resource
overrides).

The leak scan is the climb's own (``meta.gates.leaks``): the lines the climb added to
the agent (against the run's baseline, or the shipped agent.py for a bare file) are
checked against every task's name, instruction, tests and solution. Findings refuse the
export (exit 2): a leaderboard takes down a submission with task-specific content.
``--allow-leaks`` writes it anyway, says so loudly and records the findings.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shlex
import shutil
import sys
from argparse import Namespace
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

from rich.console import Console

import task_agent
from meta.climb.state import ClimbState
from meta.gates.leaks import LeakReport, added_lines, scan_leaks
from meta.ledger.store import Ledger
from sandbox.task import Task, discover

console = Console(stderr=True)
LEADERBOARD_DATASET = "terminal-bench/terminal-bench-2-1"
CLASS_NAME = "ClimbedAgent"
FORMAT_VERSION = 1


class ExportError(Exception):
    """The source or the tasks cannot be exported from, with the path and cause."""


@dataclass(frozen=True)
class Source:
    """What is exported and what it is checked against."""

    agent_file: Path
    version: str
    """The commit it came from, or the file's hash for a bare agent.py."""
    baseline: str
    """Source whose lines are not the climb's work (the run's baseline or the shipped agent.py)."""
    task_paths: list[Path]
    task_model: str | None
    """The model the climb fixed (--task-model), if any: the exported agent was measured with it."""
    run_dir: Path | None = None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resolve_source(path: Path, commit: str | None, tasks: list[Path] | None) -> Source:
    """A run folder's incumbent (or ``commit``), or an agent.py file.

    Raises:
        ExportError: naming the path and what is missing.
    """
    path = path.resolve()
    shipped = (Path(task_agent.__file__).parent / "agent.py").read_text()
    if path.is_file():
        if commit:
            raise ExportError(f"--commit needs a run folder, and {path} is a file")
        if not tasks:
            raise ExportError(f"{path} is an agent file: name the tasks to scan it against with --tasks")
        return Source(path, _digest(path.read_bytes())[:12], shipped, tasks, None)
    if not (path / "state.json").is_file():
        raise ExportError(f"{path}: neither an agent.py nor a climb run folder (no state.json)")
    state = ClimbState.from_json(Ledger(path).load_state() or {})
    config = json.loads((path / "config.json").read_text()) if (path / "config.json").is_file() else {}
    if commit:
        found = sorted((path / "agents").glob(f"{commit}*.py"))
        if len(found) != 1:
            names = ", ".join(p.stem for p in sorted((path / "agents").glob("*.py"))) or "none"
            raise ExportError(f"{path}/agents: {len(found)} agents match --commit {commit} (there are: {names})")
        agent_file, version = found[0], found[0].stem
    elif state.incumbent is not None:
        agent_file, version = Path(state.incumbent.agent_file), state.incumbent.commit
    else:
        raise ExportError(f"{path}: the climb has no incumbent yet (state.json); give --commit")
    if not agent_file.is_file():
        raise ExportError(f"{agent_file}: the run's snapshot of agent.py is missing")
    baseline = Path(state.baseline.agent_file) if state.baseline else None
    task_paths = tasks or [Path(p) for p in config.get("tasks", [])]
    if not task_paths:
        raise ExportError(f"{path}/config.json names no tasks: give --tasks")
    return Source(agent_file, version, baseline.read_text() if baseline and baseline.is_file() else shipped,
                  task_paths, config.get("task_model"), path)


def load_scan_tasks(paths: list[Path]) -> list[Task]:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ExportError(f"task folders to scan against are gone: {', '.join(missing)} (give --tasks)")
    found = discover(*paths)
    for error in found.errors:
        console.print(f"[yellow]task error (not scanned)[/yellow] {error}")
    if not found.tasks:
        raise ExportError(f"no tasks under {', '.join(map(str, paths))} to scan the agent against")
    return found.tasks


def leak_scan(source: Source, tasks: list[Task]) -> LeakReport:
    """The climb's leak scan over what the agent adds to its baseline."""
    diff = "".join(difflib.unified_diff(source.baseline.splitlines(keepends=True),
                                        source.agent_file.read_text().splitlines(keepends=True),
                                        "a/agent.py", "b/agent.py"))
    return scan_leaks(added_lines(diff), tasks, source.baseline)


def _init_source(source: Source, module: str, sha256: str) -> str:
    return (f'"""harness-climb agent {source.version}, exported by `climb export` as a Harbor agent.\n\n'
            f"Run it with: harbor run -p TASKS --agent {module}:{CLASS_NAME} (this folder's parent on\n"
            'PYTHONPATH, harness-climb installed: its runtime runs agent.py).\n"""\n\n'
            "from pathlib import Path\n\n"
            "from task_agent.harbor_agent import ClimbHarborAgent\n\n\n"
            f"class {CLASS_NAME}(ClimbHarborAgent):\n"
            '    AGENT_FILE = Path(__file__).resolve().parent / "agent.py"\n'
            f"    AGENT_VERSION = {source.version!r}\n"
            f"    AGENT_SHA256 = {sha256!r}\n")


def write_export(source: Source, report: LeakReport, out: Path, module: str, scanned: int) -> Path:
    """Write OUT/<module>/ (agent.py, __init__.py, export.json); returns the package folder."""
    package = out / module
    if package.exists():
        shutil.rmtree(package)
    package.mkdir(parents=True)
    data = source.agent_file.read_bytes()
    (package / "agent.py").write_bytes(data)
    sha256 = _digest(data)
    (package / "__init__.py").write_text(_init_source(source, module, sha256))
    record = {
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(source.run_dir or source.agent_file),
        "version": source.version,
        "agent_sha256": sha256,
        "task_model": source.task_model,
        "leak_scan": {"tasks": scanned, "ok": report.ok,
                      "findings": [{"task": f.task_id, "kind": f.kind, "evidence": f.evidence}
                                   for f in report.findings]},
    }
    (package / "export.json").write_text(json.dumps(record, indent=2) + "\n")
    return package


def harbor_commands(out: Path, module: str, task_paths: list[Path], task_model: str | None,
                    dataset: str = LEADERBOARD_DATASET) -> tuple[list[str], str]:
    """(``harbor run`` on the climb's tasks, one per task path; the leaderboard command)."""
    local = Path(sys.executable).parent / "harbor"
    harbor = str(local) if local.is_file() else "harbor"
    prefix = f"PYTHONPATH={shlex.quote(str(out.resolve()))} {shlex.quote(harbor)} run"
    agent = f"--agent {module}:{CLASS_NAME}"
    model = f" -m {shlex.quote(task_model)}" if task_model else ""
    runs = [f"{prefix} -p {shlex.quote(str(p))} {agent}{model}" for p in task_paths]
    return runs, f"{prefix} -d {dataset} {agent}{model} -k 5"


def cmd_export(args: Namespace) -> int:
    try:
        source = resolve_source(Path(args.source), args.commit, args.tasks)
        tasks = load_scan_tasks(source.task_paths)
    except ExportError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    report = leak_scan(source, tasks)
    for finding in report.findings:
        console.print(f"[red]leak[/red] {finding.task_id}: {finding.kind}: {finding.evidence}")
    if not report.ok and not args.allow_leaks:
        console.print(f"[red]refused:[/red] {len(report.findings)} piece(s) of task data in the agent "
                      f"({source.agent_file}). A leaderboard takes such a submission down; remove them, or "
                      "export anyway with --allow-leaks (for your own use).")
        return 2
    package = write_export(source, report, Path(args.out), args.module, len(tasks))
    if not report.ok:
        console.print(f"[bold red]WARNING: exported WITH {len(report.findings)} leak finding(s) (--allow-leaks); "
                      "do not submit it to a leaderboard.[/bold red]")
    else:
        console.print(f"leak scan: clean against {len(tasks)} task(s)")
    console.print(f"wrote {package} (agent {source.version})")
    dataset = args.dataset or LEADERBOARD_DATASET
    runs, leaderboard = harbor_commands(Path(args.out), args.module, source.task_paths, source.task_model, dataset)
    print("# run it with Harbor on the climb's tasks (model keys from your environment, as usual):")
    for line in runs:
        print(line)
    print(f"# leaderboard run ({dataset}: 5 trials per task, no timeout or resource overrides):")
    print(leaderboard)
    print("# then upload the job folder it prints (harbor upload jobs/<job>) and submit as the leaderboard asks")
    return 0

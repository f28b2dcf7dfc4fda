"""The house rules: which package and which room of meta/ may import which.

Arrows go meta -> task_agent -> sandbox and meta/task_agent -> models, never back up; everyone may
use durable (stdlib-only file writes), which imports nothing of ours; the pure
rooms of meta/ (decide, ledger, workspace) touch no sandbox, model, Docker or SDK code; what
the jail runs is stdlib-only; and no two files import each other, however indirectly.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from task_agent.jail import RUNTIME_FILES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sandbox", "task_agent", "models", "meta", "durable")
LEAVES = {"durable"}
"""Imported by anyone, importing nothing of ours."""
OURS = set(PACKAGES)
THIRD_PARTY_IO = {"docker", "anthropic", "openai", "requests", "urllib3", "httpx", "harbor"}
PURE_ROOMS = ("decide", "ledger", "workspace")
ROOM_MAY_IMPORT = {
    "cli": {"cli", "climb", "proposer", "decide", "gates", "ledger", "workspace", "pairings", "report"},
    "climb": {"climb", "proposer", "decide", "gates", "ledger", "workspace"},
    "pairings": {"pairings", "climb", "proposer", "decide", "gates", "ledger", "workspace"},
    "report": {"report", "ledger", "pairings", "decide"},
    "proposer": {"proposer"},
    "gates": {"gates"},
    "decide": {"decide"},
    "ledger": {"ledger"},
    "workspace": {"workspace"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


SOURCES = _sources()


def _imports(path: Path) -> set[str]:
    """Every module a file imports, wherever the import statement is (functions and
    TYPE_CHECKING blocks included: a cycle hidden in a function is still a cycle)."""
    found: set[str] = set()
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            for alias in node.names:  # `from meta.cli import spot` imports the module meta.cli.spot
                if f"{base}.{alias.name}" in SOURCES:
                    found.add(f"{base}.{alias.name}")
    return found


IMPORTS = {name: _imports(path) for name, path in SOURCES.items()}


def _top(name: str) -> str:
    return name.split(".")[0]


def _room(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "meta" and len(parts) > 2 else None


def _violations(rule) -> list[str]:
    return [f"{module} imports {target}" for module, targets in sorted(IMPORTS.items())
            for target in sorted(targets) if rule(module, target)]


def test_every_file_is_seen():
    assert {"sandbox.trial", "task_agent.host", "models.factory", "meta.climb.loop", "meta.cli.main"} <= set(SOURCES)


def test_sandbox_imports_nothing_of_ours():
    assert _violations(lambda m, t: _top(m) == "sandbox" and _top(t) in OURS - {"sandbox"} - LEAVES) == []


def test_models_imports_nothing_of_ours():
    assert _violations(lambda m, t: _top(m) == "models" and _top(t) in OURS - {"models"} - LEAVES) == []


def test_leaves_import_nothing_of_ours_and_only_the_stdlib():
    allowed = set(sys.stdlib_module_names) | LEAVES
    assert _violations(lambda m, t: _top(m) in LEAVES and _top(t) not in allowed) == []


def test_task_agent_never_imports_meta():
    assert _violations(lambda m, t: _top(m) == "task_agent" and _top(t) == "meta") == []


def test_what_the_jail_runs_is_stdlib_only():
    jailed = {_module_name(ROOT / rel) for rel in RUNTIME_FILES}
    assert "task_agent.runtime" in jailed and "models.messages" in jailed
    allowed = set(sys.stdlib_module_names) | jailed

    def outside(module: str, target: str) -> bool:
        # models/__init__ names its submodules only lazily (importlib) and under TYPE_CHECKING.
        return module in jailed and module != "models" and target not in allowed and _top(target) not in allowed

    assert _violations(outside) == []


def test_the_lazy_models_package_loads_no_sdk_in_a_fresh_interpreter():
    import subprocess

    code = ("import sys, models.messages, task_agent.runtime; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('anthropic', 'openai', 'pydantic', 'httpx')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("room", PURE_ROOMS)
def test_pure_rooms_touch_no_sandbox_models_or_io_sdks(room):
    def impure(module: str, target: str) -> bool:
        return _room(module) == room and (_top(target) in {"sandbox", "task_agent", "models"} | THIRD_PARTY_IO)

    assert _violations(impure) == []


def test_rooms_of_meta_import_only_downwards():
    def wrong(module: str, target: str) -> bool:
        src, dst = _room(module), _room(target)
        return src is not None and dst is not None and dst not in ROOM_MAY_IMPORT[src]

    assert _violations(wrong) == []
    rooms = {_room(m) for m in SOURCES} - {None}
    assert rooms == set(ROOM_MAY_IMPORT), "a new room needs its rules here and a docstring in its __init__.py"


def test_every_room_says_what_it_owns():
    for pkg in [*PACKAGES, *(f"meta.{room}" for room in ROOM_MAY_IMPORT)]:
        path = SOURCES[pkg]
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert len(doc.split()) >= 12, f"{path} needs a paragraph saying what it owns and may import"


def test_no_two_files_import_each_other_even_indirectly():
    graph = {m: {t for t in targets if t in SOURCES and t != m} for m, targets in IMPORTS.items()}
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    graph = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_command_line_loads_only_the_parser_until_a_command_runs():
    """`climb ... --help` must stay fast (bench/cli_startup.py): no Docker, SDK, pydantic or rich."""
    import subprocess

    heavy = ("docker", "anthropic", "openai", "pydantic", "rich", "httpx", "matplotlib", "requests")
    code = ("import sys, meta.cli.main as m; m.build_parser().parse_args(['run', 'tasks']); "
            f"print(sorted({{n.split('.')[0] for n in sys.modules}} & set({heavy!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_readme_layout_names_every_module():
    """The README's layout listing is the tree: every module of a package or room, and no other."""
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("```\nsandbox/"):]
    block = block[:block.index("```", 4)]
    listed: dict[str, set[str]] = {}
    folder = top = ""
    for line in block.splitlines():
        head = line.split()[0] if line.strip() else ""
        if head.endswith("/") and not line.startswith(" "):
            top = folder = head.rstrip("/")
        elif head.endswith("/") and line.startswith("  "):
            folder = f"{top}/{head.rstrip('/')}"
        listed.setdefault(folder, set()).update(re.findall(r"\b(\w+\.py)\b", line))
    for pkg in [*PACKAGES, *(f"meta/{room}" for room in ROOM_MAY_IMPORT)]:
        actual = {p.name for p in (ROOT / pkg).glob("*.py") if p.name != "__init__.py"}
        assert listed.get(pkg, set()) - {"__init__.py"} == actual, f"README layout of {pkg}/"

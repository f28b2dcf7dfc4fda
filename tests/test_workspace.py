"""The climb worktree: creation, scope enforcement, commit/reset/remove, on real git repos."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from meta.workspace.worktree import (
    Complexity,
    ScopeError,
    Workspace,
    WorkspaceError,
    count_complexity,
)
from meta.workspace.scope import EDITABLE_BEGIN, EDITABLE_END, region_violations

AGENT = "task_agent/agent.py"
AGENT_TEXT = 'SYSTEM_PROMPT = "You are a careful agent."\nMAX_TURNS = 30\n'
REGION_TEXT = (
    "import json\n"
    f"{EDITABLE_BEGIN}\n"
    'SYSTEM_PROMPT = "You are a careful agent."\n'
    f"{EDITABLE_END}\n"
    'MODEL = "anthropic:claude-sonnet-4-5"\n'
    f"{EDITABLE_BEGIN}\n"
    "MAX_TURNS = 30\n"
    f"{EDITABLE_END}\n"
    "def run():\n    return 1\n"
)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.rstrip()


@pytest.fixture(autouse=True)
def no_git_identity(tmp_path, monkeypatch):
    """Like a fresh machine: no global or system git config, so no identity."""
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                 "EMAIL"):
        monkeypatch.delenv(name, raising=False)


def make_repo(root: Path, agent_text: str = AGENT_TEXT) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "task_agent").mkdir()
    (root / AGENT).write_text(agent_text)
    (root / "README.md").write_text("readme\n")
    (root / ".gitignore").write_text("__pycache__/\n*.log\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    return root


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def ws(repo, tmp_path) -> Workspace:
    return Workspace.create(repo, tmp_path / "run", "r1")


def test_create_makes_a_worktree_on_a_climb_branch_without_touching_the_checkout(repo, tmp_path):
    before_status = git(repo, "status", "--porcelain")
    ws = Workspace.create(repo, tmp_path / "run", "r1")
    assert ws.path == (tmp_path / "run" / "workspace").resolve()
    assert ws.branch == "climb/r1"
    assert git(ws.path, "rev-parse", "--abbrev-ref", "HEAD") == "climb/r1"
    assert ws.head() == git(repo, "rev-parse", "HEAD")
    assert ws.agent_source() == AGENT_TEXT
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "status", "--porcelain") == before_status


def test_uncommitted_agent_edits_become_the_baseline_commit(repo, tmp_path):
    edited = AGENT_TEXT + "# the user's local tweak\n"
    (repo / AGENT).write_text(edited)
    repo_head = git(repo, "rev-parse", "HEAD")
    ws = Workspace.create(repo, tmp_path / "run", "r1")
    assert ws.agent_source() == edited
    assert git(ws.path, "log", "-1", "--format=%s") == "baseline: agent.py from the working tree"
    assert git(ws.path, "log", "-1", "--format=%an <%ae>") == "harness-climb <climb@localhost>"
    assert git(ws.path, "rev-parse", "HEAD~1") == repo_head
    assert git(ws.path, "status", "--porcelain") == ""
    # The user's checkout keeps its uncommitted edit and its HEAD.
    assert (repo / AGENT).read_text() == edited
    assert git(repo, "rev-parse", "HEAD") == repo_head


def test_untracked_agent_file_becomes_the_baseline(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    (repo / "task_agent").mkdir()
    (repo / AGENT).write_text(AGENT_TEXT)
    ws = Workspace.create(repo, tmp_path / "run", "r1")
    assert ws.agent_source() == AGENT_TEXT
    assert git(ws.path, "ls-files", AGENT) == AGENT


def test_agent_path_is_relative_to_the_repo_given_even_in_a_subfolder(tmp_path):
    mono = tmp_path / "mono"
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    (mono / "pkg" / "task_agent").mkdir(parents=True)
    (mono / "pkg" / AGENT).write_text(AGENT_TEXT)
    git(mono, "add", "-A")
    git(mono, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    ws = Workspace.create(mono / "pkg", tmp_path / "run", "r1")
    assert ws.agent_path == "pkg/task_agent/agent.py"
    assert ws.agent_source() == AGENT_TEXT


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("not_git", "is not a git repository"),
        ("no_commits", "has no commits"),
        ("no_agent", "does not exist"),
        ("branch_exists", "already exists"),
        ("bad_run_id", "valid branch name"),
    ],
)
def test_create_errors_are_clear(tmp_path, setup, message):
    root = tmp_path / "repo"
    run_id = "r1"
    if setup == "not_git":
        root.mkdir()
    elif setup == "no_commits":
        root.mkdir()
        git(root, "init", "-q")
    elif setup == "no_agent":
        make_repo(root)
        (root / AGENT).unlink()
    elif setup == "branch_exists":
        make_repo(root)
        git(root, "branch", "climb/r1")
    else:
        make_repo(root)
        run_id = "bad..id"
    with pytest.raises(WorkspaceError, match=message):
        Workspace.create(root, tmp_path / "run", run_id)


def test_create_refuses_an_existing_workspace_folder_and_leaves_no_branch(repo, tmp_path):
    (tmp_path / "run" / "workspace").mkdir(parents=True)
    with pytest.raises(WorkspaceError, match="already exists"):
        Workspace.create(repo, tmp_path / "run", "r1")
    assert git(repo, "branch", "--list", "climb/*") == ""


def test_open_validates_the_worktree(ws, repo, tmp_path):
    again = Workspace.open(ws.path)
    assert (again.path, again.branch, again.agent_path) == (ws.path, "climb/r1", AGENT)
    with pytest.raises(WorkspaceError, match="main checkout"):
        Workspace.open(repo)
    with pytest.raises(WorkspaceError, match="not its root"):
        Workspace.open(ws.path / "task_agent")
    with pytest.raises(WorkspaceError, match="not a git worktree"):
        Workspace.open(tmp_path / "nowhere")
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "other"))
    with pytest.raises(WorkspaceError, match="not a climb/ branch"):
        Workspace.open(tmp_path / "other")
    with pytest.raises(WorkspaceError, match="not in the commit"):
        Workspace.open(ws.path, agent_path="task_agent/nope.py")


def test_open_recovers_from_a_climb_killed_mid_candidate(ws):
    base = ws.head()
    (ws.path / AGENT).unlink()
    lock = Path(git(ws.path, "rev-parse", "--path-format=absolute", "--git-path", "index.lock"))
    lock.write_text("")  # as left by a process killed inside `git commit`
    resumed = Workspace.open(ws.path)
    assert not lock.exists()
    resumed.reset(base)
    assert resumed.agent_source() == AGENT_TEXT
    resumed.write_agent(AGENT_TEXT + "Z = 1\n")
    assert resumed.commit("exp 1") != base


def test_diff_and_changed_files_include_untracked_but_not_ignored_files(ws):
    base = ws.head()
    ws.write_agent(AGENT_TEXT + "EXTRA = 1\n")
    (ws.path / "helper.py").write_text("print('new file')\n")
    (ws.path / "__pycache__").mkdir()
    (ws.path / "__pycache__" / "agent.cpython-311.pyc").write_bytes(b"\0\1")
    assert ws.changed_files(base) == ["helper.py", AGENT]
    diff = ws.diff(base)
    assert "+EXTRA = 1" in diff
    assert "b/helper.py" in diff and "+print('new file')" in diff
    assert "__pycache__" not in diff
    # The real index is untouched: helper.py is still untracked, nothing is staged.
    assert git(ws.path, "status", "--porcelain").splitlines() == [" M task_agent/agent.py", "?? helper.py"]


def test_git_variables_inherited_from_a_hook_do_not_redirect_commands(ws, monkeypatch, tmp_path):
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "bogus-index"))
    base = ws.head()
    ws.write_agent(AGENT_TEXT + "X = 2\n")
    assert ws.changed_files(base) == [AGENT]


def test_check_scope_accepts_only_agent_changes(ws):
    base = ws.head()
    verdict = ws.check_scope(base)
    assert not verdict.ok and "no changes" in verdict.reason
    ws.write_agent(AGENT_TEXT.replace("30", "40"))
    verdict = ws.check_scope(base)
    assert verdict.ok and verdict.changed == [AGENT]
    (ws.path / "README.md").write_text("edited\n")
    (ws.path / "notes.txt").write_text("new\n")
    verdict = ws.check_scope(base)
    assert not verdict.ok
    assert "README.md" in verdict.reason and "notes.txt" in verdict.reason
    assert verdict.changed == ["README.md", "notes.txt", AGENT]


def test_check_scope_rejects_deleting_the_agent(ws):
    base = ws.head()
    (ws.path / AGENT).unlink()
    verdict = ws.check_scope(base)
    assert not verdict.ok and "deleted" in verdict.reason


@pytest.fixture
def region_ws(tmp_path) -> Workspace:
    repo = make_repo(tmp_path / "repo", REGION_TEXT)
    return Workspace.create(repo, tmp_path / "run", "r1")


def test_edits_inside_editable_regions_pass(region_ws):
    base = region_ws.head()
    text = REGION_TEXT.replace("careful agent.", "careful agent.\\nCheck your work.").replace("30", "50")
    region_ws.write_agent(text.replace("MAX_TURNS = 50\n", "MAX_TURNS = 50\nTOOLS = []\n"))
    assert region_ws.check_scope(base).ok


def test_edits_outside_editable_regions_are_rejected_with_the_line(region_ws):
    base = region_ws.head()
    region_ws.write_agent(REGION_TEXT.replace("claude-sonnet-4-5", "claude-opus-4"))
    verdict = region_ws.check_scope(base)
    assert not verdict.ok
    assert "line 5" in verdict.reason and "claude-opus-4" in verdict.reason
    region_ws.write_agent(REGION_TEXT.replace("return 1", "return 2"))
    assert "line 10" in region_ws.check_scope(base).reason


def test_moving_or_removing_markers_is_rejected(region_ws):
    base = region_ws.head()
    region_ws.write_agent(REGION_TEXT.replace(f"{EDITABLE_END}\nMODEL", "MODEL", 1))
    verdict = region_ws.check_scope(base)
    assert not verdict.ok and "markers" in verdict.reason
    # Swallowing fixed text into a region by moving the end marker down.
    moved = REGION_TEXT.replace(
        f'{EDITABLE_END}\nMODEL = "anthropic:claude-sonnet-4-5"\n',
        f'MODEL = "anthropic:claude-sonnet-4-5"\n{EDITABLE_END}\n',
    )
    region_ws.write_agent(moved)
    assert not region_ws.check_scope(base).ok


def test_region_rules_as_pure_functions():
    assert region_violations(AGENT_TEXT, "anything at all\n") is None
    assert region_violations(REGION_TEXT, REGION_TEXT) is None
    assert "malformed" in region_violations(f"{EDITABLE_BEGIN}\nx\n", "y\n")
    assert "out of order" in region_violations(REGION_TEXT, REGION_TEXT + f"{EDITABLE_END}\n")
    # Appending after the last region is outside it.
    assert "line 11" in region_violations(REGION_TEXT, REGION_TEXT + "EXTRA = 1\n")


def test_commit_advances_the_branch_and_enforces_scope(ws):
    base = ws.head()
    ws.write_agent(AGENT_TEXT.replace("30", "40"))
    sha = ws.commit("exp 1: more turns")
    assert sha == ws.head() != base
    assert git(ws.path, "log", "-1", "--format=%s") == "exp 1: more turns"
    assert git(ws.path, "status", "--porcelain") == ""

    ws.write_agent(AGENT_TEXT.replace("30", "50"))
    (ws.path / "sneaky.py").write_text("x = 1\n")
    with pytest.raises(ScopeError, match=r"sneaky\.py") as caught:
        ws.commit("exp 2")
    assert not caught.value.verdict.ok
    assert ws.head() == sha
    assert git(ws.path, "diff", "--cached", "--name-only") == ""


def test_commit_refuses_an_empty_edit(ws):
    with pytest.raises(ScopeError, match="no changes"):
        ws.commit("nothing")


def test_reset_restores_the_commit_and_cleans_untracked_and_ignored_files(ws):
    base = ws.head()
    ws.write_agent(AGENT_TEXT.replace("30", "40"))
    kept = ws.commit("exp 1")
    ws.write_agent("broken(\n")
    (ws.path / "junk.txt").write_text("x")
    (ws.path / "run.log").write_text("ignored but must go")
    ws.reset(kept)
    assert ws.agent_source() == AGENT_TEXT.replace("30", "40")
    assert not (ws.path / "junk.txt").exists() and not (ws.path / "run.log").exists()
    ws.reset(base)
    assert ws.head() == base and ws.agent_source() == AGENT_TEXT
    with pytest.raises(WorkspaceError, match="not a commit"):
        ws.reset("0" * 40)


def test_remove_deletes_the_worktree_but_keeps_the_branch(ws, repo):
    ws.write_agent(AGENT_TEXT + "Y = 1\n")
    sha = ws.commit("exp 1")
    (ws.path / "untracked.txt").write_text("x")
    ws.remove()
    assert not ws.path.exists()
    assert str(ws.path) not in git(repo, "worktree", "list")
    assert git(repo, "rev-parse", "climb/r1") == sha


def test_count_complexity_ignores_blanks_and_comments():
    text = "# a comment\n\nx = 1  # inline\n    # indented comment\nPROMPT = 'Be careful.'\n"
    # Rough by design: an inline comment's words count.
    assert count_complexity(text) == Complexity(lines=2, tokens=5 + 7)
    longer = text + "PROMPT += ' Also check twice.'\n"
    assert count_complexity(longer).tokens > count_complexity(text).tokens


def test_same_size_edit_right_after_reset_is_seen(tmp_path):
    """git's racy-entry check must survive our scratch index: an edit of the same size, made
    within the filesystem's timestamp tick of the reset, is a change (a resumed climb hit this)."""
    from tests.climb_helpers import make_repo

    repo = make_repo(tmp_path)
    ws = Workspace.create(repo, tmp_path / "run", "racy")
    base = ws.head()
    for _ in range(150):
        ws.reset(base)
        ws.write_agent(ws.agent_source().replace("MAX_TURNS = 10", "MAX_TURNS = 12"))
        assert ws.check_scope(base).ok

"""The climb's git worktree: where candidate edits are made, checked, committed or reverted.

A climb never touches the user's checkout: it works in a linked worktree on its
own branch ``climb/<run-id>``. Edit scope is enforced here, in code: a commit
is refused unless the only changed path is the agent file and, when the file
declares editable regions, nothing outside them changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from meta.workspace.scope import Complexity, count_complexity, region_violations

__all__ = ["Complexity", "ScopeError", "ScopeVerdict", "Workspace", "WorkspaceError", "count_complexity"]

DEFAULT_AGENT_PATH = "task_agent/agent.py"
BRANCH_PREFIX = "climb/"

# Commits must work without a configured identity, and must never wait on a
# signing agent or run the user's hooks (an unattended climb cannot answer them).
_COMMIT_CONFIG = ("-c", "user.name=harness-climb", "-c", "user.email=climb@localhost",
                  "-c", "commit.gpgsign=false")
# Inherited from a surrounding git process (e.g. when run from a hook), these
# would point every command at the wrong repository or index.
_INHERITED_GIT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX",
                       "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")


class WorkspaceError(Exception):
    """The workspace cannot be created, opened or changed as asked."""


class ScopeError(WorkspaceError):
    """A commit was refused because the candidate edits outside its scope."""

    def __init__(self, verdict: ScopeVerdict) -> None:
        self.verdict = verdict
        super().__init__(f"edit out of scope: {verdict.reason}")


@dataclass(frozen=True)
class ScopeVerdict:
    """Whether a candidate's changes stay inside the editable scope."""

    ok: bool
    reason: str
    changed: list[str] = field(default_factory=list)
    """Every changed path (tracked and untracked), relative to the worktree root."""


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {k: v for k, v in os.environ.items() if k not in _INHERITED_GIT_VARS}
    full_env["GIT_TERMINAL_PROMPT"] = "0"
    full_env.update(env or {})
    try:
        return subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=cwd,
                              capture_output=True, env=full_env, check=False)
    except FileNotFoundError as exc:
        raise WorkspaceError(f"cannot run git in {cwd}: {exc.strerror}") from exc


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git; a non-zero exit is a WorkspaceError naming the command and git's message."""
    proc = _run(cwd, *args, env=env)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise WorkspaceError(f"git {' '.join(args)} failed in {cwd}: {message}")
    return proc.stdout.decode("utf-8", "replace")


def _decode(data: bytes) -> str:
    # surrogateescape keeps odd bytes distinct, so text comparisons stay exact.
    return data.decode("utf-8", "surrogateescape")


class Workspace:
    """A linked git worktree on a ``climb/`` branch, holding the agent file being climbed.

    Attributes:
        path: The worktree root.
        agent_path: The agent file, relative to the worktree root (POSIX form).
        branch: The climb branch checked out in the worktree.
    """

    def __init__(self, path: Path, agent_path: str, branch: str) -> None:
        self.path = path
        self.agent_path = agent_path
        self.branch = branch

    @classmethod
    def create(cls, repo: Path, run_dir: Path, run_id: str,
               agent_path: str = DEFAULT_AGENT_PATH) -> Workspace:
        """Add ``<run_dir>/workspace`` on a new branch ``climb/<run_id>`` at the repo's HEAD.

        If the user's working-tree copy of the agent file differs from HEAD, it is
        committed on the climb branch as the baseline, so the climb starts from
        what the user sees. The user's checkout is not modified.

        Raises:
            WorkspaceError: Not a git repository, no commits, agent file missing,
                branch or workspace folder already exists, or git failed.
        """
        repo = Path(repo).resolve()
        if not repo.is_dir():
            raise WorkspaceError(f"{repo} is not a directory")
        if _run(repo, "rev-parse", "--show-toplevel").returncode != 0:
            raise WorkspaceError(f"{repo} is not a git repository")
        top = Path(_git(repo, "rev-parse", "--show-toplevel").strip()).resolve()
        if _run(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
            raise WorkspaceError(f"{top} has no commits yet: commit the agent before climbing")
        user_copy = (repo / agent_path).resolve()
        try:
            rel = user_copy.relative_to(top).as_posix()
        except ValueError:
            raise WorkspaceError(f"agent file {user_copy} is outside the repository {top}") from None
        if not user_copy.is_file():
            raise WorkspaceError(f"agent file {user_copy} does not exist")
        branch = BRANCH_PREFIX + run_id
        if _run(top, "check-ref-format", "--branch", branch).returncode != 0:
            raise WorkspaceError(f"run id {run_id!r} does not make a valid branch name")
        if _run(top, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").returncode == 0:
            raise WorkspaceError(
                f"branch {branch} already exists in {top} (resume instead, or pick a new run id)")
        path = Path(run_dir).resolve() / "workspace"
        if path.exists():
            raise WorkspaceError(f"{path} already exists")
        path.parent.mkdir(parents=True, exist_ok=True)
        _git(top, "worktree", "add", "--quiet", "-b", branch, str(path), "HEAD")
        workspace = cls(path, rel, branch)
        try:
            head_copy = _run(top, "show", f"HEAD:{rel}")
            user_bytes = user_copy.read_bytes()
            if head_copy.returncode != 0 or head_copy.stdout != user_bytes:
                target = path / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(user_copy, target)
                _git(path, "add", "--", rel)
                _git(path, *_COMMIT_CONFIG, "commit", "--quiet", "--no-verify",
                     "-m", f"baseline: {Path(rel).name} from the working tree")
        except BaseException:
            # Start-up failures clean up too: no half-made worktree or branch is left behind.
            _run(top, "worktree", "remove", "--force", str(path))
            _run(top, "branch", "-D", branch)
            raise
        return workspace

    @classmethod
    def open(cls, path: Path, agent_path: str = DEFAULT_AGENT_PATH) -> Workspace:
        """Open an existing climb worktree (for resume).

        A stale ``index.lock`` left by a killed climb is removed. The working tree
        is not cleaned: call ``reset`` with the incumbent's sha to drop a half-made candidate.

        Raises:
            WorkspaceError: Not a linked worktree root, not on a ``climb/`` branch,
                or the agent file is not in HEAD.
        """
        path = Path(path).resolve()
        if not path.is_dir() or _run(path, "rev-parse", "--show-toplevel").returncode != 0:
            raise WorkspaceError(f"{path} is not a git worktree")
        top = Path(_git(path, "rev-parse", "--show-toplevel").strip()).resolve()
        if top != path:
            raise WorkspaceError(f"{path} is inside the worktree {top}, not its root")
        git_dir, common_dir = _git(path, "rev-parse", "--git-dir", "--git-common-dir").split("\n")[:2]
        if (path / git_dir).resolve() == (path / common_dir).resolve():
            raise WorkspaceError(f"{path} is a main checkout, not a climb worktree")
        branch = _run(path, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.decode().strip()
        if not branch.startswith(BRANCH_PREFIX):
            where = branch or "a detached HEAD"
            raise WorkspaceError(f"{path} is on {where}, not a {BRANCH_PREFIX} branch")
        agent_path = Path(agent_path).as_posix()
        # HEAD, not the working tree: a climb killed mid-candidate may have left the file
        # broken or deleted, which the resume's reset() repairs.
        if _run(path, "cat-file", "-e", f"HEAD:{agent_path}").returncode != 0:
            raise WorkspaceError(f"agent file {agent_path} is not in the commit checked out in {path}")
        lock = path / _git(path, "rev-parse", "--git-path", "index.lock").strip()
        if lock.exists():
            # Left by a climb killed mid-commit; the climb is this worktree's only user.
            lock.unlink()
        return cls(path, agent_path, branch)

    def head(self) -> str:
        """The full sha of the worktree's HEAD."""
        return _git(self.path, "rev-parse", "HEAD").strip()

    @contextmanager
    def _scratch_index(self) -> Iterator[dict[str, str]]:
        """Env for git commands that see every tracked and untracked file as staged.

        A copy of the real index keeps its stat cache (fast) and leaves the real one alone.
        The copy keeps the index's mtime too: git's racy-entry check compares file times
        against it, and a fresh mtime would make git trust a same-size edit made within
        the filesystem's timestamp tick as unchanged.
        """
        real = self.path / _git(self.path, "rev-parse", "--git-path", "index").strip()
        with tempfile.TemporaryDirectory(prefix="climb-index-") as tmp:
            scratch = Path(tmp) / "index"
            if real.is_file():
                shutil.copy2(real, scratch)
            env = {"GIT_INDEX_FILE": str(scratch)}
            _git(self.path, "add", "--all", env=env)
            yield env

    def diff(self, base: str) -> str:
        """Unified diff of the working tree (untracked files included) against ``base``."""
        with self._scratch_index() as env:
            return _git(self.path, "diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv",
                        "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", base, "--", env=env)

    def changed_files(self, base: str) -> list[str]:
        """Paths changed since ``base`` (tracked and untracked, git-ignored excluded), sorted."""
        with self._scratch_index() as env:
            out = _git(self.path, "diff", "--cached", "--name-only", "-z", "--no-renames", base, "--",
                       env=env)
        return sorted(p for p in out.split("\0") if p)

    def agent_source(self) -> str:
        """The agent file as it is in the working tree."""
        return (self.path / self.agent_path).read_text(encoding="utf-8")

    def write_agent(self, text: str) -> None:
        """Replace the agent file in the working tree."""
        (self.path / self.agent_path).write_text(text, encoding="utf-8")

    def check_scope(self, base: str) -> ScopeVerdict:
        """Whether the working tree's changes since ``base`` are a valid candidate edit.

        Valid means: the agent file is the only changed path, it still exists,
        something changed, and (if ``base``'s agent file declares editable regions)
        nothing outside those regions changed.
        """
        changed = self.changed_files(base)
        others = [p for p in changed if p != self.agent_path]
        if others:
            return ScopeVerdict(False, f"only {self.agent_path} may change; also changed: "
                                       f"{', '.join(others)}", changed)
        if not changed:
            return ScopeVerdict(False, f"no changes to {self.agent_path}", changed)
        current = self.path / self.agent_path
        if not current.is_file():
            return ScopeVerdict(False, f"{self.agent_path} was deleted", changed)
        base_text = _decode(_run(self.path, "show", f"{base}:{self.agent_path}").stdout)
        problem = region_violations(base_text, _decode(current.read_bytes()))
        if problem:
            return ScopeVerdict(False, f"{self.agent_path}: {problem}", changed)
        return ScopeVerdict(True, "only the agent file changed", changed)

    def commit(self, message: str) -> str:
        """Commit the candidate edit on the climb branch and return its sha.

        Raises:
            ScopeError: The edit fails ``check_scope`` against HEAD; nothing is committed.
        """
        verdict = self.check_scope(self.head())
        if not verdict.ok:
            raise ScopeError(verdict)
        _git(self.path, "add", "--all")
        _git(self.path, *_COMMIT_CONFIG, "commit", "--quiet", "--no-verify", "-m", message)
        return self.head()

    def reset(self, sha: str) -> None:
        """Move the climb branch to ``sha`` and make the worktree exactly that commit."""
        if _run(self.path, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}").returncode != 0:
            raise WorkspaceError(f"cannot reset {self.path}: {sha!r} is not a commit")
        _git(self.path, "reset", "--quiet", "--hard", sha)
        _git(self.path, "clean", "-q", "-fdx")

    def remove(self) -> None:
        """Delete the worktree folder and its registration; the branch stays for inspection."""
        common = _git(self.path, "rev-parse", "--git-common-dir").strip()
        git_dir = (self.path / common).resolve()
        _git(git_dir, "worktree", "remove", "--force", str(self.path))
        _git(git_dir, "worktree", "prune")

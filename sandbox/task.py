"""Harbor task directories: load, validate, discover.

A task directory holds ``task.toml``, ``instruction.md``, ``environment/``,
``tests/test.sh`` and optionally ``solution/solve.sh``. Every error names the
file and, where there is one, the field.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from sandbox.task_config import ArtifactEntry, TaskConfig

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_CANARY = re.compile(r"^\s*(<!--.*canary.*-->|#.*canary.*)\s*$", re.IGNORECASE)


class TaskLoadError(Exception):
    """A task directory that cannot be run, with the file and field at fault."""

    def __init__(self, path: Path, message: str, field_name: str | None = None):
        self.path = Path(path)
        self.field_name = field_name
        self.message = message
        self.task_dir: Path | None = None
        """The task folder this error belongs to, when known."""
        where = f"{self.path}: {field_name}" if field_name else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Task:
    """A loaded, validated task."""

    id: str
    """Unique name within a suite: the directory name."""
    path: Path
    config: TaskConfig
    instruction: str
    environment_dir: Path
    tests_dir: Path
    solution_dir: Path | None
    verifier_env: dict[str, str] = field(default_factory=dict)
    """[verifier].env with ``${VAR}`` references resolved from the host."""
    container_env: dict[str, str] = field(default_factory=dict)
    """[environment].env, resolved."""
    solution_env: dict[str, str] = field(default_factory=dict)
    """[solution].env, resolved."""

    @property
    def dockerfile(self) -> Path:
        return self.environment_dir / "Dockerfile"

    @property
    def agent_timeout_sec(self) -> float | None:
        return self.config.agent.timeout_sec

    def artifact_paths(self) -> list[tuple[str, str]]:
        """(container source, destination under artifacts/) for each declared artifact."""
        out = []
        for entry in self.config.artifacts:
            if isinstance(entry, ArtifactEntry):
                out.append((entry.source, entry.destination or entry.source.lstrip("/")))
            else:
                out.append((entry, entry.lstrip("/")))
        return out

    def content_hash(self) -> str:
        """A hash of every file that defines the task (for caches and ledgers)."""
        return hash_tree(self.path)


def hash_tree(root: Path) -> str:
    """SHA-256 over relative paths, modes and contents of every file under root."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode() + b"\0")
        if path.is_symlink():
            digest.update(b"L" + os.readlink(path).encode() + b"\0")
            continue
        digest.update(oct(path.stat().st_mode & 0o777).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def resolve_env(values: dict[str, str], source: Path, field_name: str) -> dict[str, str]:
    """Expand ``${VAR}`` and ``${VAR:-default}`` from the host environment."""
    resolved = {}
    for key, raw in values.items():
        def sub(match: re.Match[str], key: str = key) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise TaskLoadError(
                source, f"references ${{{name}}}, which is not set on the host", f"{field_name}.{key}"
            )

        resolved[key] = _ENV_REF.sub(sub, str(raw))
    return resolved


def strip_canary(text: str) -> str:
    """Drop the leading canary comment lines Harbor drops from instructions."""
    lines = text.splitlines(keepends=True)
    while lines and _CANARY.match(lines[0]):
        lines.pop(0)
    return "".join(lines).strip("\n") + "\n"


def _read_text(path: Path, what: str) -> str:
    if not path.is_file():
        raise TaskLoadError(path, f"missing {what}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskLoadError(path, f"cannot read {what}: {exc}") from exc


def _format_validation(exc: ValidationError) -> tuple[str, str]:
    """(the first failing field, the messages): the field prefixes only the later errors,
    since TaskLoadError already names the first."""
    dotted = [".".join(str(part) for part in err["loc"]) or "(root)" for err in exc.errors()]
    messages = [err["msg"] for err in exc.errors()]
    rest = [f"{loc}: {msg}" for loc, msg in zip(dotted[1:], messages[1:])]
    return dotted[0], "; ".join([messages[0], *rest])


def parse_config(path: Path) -> TaskConfig:
    """Parse one task.toml, naming the file and field on any error."""
    text = _read_text(path, "task.toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaskLoadError(path, f"invalid TOML: {exc}") from exc
    try:
        return TaskConfig.model_validate(data)
    except ValidationError as exc:
        loc, messages = _format_validation(exc)
        raise TaskLoadError(path, messages, loc) from exc
    except ValueError as exc:
        raise TaskLoadError(path, str(exc)) from exc


def load_task(task_dir: Path | str) -> Task:
    """Load and validate one task directory.

    Raises:
        TaskLoadError: naming the file (and field) that is wrong.
    """
    root = Path(task_dir).resolve()
    if not root.is_dir():
        raise TaskLoadError(root, "not a directory")
    config_path = root / "task.toml"
    config = parse_config(config_path)
    if config.steps:  # before the files: a multi-step task has no top-level instruction.md or test.sh
        raise TaskLoadError(config_path, "multi-step tasks ([[steps]]) are not supported yet; run this task "
                            "with Harbor", "steps")
    instruction = strip_canary(_read_text(root / "instruction.md", "instruction.md"))
    if not instruction.strip():
        raise TaskLoadError(root / "instruction.md", "instruction is empty")
    tests_dir = root / "tests"
    if not (tests_dir / "test.sh").is_file():
        raise TaskLoadError(tests_dir / "test.sh", "missing tests/test.sh (the verifier entry point)")
    env_dir = root / "environment"
    env = config.environment
    if env.os.lower() != "linux":
        raise TaskLoadError(config_path, f"only linux containers are supported, got {env.os!r}", "environment.os")
    if env.gpus:
        raise TaskLoadError(config_path, "GPU tasks are not supported", "environment.gpus")
    if env.docker_image is None:
        if (env_dir / "docker-compose.yaml").is_file() or (env_dir / "docker-compose.yml").is_file():
            raise TaskLoadError(
                env_dir / "docker-compose.yaml",
                "docker-compose environments are not supported yet; give a Dockerfile "
                "or [environment].docker_image",
            )
        if not (env_dir / "Dockerfile").is_file():
            raise TaskLoadError(
                env_dir / "Dockerfile",
                "missing environment/Dockerfile (or set [environment].docker_image)",
            )
    solution_dir = root / "solution"
    return Task(
        id=root.name,
        path=root,
        config=config,
        instruction=instruction,
        environment_dir=env_dir,
        tests_dir=tests_dir,
        solution_dir=solution_dir if solution_dir.is_dir() else None,
        verifier_env=resolve_env(config.verifier.env, config_path, "verifier.env"),
        container_env=resolve_env(env.env, config_path, "environment.env"),
        solution_env=resolve_env(config.solution.env, config_path, "solution.env"),
    )


@dataclass
class Discovery:
    """What ``discover`` found: loaded tasks and the ones that failed, each reported."""

    tasks: list[Task] = field(default_factory=list)
    errors: list[TaskLoadError] = field(default_factory=list)


def find_task_dirs(root: Path) -> tuple[list[Path], list[Path]]:
    """(every directory under root, root included, that holds task.toml; the symbolic
    links to directories met on the way, which are not followed), both sorted."""
    root = Path(root)
    if (root / "task.toml").is_file():
        return [root], []
    found, links = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        links += [Path(dirpath) / d for d in dirnames if (Path(dirpath) / d).is_symlink()]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (Path(dirpath) / d).is_symlink())
        if "task.toml" in filenames:
            found.append(Path(dirpath))
            dirnames[:] = []
    return sorted(found), sorted(links)


def discover(*roots: Path | str) -> Discovery:
    """Load every task under the given folders; a bad task is reported, never fatal, and so
    are a task reached only through a symbolic link and two tasks of the same name."""
    result = Discovery()
    seen: dict[str, Path] = {}
    names: dict[str, Path] = {}
    for root in roots:
        root = Path(root)
        if not root.exists():
            result.errors.append(TaskLoadError(root, "no such file or directory"))
            continue
        task_dirs, links = find_task_dirs(root)
        for link in links:
            if (link / "task.toml").is_file():
                error = TaskLoadError(link, f"is a symbolic link to {os.path.realpath(link)}; linked task folders "
                                            "are not followed: name the real folder, or copy the task")
                error.task_dir = link
                result.errors.append(error)
        for task_dir in task_dirs:
            try:
                task = load_task(task_dir)
            except TaskLoadError as exc:
                exc.task_dir = task_dir
                result.errors.append(exc)
                continue
            if task.id in seen:
                result.errors.append(
                    TaskLoadError(task.path, f"duplicate task name {task.id!r} (also {seen[task.id]})")
                )
                continue
            package = task.config.task.name if task.config.task else None
            if package and package in names:
                result.errors.append(TaskLoadError(task.path / "task.toml", f"duplicate [task].name {package!r} "
                                                   f"(also {names[package] / 'task.toml'})", "task.name"))
                continue
            seen[task.id] = task.path
            if package:
                names[package] = task.path
            result.tasks.append(task)
    return result

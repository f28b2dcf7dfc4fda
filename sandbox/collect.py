"""Bringing /logs and the task's artifacts out of the container into the trial folder.

Only the archive API is used (nothing runs in the container), everything is written by
``sandbox.extract`` (no link followed or written through, caps on every stream), and
what the parent wrote first (the agent's host-side logs) wins over the container's copy.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.environment import Environment, InfraError
from sandbox.extract import Limits, Report, extract

LOG_DIRS = ("agent", "verifier", "artifacts")


@dataclass
class Collected:
    """What came out, and what went wrong with it."""

    warnings: list[str] = field(default_factory=list)
    verifier_too_large: str | None = None
    """Why /logs/verifier could not be read whole: a scored verifier error."""


def _logs_route(trial_dir: Path):
    def route(parts: tuple[str, ...]):
        if len(parts) >= 2 and parts[0] == "logs" and parts[1] in LOG_DIRS:
            return trial_dir / parts[1], parts[2:]
        return None

    return route


def _verifier_route(trial_dir: Path):
    def route(parts: tuple[str, ...]):
        return (trial_dir / "verifier", parts[1:]) if parts[0] == "verifier" else None

    return route


def _reset(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)  # rmtree never follows links
    folder.mkdir(parents=True, exist_ok=True)


async def collect_logs(env: Environment, trial_dir: Path, limits: Limits) -> Collected:
    """/logs/{agent,verifier,artifacts} into the trial's folders of the same names.

    One download in the usual case. When /logs is over its cap (the agent filled
    /logs/agent), /logs/verifier is downloaded again on its own, so the verdict does not
    depend on how much the agent wrote.
    """
    out = Collected()
    try:
        report = await env.get_archive("/logs", lambda s: extract(s, _logs_route(trial_dir), limits))
    except FileNotFoundError:
        report = Report(stopped="/logs is missing")
    _warn(out, "/logs", report)
    if report.stopped:
        _reset(trial_dir / "verifier")
        try:
            report = await env.get_archive("/logs/verifier",
                                           lambda s: extract(s, _verifier_route(trial_dir), limits))
        except FileNotFoundError:
            return out
        _warn(out, "/logs/verifier", report)
    cut = [(name, size) for name, size in report.truncated if _is_verifier(name)]
    stopped_in = report.stopped_in
    if stopped_in and _is_verifier(stopped_in[0]) and stopped_in[1] > limits.file_max_bytes:
        cut.insert(0, stopped_in)
    if cut:
        name, size = cut[0]
        out.verifier_too_large = (
            f"the verifier wrote {size} bytes into {_container_path(name)}, more than the cap of "
            f"{limits.file_max_bytes} bytes per file (its head and tail are kept where they could be read)")
    elif report.stopped:
        out.verifier_too_large = f"/logs/verifier could not be read whole: {report.stopped}"
    return out


async def collect_artifacts(env: Environment, artifacts: list[tuple[str, str]], trial_dir: Path,
                            limits: Limits) -> list[str]:
    """Each declared artifact into artifacts/<destination>; returns warnings."""
    warnings = []
    for source, dest in artifacts:
        below = tuple(p for p in Path(dest).parent.parts if p not in ("/", "."))
        def route(parts, b=below):
            return ((trial_dir / "artifacts", b + parts))
        try:
            report = await env.get_archive(source, lambda s, r=route: extract(s, r, limits))
        except FileNotFoundError:
            warnings.append(f"artifact {source}: not found in the container")
            continue
        except (InfraError, OSError) as exc:
            warnings.append(f"artifact {source}: {exc}")
            continue
        line = report.summary()
        if line:
            warnings.append(f"artifact {source}: {line}")
    return warnings


def _is_verifier(name: str) -> bool:
    parts = name.strip("/").split("/")
    return parts[:2] == ["logs", "verifier"] or parts[:1] == ["verifier"]


def _container_path(name: str) -> str:
    name = name.strip("/")
    return "/" + (name if name.startswith("logs/") else f"logs/{name}")


def _warn(out: Collected, what: str, report: Report) -> None:
    line = report.summary()
    if line:
        out.warnings.append(f"copying {what}: {line}")

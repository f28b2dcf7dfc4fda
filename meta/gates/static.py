"""Gate 0 checks that need no container: does agent.py compile, is MODEL within bounds."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from models import ModelConfigError, create_model
from task_agent.model_choice import COMPUTED, choose_models, model_constant, refused_model, task_model

__all__ = ["COMPUTED", "compile_error", "model_constant", "model_violation", "refused_model", "scoring_reference",
           "task_model", "unusable_model"]


def compile_error(source: str, name: str) -> str | None:
    """The compiler's complaint about source, or None. Compiled in a child process, never imported here."""
    with tempfile.TemporaryDirectory(prefix="climb-compile-") as tmp:
        path = Path(tmp) / "agent.py"
        path.write_text(source)
        proc = subprocess.run([sys.executable, "-I", "-m", "py_compile", str(path)],
                              capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return None
    return f"{name} does not compile: " + (proc.stderr.strip().splitlines() or ["?"])[-1].replace(str(path), name)


def model_violation(candidate: str, incumbent: str, allowed: list[str] | None, *, fixed: bool) -> str | None:
    """Why the candidate's MODEL is not allowed, or None.

    With the task model fixed (pairings), MODEL is not the meta-agent's to change.
    Without an allowed list, MODEL may not change either.
    """
    new, old = model_constant(candidate), model_constant(incumbent)
    if new == old:
        return None
    if fixed:
        return f"MODEL changed from {old!r} to {new!r}, but the task model is fixed for this climb"
    if allowed is None:
        return f"MODEL changed from {old!r} to {new!r}; no allowed models are configured"
    if new not in choose_models(None, allowed, "").served:  # a scripted model may go by its file's name
        return f"MODEL {new!r} is not one of the allowed models {allowed}"
    return None


async def unusable_model(source: str, fixed: str | None, allowed: list[str] | None,
                         base_url: str | None) -> str | None:
    """Why the trials of this agent.py could not call the model it names, or None.

    The rule a trial's parent applies when the trial starts (``task_agent.model_choice``):
    a model it would not serve (a ``scripted:`` file the operator did not name, no MODEL at
    all), then a client it could not build (an unknown provider, a missing key). Building a
    client sends nothing; a scripted one reads its file, which the operator named.
    """
    refusal = refused_model(fixed, allowed, source)
    if refusal:
        return refusal
    choice = choose_models(fixed, allowed, source)
    if fixed or choice.default is None:
        return None  # a fixed model was checked at start; a computed MODEL is checked when it asks
    name = choice.served[choice.default]
    try:
        client = create_model(name, role="task", base_url=base_url)
    except ModelConfigError as exc:
        return f"agent.py's MODEL {name!r} cannot be used: {exc}"
    await client.aclose()
    return None


# Names only the scoring machinery uses. A harness has no business with them: an edit that
# starts naming them is most likely teaching the agent to write or read its own grade.
SCORING_NAMES = ("/logs/verifier", "reward.txt", "reward.json", "/solution", "solve.sh")


def scoring_reference(candidate: str, incumbent: str) -> str | None:
    """Why the candidate reaches for the verifier's or the solution's files, or None.

    A mechanical check on the text, so an obfuscated path gets past it; the reviewer
    model is told to reject such edits too. Only names the candidate adds count.
    """
    added = [name for name in SCORING_NAMES if candidate.count(name) > incumbent.count(name)]
    if not added:
        return None
    return (f"agent.py now names {', '.join(repr(n) for n in added)}: the verifier's and the solution's "
            "files are off limits to the harness (an edit may not touch how it is scored)")

"""Which models one trial may call: the operator's choice, read by the parent, never the agent's.

The parent decides when the trial starts, from the operator's settings and one static
reading of agent.py's ``MODEL`` (the same reading gate 0 of a climb uses). What the
agent later asks for over its channel is only ever looked up in that decision, so a
request cannot name a model, a provider or a file the operator did not allow.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import PurePath

from sandbox.agents import AgentError

COMPUTED = "<computed>"
"""What model_constant returns for a MODEL that is not a plain string literal."""
SCRIPTED = "scripted:"


def model_constant(source: str) -> str | None:
    """MODEL = "..." at module level; None when absent (or unparsable), COMPUTED when not a plain string."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "MODEL" for t in targets):
            value = node.value
            return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else COMPUTED
    return None


def task_model(fixed: str | None, source: str) -> str | None:
    """The model an agent's trials call: the one fixed for the run, else the agent's MODEL."""
    return fixed or model_constant(source)


def agent_label(name: str) -> str:
    """How a model is named to the agent: a scripted model's host path is not the agent's business."""
    if name.startswith(SCRIPTED):
        return SCRIPTED + PurePath(name[len(SCRIPTED):]).name
    return name


@dataclass(frozen=True)
class ModelChoice:
    """The models one trial may call, decided by the parent when the trial starts."""

    default: str | None
    """The model the agent is told to use (its label), or None when agent.py computes its MODEL."""
    served: dict[str, str]
    """Every name the agent may send (a model's name or its label) -> the model's real name."""
    operator: frozenset[str]
    """Names the operator configured (--task-model, --allowed-models): their failures are not the agent's."""

    def resolve(self, requested: str) -> str:
        """The real name of the model the agent asked for.

        Raises:
            AgentError: The agent asked for a model this trial may not call (scored, never infra).
        """
        if not requested:
            raise AgentError("agent.py called the model without a name: it sets no MODEL and no "
                             "--task-model was given", "agent_config")
        name = self.served.get(requested)
        if name is None:
            allowed = sorted({agent_label(n) for n in self.served.values()}) or ["none"]
            hint = ("; a scripted model is served only when the operator names it with --task-model "
                    "or --allowed-models" if requested.startswith(SCRIPTED) else "")
            raise AgentError(f"agent.py asked for model {requested!r}, which this trial may not call "
                             f"(allowed: {', '.join(allowed)}){hint}", "model_not_allowed")
        return name


def choose_models(fixed: str | None, allowed: list[str] | None, agent_source: str) -> ModelChoice:
    """The fixed task model alone; else agent.py's MODEL (unless it is scripted) and the allowed list.

    A ``scripted:`` model reads a file on the host, so it is served only when the operator
    named it (fixed or allowed), never because agent.py did.
    """
    operator = frozenset([fixed] if fixed else (allowed or []))
    if fixed:
        names = [fixed]
    else:
        own = model_constant(agent_source)
        names = [*([own] if own and own != COMPUTED and not own.startswith(SCRIPTED) else []), *(allowed or [])]
    served = {name: name for name in names}
    served.update({agent_label(name): name for name in names if agent_label(name) not in served})
    own_default = fixed or model_constant(agent_source)
    default = agent_label(own_default) if own_default in served.values() else None
    return ModelChoice(default=default, served=served, operator=operator)


def refused_model(fixed: str | None, allowed: list[str] | None, agent_source: str) -> str | None:
    """Why a trial would refuse the model agent.py names, by the parent's own rule, or None.

    None as well when no static answer exists or is needed: a fixed task model (MODEL is not
    used), or a computed MODEL (only the allowed list is served; what it computes is known
    when it asks).
    """
    if fixed or model_constant(agent_source) == COMPUTED:
        return None
    choice = choose_models(fixed, allowed, agent_source)
    try:
        choice.resolve(choice.default or model_constant(agent_source) or "")
    except AgentError as exc:
        return str(exc)
    return None

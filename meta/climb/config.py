"""The climb's configuration: one pydantic model, saved in the run folder for resume."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from meta.climb.defaults import BASELINE_REPEATS, HELDOUT_FRACTION, SPOT_BUDGET
from meta.decide.config import DecideConfig
from meta.workspace.worktree import DEFAULT_AGENT_PATH
from sandbox.backends import EnvChoice
from sandbox.defaults import CONCURRENCY
from sandbox.trial import TrialConfig
from task_agent.jail import JailConfig


Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]


class ThinkingConfig(BaseModel):
    """How hard a meta-side model (the proposer or the reviewer) thinks."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    thinking: Literal["adaptive", "off"] | int | None = "adaptive"
    """"adaptive" (the model decides how much), "off", a budget of thinking tokens (>= 1024),
    or None for the API's default. Anthropic models only (chat completions has no such field)."""
    effort: Effort | None = None
    """The API's effort level (Anthropic output_config.effort, OpenAI reasoning_effort); None
    leaves the API's default. For an OpenAI reasoning model this is the lever that matters."""

    @model_validator(mode="after")
    def _budget(self) -> ThinkingConfig:
        if isinstance(self.thinking, int) and self.thinking < 1024:
            raise ValueError(f"a thinking budget must be at least 1024 tokens, got {self.thinking}")
        return self

    def settings(self) -> dict[str, str | int | None]:
        """The keyword arguments of ``complete`` these stand for."""
        return {"thinking": self.thinking, "effort": self.effort}


class SplitConfig(BaseModel):
    """How tasks are split into train and held-out."""

    model_config = ConfigDict(extra="forbid")
    heldout_fraction: float = Field(HELDOUT_FRACTION, ge=0.0, lt=1.0)
    """Share of tasks held out when no explicit lists are given."""
    seed: int = 0
    """Seed of the deterministic split."""
    train: list[str] | None = None
    """Explicit train task names (then heldout must be given too, or is the rest)."""
    heldout: list[str] | None = None
    """Explicit held-out task names."""


class StopConfig(BaseModel):
    """When the climb ends; each is checked at the next safe point."""

    model_config = ConfigDict(extra="forbid")
    hours: float | None = None
    """Wall-clock budget."""
    max_experiments: int | None = None
    """Experiments after the baseline."""
    budget_usd: float | None = None
    """Total spend, all roles; warnings at 50% and 80%."""
    plateau: int | None = None
    """Stop after this many experiments in a row without a keep."""


class ClimbConfig(BaseModel):
    """Everything a climb needs, frozen at its start."""

    model_config = ConfigDict(extra="forbid")
    tasks: list[Path]
    """Task folders, or folders of task folders."""
    repo: Path
    """The git repository holding the agent file."""
    agent_path: str = DEFAULT_AGENT_PATH
    """The one editable file, relative to the repo."""
    program: Path | None = None
    """The human's directives for the meta-agent (program.md)."""
    meta_model: str
    """provider:model-id of the meta-agent."""
    task_model: str | None = None
    """Fixes the task agent's model (pairings); None lets agent.py's MODEL decide."""
    judge_model: str | None = None
    """The reflection reviewer of the anti-overfitting gate; defaults to meta_model."""
    allowed_models: list[str] | None = None
    """Models agent.py's MODEL may name; None: MODEL may not change at all."""
    base_url: str | None = None
    """An Anthropic/OpenAI-compatible server for the task model."""
    meta_base_url: str | None = None
    """Same for the meta and judge models (defaults to base_url)."""
    prices: Path | None = None
    """A TOML/JSON price file (model id -> input/output/cache_read/cache_write USD per
    million tokens) on top of the built-in table, for models it does not list."""
    split: SplitConfig = Field(default_factory=SplitConfig)
    stop: StopConfig = Field(default_factory=StopConfig)
    decide: DecideConfig = Field(default_factory=DecideConfig)
    trial: TrialConfig = Field(default_factory=TrialConfig)
    env: EnvChoice = Field(default_factory=EnvChoice)
    """Where trials run: our local Docker, or a Harbor environment (``harbor:<type>``)."""
    jail: JailConfig = Field(default_factory=JailConfig)
    baseline_repeats: int = Field(BASELINE_REPEATS, ge=1)
    """Repeats of the baseline on train (the noise floor)."""
    heldout_repeats: int = Field(1, ge=1)
    """Repeats of each kept incumbent on held-out."""
    final_heldout_repeats: int = Field(3, ge=1)
    """Repeats of baseline and final incumbent, head to head, on held-out at the end (1 gives
    no standard error)."""
    final_train_repeats: int = Field(2, ge=0)
    """The same on train (0 skips it; 1 gives no standard error)."""
    spot_budget: int = Field(SPOT_BUDGET, ge=0)
    """Trials the meta-agent may spend on spot checks per experiment."""
    meta_max_turns: int = Field(40, ge=1)
    """Turns of one proposal conversation."""
    meta_thinking: ThinkingConfig = Field(default_factory=ThinkingConfig)
    """How hard the meta-agent thinks (adaptive thinking by default)."""
    judge_thinking: ThinkingConfig | None = None
    """How hard the reviewer thinks; None: as the meta-agent."""
    concurrency: int = Field(CONCURRENCY, ge=1)
    """Trials at once (shared by every stage)."""
    seed: int = 0
    """Seed of sampling decisions."""
    infra_pause_fraction: float = Field(0.5, gt=0.0, le=1.0)
    """A batch where more than this share of trials failed on infra is re-run later, not decided on."""
    pause_initial_sec: float = 30.0
    """First wait of a pause (outage, infra); doubles up to pause_max_sec."""
    pause_max_sec: float = 900.0
    max_pause_hours: float = 6.0
    """A pause longer than this ends the climb."""
    min_free_gb: float = 2.0
    """Below this much free disk, old trial files are pruned (then the climb stops)."""

    @model_validator(mode="after")
    def _models(self) -> ClimbConfig:
        if self.allowed_models is not None and self.task_model and self.task_model not in self.allowed_models:
            raise ValueError(f"task_model {self.task_model!r} is not in allowed_models")
        return self

    @property
    def judge(self) -> str:
        return self.judge_model or self.meta_model

    @property
    def judge_settings(self) -> ThinkingConfig:
        return self.judge_thinking or self.meta_thinking

    @property
    def meta_url(self) -> str | None:
        return self.meta_base_url or self.base_url

"""The pairings study's configuration: which models meet, how often, and the climb every cell shares.

A cell is one climb of one meta model improving the agent for one task model,
with one seed. Cells differ only in those three; the tasks, the train/held-out
split, the budget and every other knob come from one template ``ClimbConfig``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from meta.climb.config import ClimbConfig
from sandbox.defaults import CONCURRENCY

# Who makes a model, by the leading word of its id; a model served through an
# OpenAI- or Anthropic-compatible endpoint keeps its maker's family.
_MAKERS = {"claude": "anthropic", "gpt": "openai", "o1": "openai", "o3": "openai", "o4": "openai",
           "chatgpt": "openai", "gemini": "google", "gemma": "google", "llama": "meta", "qwen": "qwen",
           "mistral": "mistral", "mixtral": "mistral", "deepseek": "deepseek"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PairingsConfig(BaseModel):
    """A (meta model x task model x seed) matrix of climbs, frozen at its start."""

    model_config = ConfigDict(extra="forbid")
    meta_models: list[str] = Field(min_length=1)
    """provider:model-id of each meta-agent."""
    task_models: list[str] = Field(min_length=1)
    """provider:model-id of each task model (fixed per cell; agent.py's MODEL is overridden)."""
    seeds: int = Field(1, ge=1)
    """Climbs per (meta, task) pair. Seed s sets the climb's sampling seed to ``climb.seed + s``;
    the split never changes between cells."""
    families: dict[str, str] = Field(default_factory=dict)
    """Model name -> family, overriding ``model_family``'s guess."""
    concurrency: int = Field(CONCURRENCY, ge=1)
    """Trials at once across all cells together (one shared budget, not one per cell)."""
    transfer_repeats: int = Field(1, ge=0)
    """Repeats per held-out task when a cell's final agent runs with another task model; 0 skips transfer."""
    climb: ClimbConfig
    """The climb of every cell; its meta_model, task_model and seed are replaced per cell."""

    @model_validator(mode="after")
    def _check(self) -> PairingsConfig:
        for kind, models in (("meta", self.meta_models), ("task", self.task_models)):
            if len(set(models)) != len(models):
                raise ValueError(f"--{kind} names a model twice: {models}")
        stop = self.climb.stop
        if all(v is None for v in (stop.hours, stop.max_experiments, stop.budget_usd, stop.plateau)):
            raise ValueError("pairings need a budget per cell: --hours, --max-experiments or --budget-usd")
        return self

    def family(self, model: str) -> str:
        return self.families.get(model) or model_family(model)

    def cells(self) -> list[Cell]:
        """Every cell, meta-major, with unique folder-safe names."""
        labels = model_labels([*self.meta_models, *self.task_models])
        return [Cell(meta, task, s, f"{labels[meta]}__{labels[task]}__s{s}")
                for meta in self.meta_models for task in self.task_models for s in range(self.seeds)]

    def cell_config(self, cell: Cell) -> ClimbConfig:
        return self.climb.model_copy(update={"meta_model": cell.meta, "task_model": cell.task,
                                             "seed": self.climb.seed + cell.seed,
                                             "concurrency": self.concurrency})


@dataclass(frozen=True)
class Cell:
    """One climb of the matrix."""

    meta: str
    task: str
    seed: int
    """0-based seed index (the climb's seed is the template's plus this)."""
    name: str
    """Folder name under ``cells/``: meta label, task label, seed."""


def model_family(model: str) -> str:
    """The family a model belongs to: who made it (``anthropic:claude-*`` -> anthropic).

    A scripted model's family is its file name up to the first dot, so
    ``scripted:a.meta.json`` and ``scripted:a.task.json`` are both family ``a``.
    Unknown makers fall back to the model id's leading word.
    """
    provider, _, ident = model.partition(":")
    if provider == "scripted":
        return Path(ident).name.split(".")[0] or ident
    word = re.match(r"[A-Za-z]+\d?", ident.rsplit("/", 1)[-1])
    lead = word.group(0).lower() if word else ident
    return _MAKERS.get(lead) or _MAKERS.get(lead.rstrip("0123456789")) or lead.rstrip("0123456789") or provider


def model_labels(models: list[str]) -> dict[str, str]:
    """Short, folder-safe, unique labels, each derived from its own model id only.

    A label is the id's last part (a scripted file's stem); models whose labels clash take
    more of their id (the folder before, then the provider), never a counter, so that
    ``openai:smol`` and ``openai:smol2`` stay ``smol`` and ``smol2`` and a clash between
    ``scripted:/x/smol.json`` and ``openai:smol`` gives ``x-smol`` and ``openai-smol``.
    Ids that still clash once cleaned get a hash of the whole id.
    """
    unique = list(dict.fromkeys(models))
    pieces = {m: _id_pieces(m) for m in unique}
    depth = dict.fromkeys(unique, 1)
    while True:
        labels = {m: _label(pieces[m], depth[m]) for m in unique}
        clashing = [m for m in unique if list(labels.values()).count(labels[m]) > 1]
        deeper = [m for m in clashing if depth[m] <= len(pieces[m]) - 1]
        if not deeper:
            break
        for m in deeper:
            depth[m] += 1
    return {m: f"{labels[m]}-{hashlib.sha1(m.encode()).hexdigest()[:6]}" if m in clashing else labels[m]
            for m in unique}


def _id_pieces(model: str) -> list[str]:
    """The provider, then the parts of the model id (a scripted file without its suffix)."""
    provider, _, ident = model.partition(":")
    parts = [p for p in ident.split("/") if p]
    if provider == "scripted" and parts:
        parts[-1] = Path(parts[-1]).stem
    return [provider, *parts]


def _label(pieces: list[str], depth: int) -> str:
    text = "-".join(pieces[-depth:])
    # "__" separates a cell name's parts, so no label may hold it.
    return re.sub("_{2,}", "_", _UNSAFE.sub("-", text)).strip(".-_") or pieces[0]

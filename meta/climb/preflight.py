"""What a climb checks before it writes anything or touches Docker, so that a wrong model
setting fails in seconds with its name rather than an hour in:

- agent.py's MODEL is one its trials may call (the parent's own rule);
- a budget can see every dollar: with ``--budget-usd``, every model that can be called (meta,
  judge, the task model or every allowed one) must have a price;
- every (base URL, model) answers one short request (a dead server, a misspelled model, a
  setting the model refuses);
- a model on its way out is named with its end-of-life date.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from meta.climb.config import ClimbConfig
from meta.climb.errors import SetupError
from meta.gates.static import COMPUTED, model_constant, refused_model
from models import PriceTable
from models.preflight import PROBE_RETRY, Probe, deprecation, probe_all
from models.pricing import unpriced
from models.retry import RetryPolicy

PRICE_HINT = ("give their prices in a file with --prices (TOML: [\"model-id\"] with input and output in USD "
              "per million tokens; input = 0 and output = 0 says a local model is free), or upgrade the price "
              "database if the model is new (pip install -U genai-prices)")


def agent_source(config: ClimbConfig, run_dir: Path | None = None) -> str:
    """The agent.py a climb starts from: the repo's, or on resume the run's workspace copy."""
    root = (run_dir / "workspace") if run_dir is not None else config.repo
    path = root / config.agent_path
    return path.read_text() if path.is_file() else ""


def callable_models(config: ClimbConfig, source: str) -> dict[str, list[str]]:
    """Every model a climb may call, by role. The task agent may call its fixed model, else
    agent.py's MODEL and any of the allowed models (the meta-agent may switch to one)."""
    if config.task_model:
        task = [config.task_model]
    else:
        constant = model_constant(source)
        task = [m for m in [constant] if m and m != COMPUTED] + list(config.allowed_models or [])
    return {"meta": [config.meta_model], "judge": [config.judge], "task": list(dict.fromkeys(task))}


def budget_refusal(config: ClimbConfig, prices: PriceTable, source: str) -> str | None:
    """Why ``--budget-usd`` could not be trusted with these models, or None when it can."""
    if config.stop.budget_usd is None:
        return None
    if not config.task_model and not config.allowed_models and model_constant(source) == COMPUTED:
        return (f"--budget-usd is set, but {config.agent_path}'s MODEL is computed, not a plain string, so "
                "neither the model its trials call nor its price is known: fix it with --task-model, or name "
                "the models it may pick with --allowed-models")
    models = callable_models(config, source)
    missing = unpriced([m for names in models.values() for m in names], prices)
    if not missing:
        return None
    roles = {m: "/".join(r for r, names in models.items() if m in names) for m in missing}
    named = ", ".join(f"{m} ({roles[m]})" for m in missing)
    return (f"--budget-usd is set, but {named} {'has' if len(missing) == 1 else 'have'} no price, so the budget "
            f"would not see {'its' if len(missing) == 1 else 'their'} spend: {PRICE_HINT}")


def model_refusal(config: ClimbConfig, source: str) -> str | None:
    """Why the trials of the agent.py a climb starts from could not call its MODEL (the rule each
    trial's parent applies: a ``scripted:`` file the operator did not name, no MODEL), or None.
    Every trial of such a baseline would end as the agent's error, and every candidate that
    keeps the MODEL would be invalid."""
    refused = refused_model(config.task_model, config.allowed_models, source)
    if refused is None:
        return None
    return (f"{config.agent_path}'s MODEL cannot be used by its trials: {refused}. Fix MODEL, or name the model "
            "with --task-model or --allowed-models")


def probes(config: ClimbConfig, source: str) -> list[Probe]:
    """One probe per endpoint the climb will call, with the settings of its role."""
    models = callable_models(config, source)
    meta_flag = "--meta-base-url"  # which also serves the judge; it falls back to --base-url
    found = [Probe(config.meta_model, config.meta_url, "meta", flag=meta_flag, **config.meta_thinking.settings()),
             Probe(config.judge, config.meta_url, "judge", flag=meta_flag, **config.judge_settings.settings())]
    found += [Probe(m, config.base_url, "task") for m in models["task"]]
    return found


def start_warnings(config: ClimbConfig, prices: PriceTable, source: str) -> list[str]:
    """Deprecated models, and (without a budget) models whose spend shows as $0."""
    models = list(dict.fromkeys(m for names in callable_models(config, source).values() for m in names))
    warnings = [w for m in models if (w := deprecation(m, prices))]
    missing = unpriced(models, prices)
    if missing:
        warnings.append(f"no price for {', '.join(missing)}: their spend shows as $0 (tokens are still counted); "
                        f"{PRICE_HINT}")
    return warnings


def check_models(configs: list[ClimbConfig], sources: list[str], *,
                 retry: RetryPolicy = PROBE_RETRY) -> list[str]:
    """Refuse to start (SetupError naming every cause) when a budget is blind or an endpoint
    does not answer; return the warnings of endpoints that answered busy.

    A blind budget is refused before anything is sent: no request is worth making for a climb
    that cannot start.
    """
    refusals: list[str] = []
    for config, source in zip(configs, sources, strict=True):
        prices = PriceTable.load(config.prices) if config.prices else PriceTable()
        for refusal in (model_refusal(config, source), budget_refusal(config, prices, source)):
            if refusal and refusal not in refusals:
                refusals.append(refusal)
    if refusals:
        raise SetupError("\n".join(refusals))
    targets = [probe for config, source in zip(configs, sources) for probe in probes(config, source)]
    results = asyncio.run(probe_all(targets, retry=retry))
    errors = [r.error for r in results if r.error]
    if errors:
        raise SetupError("\n".join(errors))
    return [r.warning for r in results if r.warning]

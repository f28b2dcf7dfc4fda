"""The steps of one experiment. Each takes the climb's handle and returns a result; none
writes the ledger row (experiment.py does, once)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meta.climb.evaluation import InfraBatchError
from meta.climb.handle import ClimbHandle, ClimbStop
from meta.climb.state import Version
from meta.climb.tamper import tampering_reason
from meta.decide.records import Decision
from meta.decide.rule import evaluate_candidate, next_incumbent
from meta.decide.summary import change_vs_baseline, passed, per_task_delta, suite_se, task_means
from meta.gates.overfit import GateResult, gate
from meta.gates.static import compile_error, model_violation, scoring_reference, task_model, unusable_model
from meta.proposer.session import Proposer, ProposerSetup
from meta.proposer.tools import Proposal, ToolSetup
from meta.proposer.transcript import TRANSCRIPT_FILE, Transcript, recorded
from meta.workspace.scope import count_complexity, is_simpler
from models import ModelRequestError, ScriptExhaustedError, create_model
from sandbox.results import TrialResult, TrialStatus

MAX_META_FAILURES = 3
"""Meta-agent requests refused in a row before the climb stops: one is an accident (a
context too long), three is something systematically wrong."""


@dataclass(frozen=True)
class Rejection:
    """A candidate stopped by a step: its ledger status and why."""

    status: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    """How the decision ended, and the scores its ledger row carries."""

    status: str
    scores: dict[str, Any] = field(default_factory=dict)


async def propose(climb: ClimbHandle, exp: int, exp_dir: Path) -> Proposal:
    """Step 1: one fresh meta-agent conversation edits agent.py in the workspace.

    A refused meta request costs this experiment (booked as a failed proposal), not the climb;
    three in a row, or a scripted meta model that ran out, stop the climb.
    """
    reset = lambda: climb.ctx.workspace.reset(climb.state.incumbent.commit)  # noqa: E731
    try:
        proposal = await climb.resilient("proposal", lambda: _converse(climb, exp, exp_dir), exp,
                                         before_retry=reset)
    except ScriptExhaustedError as exc:
        raise ClimbStop(f"the scripted meta model has no more responses ({exc})") from exc
    except ModelRequestError as exc:
        climb.meta_failures += 1
        if climb.meta_failures >= MAX_META_FAILURES:
            raise ClimbStop(f"the meta model failed {climb.meta_failures} times in a row: {exc}") from exc
        return Proposal(description=f"meta-agent request failed: {exc}"[:300], finished=False)
    climb.meta_failures = 0
    return proposal


async def _converse(climb: ClimbHandle, exp: int, exp_dir: Path) -> Proposal:
    ctx, config = climb.ctx, climb.config
    spot_dir = exp_dir / "spot"
    candidate_file = ctx.workspace.path / config.agent_path
    calls = 0

    async def spot_check(task_ids: list[str], repeats: int) -> list[TrialResult]:
        nonlocal calls
        calls += 1
        agent = ctx.evaluator.agent(candidate_file, "candidate")
        return await ctx.evaluator.run([(agent, t, repeats, "spot") for t in task_ids],
                                       spot_dir / f"check-{calls:02d}", exp=exp, stage="spot_check")

    transcript = _transcript(climb, exp, exp_dir)
    climb.event("proposal_start", exp=exp, transcript=str(transcript.path))
    model = create_model(config.meta_model, role="meta", tracker=ctx.tracker, base_url=config.meta_url,
                         retry=ctx.retry, prices=ctx.evaluator.models.prices)
    tools = ToolSetup(
        workspace_path=ctx.workspace.path, agent_path=config.agent_path, reach=ctx.reach,
        trials=ctx.trial_index, spot_check=spot_check, spot_budget=config.spot_budget,
        train_instructions={t: ctx.tasks[t].instruction for t in ctx.train},
        train_scores=ctx.train_means(climb.state.record),
        experiments=ctx.ledger.summary_for_proposer(last_n=climb.state.exp + 1, hidden_tasks=ctx.heldout))
    try:
        proposal = await recorded(Proposer(ProposerSetup(
            model=model, program=ctx.program, tools=tools,
            ledger_summary=ctx.ledger.summary_for_proposer(hidden_tasks=ctx.heldout),
            max_turns=config.meta_max_turns, allowed_models=config.allowed_models,
            task_model_fixed=config.task_model is not None, transcript=transcript,
            **config.meta_thinking.settings())).run(), transcript)
    finally:
        await model.aclose()
    climb.event("proposal", exp=exp, description=proposal.description, hypothesis=proposal.hypothesis,
                failure_class=proposal.failure_class, targeted=proposal.targeted_tasks,
                finished=proposal.finished, turns=proposal.turns, spot_trials=proposal.spot_trials)
    return proposal


def _transcript(climb: ClimbHandle, exp: int, exp_dir: Path) -> Transcript:
    """The conversation's ATIF file; an earlier attempt's (an outage cut it short) is kept
    beside it as meta-trajectory.attempt-N.json."""
    path = exp_dir / TRANSCRIPT_FILE
    attempt = 1 + len(list(exp_dir.glob("meta-trajectory.attempt-*.json")))
    if path.exists():
        path.rename(exp_dir / f"meta-trajectory.attempt-{attempt}.json")
        attempt += 1
    max_turns = climb.config.meta_max_turns
    return Transcript(path, model=climb.config.meta_model, session_id=f"{climb.state.run_id}-exp{exp}-{attempt}",
                      on_turn=lambda note: climb.event("meta_turn", exp=exp, max_turns=max_turns, **note))


async def static_gate(climb: ClimbHandle, exp: int, diff: str, proposal: Proposal) -> Rejection | None:
    """Step 2 (gate 0): a real change of agent.py only, it compiles, MODEL within bounds and
    usable by its trials, no scoring files named. Emits the gate's event either way."""
    rejection = _static_rejection(climb, diff, proposal)
    if rejection is None:
        cfg = climb.config
        unusable = await unusable_model(climb.ctx.workspace.agent_source(), cfg.task_model, cfg.allowed_models,
                                        cfg.base_url)
        rejection = Rejection("invalid", unusable) if unusable else None
    agent_file = climb.ctx.workspace.path / climb.config.agent_path
    model = task_model(climb.config.task_model, agent_file.read_text() if agent_file.is_file() else "")
    if rejection:
        climb.event("gate", exp=exp, gate="static", passed=False, status=rejection.status,
                    reason=rejection.reason, task_model=model)
    else:
        climb.event("gate", exp=exp, gate="static", passed=True, task_model=model,
                    reason=f"only {climb.config.agent_path} changed, it compiles, MODEL is allowed and usable, "
                           "no scoring files named")
    return rejection


def _static_rejection(climb: ClimbHandle, diff: str, proposal: Proposal) -> Rejection | None:
    ws, cfg = climb.ctx.workspace, climb.config
    scope = ws.check_scope(climb.state.incumbent.commit)
    if not scope.ok:
        return Rejection("invalid", scope.reason)
    if not diff.strip():
        return Rejection("invalid", "no change to agent.py")
    source = ws.agent_source()
    error = compile_error(source, cfg.agent_path)
    if error:
        return Rejection("crash", error)
    incumbent = Path(climb.state.incumbent.agent_file).read_text()
    violation = (model_violation(source, incumbent, cfg.allowed_models, fixed=cfg.task_model is not None)
                 or scoring_reference(source, incumbent))
    return Rejection("invalid", violation) if violation else None


async def smoke(climb: ClimbHandle, exp: int, candidate: Version, proposal: Proposal) -> Rejection | None:
    """Step 3 (gate 1): one train task; the agent must reach its first model call."""
    reason = await climb.resilient("smoke", lambda: _smoke_trial(climb, exp, candidate, proposal), exp)
    if reason:
        climb.event("gate", exp=exp, gate="smoke", passed=False, status="crash", reason=reason)
        return Rejection("crash", reason)
    climb.event("gate", exp=exp, gate="smoke", passed=True, reason="the agent ran one train task without crashing")
    return None


async def _smoke_trial(climb: ClimbHandle, exp: int, candidate: Version, proposal: Proposal) -> str | None:
    task = next(iter(proposal.targeted_tasks), None) or climb.rng.choice(climb.ctx.train)
    agent = climb.ctx.evaluator.agent(Path(candidate.agent_file), "candidate")
    results = await climb.ctx.evaluator.run([(agent, task, 1, "smoke")],
                                            climb.ctx.run_dir / "experiments" / f"exp-{exp:04d}" / "smoke",
                                            exp=exp, stage="smoke")
    result = results[0]
    if result.status == TrialStatus.INFRA_ERROR:
        raise InfraBatchError(f"smoke trial: {result.error}", {result.error_kind or "unknown": 1},
                              retryable=result.retryable is not False)
    calls = (result.usage or {}).get("model_calls", 0)
    if result.status == TrialStatus.AGENT_ERROR and calls == 0:
        return f"the agent crashed before its first model call: {result.error}"[:1000]
    return None


def tamper_gate(climb: ClimbHandle, exp: int, after: str) -> Rejection | None:
    """After smoke and after the decision: any of the candidate's own trials the tamper audit
    flagged refuses it (``overfit``), whatever it scored. The meta-agent's spot checks ran
    drafts, not this candidate, and do not count (their flags are in the ledger all the same)."""
    flagged = [t for t in climb.ctx.evaluator.tampered.get(exp, [])
               if t.agent == "candidate" and t.stage in ("smoke", "decide")]
    if not flagged:
        return None
    reason = tampering_reason(flagged)
    climb.event("gate", exp=exp, gate="tamper", passed=False, status="overfit", reason=reason, after=after,
                trials=[t.to_json() for t in flagged])
    return Rejection("overfit", reason)


async def decide(climb: ClimbHandle, exp: int, candidate: Version, proposal: Proposal, exp_dir: Path) -> Decision:
    """Step 4: the keep rule, candidate and incumbent paired in the same batches."""
    ctx, incumbent = climb.ctx, climb.state.incumbent
    simpler = is_simpler(count_complexity(Path(incumbent.agent_file).read_text()),
                         count_complexity(Path(candidate.agent_file).read_text()))
    record, baseline = climb.state.record, climb.state.baseline
    decision = await climb.resilient("decision", lambda: evaluate_candidate(
        ctx.evaluator.measure(Path(candidate.agent_file), Path(incumbent.agent_file), exp_dir, exp,
                              baseline=None if baseline is None else Path(baseline.agent_file)),
        ctx.train, record, climb.config.decide, targeted=proposal.targeted_tasks,
        candidate_simpler=simpler, rng=climb.rng), exp)
    climb.event("decision", exp=exp, verdict=decision.verdict, reason=decision.reason,
                stage=decision.stage_reached, delta=decision.delta, delta_se=decision.delta_se,
                bound=decision.bound, statistic=decision.statistic, trials=decision.trials_used,
                candidate_score=decision.candidate_score, reported_score=decision.reported_score,
                per_task_delta=per_task_delta(decision), candidate_means=task_means(decision.candidate_per_task),
                incumbent_means=task_means(decision.incumbent_per_task), simpler=simpler,
                change_vs_baseline=change_vs_baseline(decision),
                task_model=task_model(climb.config.task_model, Path(candidate.agent_file).read_text()))
    return decision


async def overfit_gate(climb: ClimbHandle, exp: int, decision: Decision, diff: str,
                       proposal: Proposal) -> GateResult | None:
    """Step 5: the leak scan and the fresh-context reviewer, for a would-be keep. None when the
    judge could not answer: no verdict is no pass."""
    ctx, incumbent = climb.ctx, climb.state.incumbent
    try:
        verdict = await climb.resilient("gate", lambda: gate(
            ctx.judge_model(), diff=diff, description=proposal.description, hypothesis=proposal.hypothesis,
            tasks=ctx.all_tasks, baseline_source=Path(incumbent.agent_file).read_text(),
            **climb.config.judge_settings.settings()), exp)
    except ModelRequestError as exc:
        climb.event("gate", exp=exp, gate="overfit", passed=False, status="overfit",
                    reason=f"the judge model failed: {exc}"[:500], leaks=[], verdict=None)
        return None
    climb.event("gate", exp=exp, gate="overfit", passed=verdict.passed, status=verdict.status,
                reason=verdict.reason, leaks=[vars(f) for f in verdict.leak.findings][:20],
                verdict=None if verdict.verdict is None else {"worthwhile": verdict.verdict.worthwhile,
                                                              "reason": verdict.verdict.reason})
    return verdict


async def keep_or_discard(climb: ClimbHandle, exp: int, candidate: Version, decision: Decision,
                          verdict: GateResult | None, tampering: Rejection | None = None) -> Outcome:
    """Step 6: a keep (the rule said so, the gate passed, no trial of it was flagged) becomes
    the incumbent and runs on held-out; anything else resets the workspace. The incumbent's
    fresh re-measurements count either way."""
    ctx, state = climb.ctx, climb.state
    if tampering is not None:
        status = tampering.status
    elif decision.verdict != "keep":
        status = "discard"
    else:
        status = "keep" if verdict is not None and verdict.passed else "overfit"
    record = next_incumbent(state.record, decision if status != "overfit" else replace(decision, verdict="discard"))
    if status == "keep":
        candidate.train_score = decision.reported_score
        # The reported score comes from the confirmation trials; its error must too.
        candidate.train_se = (suite_se(decision.confirmation_per_task, more=decision.candidate_per_task)
                              if decision.confirmation_per_task else suite_se(decision.candidate_per_task))
        candidate.heldout_score = await climb.resilient("heldout", lambda: climb.heldout(candidate, exp), exp)
        state.incumbent, state.last_keep_exp = candidate, exp
        # Under drift the absolute score moves with the world; the paired change does not.
        climb.event("keep", exp=exp, commit=candidate.commit, train_score=candidate.train_score,
                    heldout_score=candidate.heldout_score, change_vs_baseline=change_vs_baseline(decision))
    else:
        ctx.workspace.reset(state.incumbent.commit)
    state.record = record
    return Outcome(status, {
        "train_score": decision.reported_score if status == "keep" else decision.candidate_score,
        "train_se": candidate.train_se if status == "keep" else suite_se(decision.candidate_per_task),
        "delta": decision.delta, "p_or_bound": decision.bound, "passed": passed(decision.candidate_per_task)})

"""One experiment of a climb: propose -> static gate -> smoke -> decide -> anti-overfit -> keep or revert.

Functions take the running ``Climb`` so the loop and its bookkeeping stay in climb.py.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from meta.climb.state import Version
from meta.decide.rule import evaluate_candidate, next_incumbent
from meta.climb.evaluation import InfraBatchError
from meta.gates.overfit import gate
from meta.ledger.store import ResultRow
from meta.proposer.session import Proposer, ProposerSetup
from meta.proposer.tools import Proposal, ToolSetup
from meta.gates.static import compile_error, model_violation, scoring_reference, task_model
from meta.workspace.scope import count_complexity
from sandbox.results import TrialStatus
from models import ModelRequestError, ScriptExhaustedError, create_model

MAX_META_FAILURES = 3


async def run_experiment(climb, exp: int) -> None:
    """Propose, gate, decide, guard against overfitting; keep or revert; one ledger row."""
    ctx = climb.ctx
    started, (cost0, tokens0) = time.monotonic(), climb.spend()
    incumbent = climb.state.incumbent
    assert incumbent is not None and climb.state.record is not None
    exp_dir = ctx.run_dir / "experiments" / f"exp-{exp:04d}"
    ctx.workspace.reset(incumbent.commit)
    try:
        proposal = await climb.resilient("proposal", lambda: propose(climb, exp, exp_dir), exp,
                                        before_retry=lambda: ctx.workspace.reset(incumbent.commit))
    except ScriptExhaustedError as exc:
        raise climb.Stop(f"the scripted meta model has no more responses ({exc})") from exc
    except ModelRequestError as exc:
        # The meta model refused the request (context too long, bad request): this experiment
        # is lost, the climb is not; three in a row means something is systematically wrong.
        climb.meta_failures += 1
        if climb.meta_failures >= MAX_META_FAILURES:
            raise climb.Stop(f"the meta model failed {climb.meta_failures} times in a row: {exc}") from exc
        proposal = Proposal(description=f"meta-agent request failed: {exc}"[:300], finished=False)
    else:
        climb.meta_failures = 0
    diff = ctx.workspace.diff(incumbent.commit)
    exp_dir.mkdir(parents=True, exist_ok=True)
    (exp_dir / "diff.patch").write_text(diff)

    def row(status: str, commit: str = "", **fields) -> ResultRow:
        cost, tokens = climb.spend()
        return ResultRow(exp=exp, commit=commit, status=status, cost_usd=round(cost - cost0, 6),
                         tokens=tokens - tokens0, minutes=round((time.monotonic() - started) / 60, 2),
                         heldout_score=climb.state.incumbent.heldout_score,
                         description=proposal.description, **fields)

    failure = ("crash", proposal.description) if not proposal.finished and not diff.strip() else None
    failure = failure or static_gate(climb, exp, diff, proposal)
    agent_file = ctx.workspace.path / climb.config.agent_path
    model = task_model(climb.config.task_model, agent_file.read_text() if agent_file.is_file() else "")
    if failure:
        status, reason = failure
        climb.event("gate", exp=exp, gate="static", passed=False, status=status, reason=reason,
                    task_model=model)
        ctx.workspace.reset(incumbent.commit)
        climb.write_row(row(status))
        return
    climb.event("gate", exp=exp, gate="static", passed=True, task_model=model,
                reason=f"only {climb.config.agent_path} changed, it compiles, MODEL is allowed, "
                       "no scoring files named")
    candidate_sha = ctx.workspace.commit(f"exp {exp}: {proposal.description}")
    candidate = ctx.snapshot(candidate_sha)
    crash = await climb.resilient("smoke", lambda: smoke(climb, exp, candidate, proposal), exp)
    if crash:
        climb.event("gate", exp=exp, gate="smoke", passed=False, status="crash", reason=crash)
        ctx.workspace.reset(incumbent.commit)
        climb.write_row(row("crash", candidate_sha))
        return
    climb.event("gate", exp=exp, gate="smoke", passed=True, reason="the agent ran one train task without crashing")
    simpler = (count_complexity(Path(candidate.agent_file).read_text()).tokens
               < count_complexity(Path(incumbent.agent_file).read_text()).tokens)
    record = climb.state.record
    decision = await climb.resilient("decision", lambda: evaluate_candidate(
        ctx.evaluator.measure(Path(candidate.agent_file), Path(incumbent.agent_file), exp_dir, exp),
        ctx.train, record, climb.config.decide, targeted=proposal.targeted_tasks,
        candidate_simpler=simpler, rng=climb.rng), exp)
    per_task_delta = {t: round(sum(c) / len(c) - sum(decision.incumbent_per_task[t]) /
                               len(decision.incumbent_per_task[t]), 4)
                      for t, c in decision.candidate_per_task.items()
                      if c and decision.incumbent_per_task.get(t)}
    means = lambda per_task: {t: round(sum(v) / len(v), 4) for t, v in per_task.items() if v}  # noqa: E731
    climb.event("decision", exp=exp, verdict=decision.verdict, reason=decision.reason,
               stage=decision.stage_reached, delta=decision.delta, delta_se=decision.delta_se,
               bound=decision.bound, statistic=decision.statistic, trials=decision.trials_used,
               candidate_score=decision.candidate_score, reported_score=decision.reported_score,
               per_task_delta=per_task_delta, candidate_means=means(decision.candidate_per_task),
               incumbent_means=means(decision.incumbent_per_task), simpler=simpler,
               task_model=task_model(climb.config.task_model, Path(candidate.agent_file).read_text()))
    status = "keep" if decision.verdict == "keep" else "discard"
    if status == "keep":
        try:
            verdict = await climb.resilient("gate", lambda: gate(
                ctx.judge_model(), diff=diff, description=proposal.description, hypothesis=proposal.hypothesis,
                tasks=ctx.all_tasks, baseline_source=Path(incumbent.agent_file).read_text()), exp)
        except ModelRequestError as exc:  # no verdict is no pass: an edit is kept only through the gate
            climb.event("gate", exp=exp, gate="overfit", passed=False, status="overfit",
                        reason=f"the judge model failed: {exc}"[:500], leaks=[], verdict=None)
            status = "overfit"
        else:
            climb.event("gate", exp=exp, gate="overfit", passed=verdict.passed, status=verdict.status,
                        reason=verdict.reason, leaks=[vars(f) for f in verdict.leak.findings][:20],
                        verdict=None if verdict.verdict is None else {"worthwhile": verdict.verdict.worthwhile,
                                                                      "reason": verdict.verdict.reason})
            if not verdict.passed:
                status = "overfit"
    # An overfit candidate is not kept; the incumbent's fresh re-measurements still count.
    new_record = next_incumbent(record, decision if status != "overfit" else replace(decision, verdict="discard"))
    if status == "keep":
        candidate.train_score = decision.reported_score
        # The reported score comes from the confirmation trials; its error must too.
        candidate.train_se = (ctx.suite_se(decision.confirmation_per_task, more=decision.candidate_per_task)
                              if decision.confirmation_per_task else ctx.suite_se(decision.candidate_per_task))
        candidate.heldout_score = await climb.resilient("heldout", lambda: climb.heldout(candidate, exp), exp)
        climb.state.incumbent, climb.state.last_keep_exp = candidate, exp
        climb.event("keep", exp=exp, commit=candidate_sha, train_score=candidate.train_score,
                   heldout_score=candidate.heldout_score)
    else:
        ctx.workspace.reset(incumbent.commit)
    climb.state.record = new_record
    score = decision.reported_score if status == "keep" else decision.candidate_score
    climb.write_row(row(status, candidate_sha, train_score=score,
                       train_se=candidate.train_se if status == "keep" else ctx.suite_se(decision.candidate_per_task),
                       delta=decision.delta,
                       p_or_bound=decision.bound, passed=ctx.passed(decision.candidate_per_task)))


async def propose(climb, exp: int, exp_dir: Path) -> Proposal:
    """One fresh meta-agent conversation; its spot checks run the edited agent on train tasks."""
    ctx = climb.ctx
    spot_dir = exp_dir / "spot"
    candidate_file = ctx.workspace.path / climb.config.agent_path
    calls = 0

    async def spot_check(task_ids: list[str], repeats: int):
        nonlocal calls
        calls += 1
        agent = ctx.evaluator.agent(candidate_file, "candidate")
        return await ctx.evaluator.run([(agent, t, repeats, "spot") for t in task_ids],
                                       spot_dir / f"check-{calls:02d}", exp=exp, stage="spot_check")

    model = create_model(climb.config.meta_model, role="meta", tracker=ctx.tracker,
                         base_url=climb.config.meta_url, retry=ctx.retry, prices=ctx.evaluator.models.prices)
    try:
        proposal = await Proposer(ProposerSetup(
            model=model, program=ctx.program,
            ledger_summary=ctx.ledger.summary_for_proposer(hidden_tasks=ctx.heldout),
            max_turns=climb.config.meta_max_turns, allowed_models=climb.config.allowed_models,
            task_model_fixed=climb.config.task_model is not None,
            tools=ToolSetup(
                workspace_path=ctx.workspace.path, agent_path=climb.config.agent_path, reach=ctx.reach,
                trials=ctx.trial_index, spot_check=spot_check, spot_budget=climb.config.spot_budget,
                train_instructions={t: ctx.tasks[t].instruction for t in ctx.train},
                train_scores=ctx.train_means(climb.state.record),
                experiments=ctx.ledger.summary_for_proposer(last_n=climb.state.exp + 1,
                                                            hidden_tasks=ctx.heldout)))).run()
    finally:
        await model.aclose()
    climb.event("proposal", exp=exp, description=proposal.description, hypothesis=proposal.hypothesis,
               failure_class=proposal.failure_class, targeted=proposal.targeted_tasks,
               finished=proposal.finished, turns=proposal.turns, spot_trials=proposal.spot_trials)
    return proposal

def static_gate(climb, exp: int, diff: str, proposal: Proposal) -> tuple[str, str] | None:
    """Gate 0: scope, a real change, compiles, MODEL within bounds. (status, reason) on failure."""
    ws, cfg = climb.ctx.workspace, climb.config
    scope = ws.check_scope(climb.state.incumbent.commit)
    if not scope.ok:
        return "invalid", scope.reason
    if not diff.strip():
        return "invalid", "no change to agent.py"
    source = ws.agent_source()
    error = compile_error(source, cfg.agent_path)
    if error:
        return "crash", error
    incumbent = Path(climb.state.incumbent.agent_file).read_text()
    violation = (model_violation(source, incumbent, cfg.allowed_models, fixed=cfg.task_model is not None)
                 or scoring_reference(source, incumbent))
    if violation:
        return "invalid", violation
    return None

async def smoke(climb, exp: int, candidate: Version, proposal: Proposal) -> str | None:
    """Gate 1: one train task; the agent must start without crashing."""
    task = next(iter(proposal.targeted_tasks), None) or climb.rng.choice(climb.ctx.train)
    agent = climb.ctx.evaluator.agent(Path(candidate.agent_file), "candidate")
    results = await climb.ctx.evaluator.run([(agent, task, 1, "smoke")],
                                           climb.ctx.run_dir / "experiments" / f"exp-{exp:04d}" / "smoke",
                                           exp=exp, stage="smoke")
    result = results[0]
    if result.status == TrialStatus.INFRA_ERROR:
        raise InfraBatchError(f"smoke trial: {result.error}", {result.error_kind or "unknown": 1})
    calls = (result.usage or {}).get("model_calls", 0)
    if result.status == TrialStatus.AGENT_ERROR and calls == 0:
        return f"the agent crashed before its first model call: {result.error}"[:1000]
    return None

"""The phases of one trial after its container is up: agent, tamper audit, verifier."""

from __future__ import annotations

import asyncio
import traceback

from sandbox.agents import Agent, AgentContext, AgentError
from sandbox.audit import audit, unavailable
from sandbox.collect import collect_artifacts, collect_logs
from sandbox.environment import Auditable, Environment, InfraError
from sandbox.extract import Limits, neutralize
from sandbox.helper import Bundle, crlf_hint, helper_bytes
from sandbox.images import ImageInfo
from sandbox.results import TrialStatus
from sandbox.reward import RewardError, parse_reward
from sandbox.stage import Staged
from sandbox.trial_state import Attempt, TrialConfig, TrialSpec
from sandbox.verify import prepare, verify


async def agent_phase(spec: TrialSpec, agent: Agent, env: Environment, timeout: float, workdir: str | None,
                      run_id: str, state: Attempt) -> None:
    task = spec.task
    ctx = AgentContext(task=task, env=env, logs_dir=spec.trial_dir / "agent", timeout_sec=timeout,
                       user=task.config.agent.user, workdir=workdir, trial_id=spec.trial_id, run_id=run_id)
    try:
        await _run_agent(agent, ctx, timeout, state)
    finally:
        # The jail wrote agent/ directly: links it left there must lead no later reader elsewhere,
        # whatever way the agent phase ended.
        removed = neutralize(spec.trial_dir / "agent")
        if removed:
            state.warnings.append(f"removed {len(removed)} links or special files the agent left in agent/ "
                                  f"(e.g. {removed[0]})")
    state.outcome = state.outcome or ctx.outcome


async def _run_agent(agent: Agent, ctx: AgentContext, timeout: float, state: Attempt) -> None:
    try:
        async with asyncio.timeout(timeout) as deadline:
            state.outcome = await agent.run(ctx)
    except TimeoutError:
        if deadline.expired():
            state.fail(TrialStatus.AGENT_TIMEOUT, "agent_timeout", f"the agent used its whole budget of {timeout:g}s")
        else:
            state.fail(TrialStatus.AGENT_ERROR, "agent_crash", "TimeoutError inside the agent")
    except InfraError:
        raise
    except AgentError as exc:
        state.fail(TrialStatus.AGENT_ERROR, exc.kind, str(exc))
    except Exception as exc:  # any bug of an agent is its own failure, not the suite's
        tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        state.fail(TrialStatus.AGENT_ERROR, "agent_crash", tb)


async def audit_and_upload(spec: TrialSpec, agent: Agent, env: Environment, image: ImageInfo,
                           workdir: str | None, state: Attempt, audit_on: bool) -> Bundle:
    """Put the verification bundle in place, then or meanwhile let the audit look at the
    agent's changes. Behind the container's read-only door (``sandbox.stage``: host writes,
    a few milliseconds) it is placed first; else an upload puts it in its own random folder
    while the audit runs. The audit leaves out the door and that folder, and nothing else."""
    door = env.door if isinstance(env, Staged) else None
    if door is not None and isinstance(env, Staged):
        staged = await env.stage(spec.task.tests_dir, helper_bytes())
        if staged is not None:
            if audit_on:
                await audit_phase(spec, agent, env, image, workdir, state, (door,))
            return staged
    pack = prepare(spec.task)  # the upload's tar: built only when it is sent
    upload = env.put_archive(pack.tar, "/")
    if audit_on:
        exempt = (pack.folder,) + ((door,) if door else ())
        await asyncio.gather(audit_phase(spec, agent, env, image, workdir, state, exempt), upload)
    else:
        await upload
    return pack


async def audit_phase(spec: TrialSpec, agent: Agent, env: Environment, image: ImageInfo, workdir: str | None,
                      state: Attempt, exempt: tuple[str, ...] = ()) -> None:
    """Record what the agent changed that could sway the verifier (before the verifier changes anything)."""
    if not isinstance(env, Auditable):
        state.tamper = unavailable("this environment cannot list its filesystem changes")
        return
    task = spec.task
    path_var = task.verifier_env.get("PATH") or task.container_env.get("PATH") or image.path or None
    try:
        state.tamper = await audit(env, workdir=workdir, path_var=path_var,
                                   exempt=exempt + tuple(getattr(agent, "audit_exempt", ())))
    except InfraError as exc:
        state.tamper = unavailable(f"the audit failed: {exc}")


async def verifier_phase(spec: TrialSpec, agent: Agent, env: Environment, image: ImageInfo,
                         workdir: str | None, config: TrialConfig, state: Attempt) -> None:
    task = spec.task
    try:
        pack = await audit_and_upload(spec, agent, env, image, workdir, state, config.tamper_audit)
        outcome = await verify(env, task, image, workdir, pack, uploaded=True)
    except InfraError as exc:
        if await _stopped(env):
            state.fail(TrialStatus.VERIFIER_ERROR, "container_stopped",
                       "the container's main process ended before verification (the agent, root in the "
                       "container, can end it; so can running out of memory): nothing could be verified")
            state.warnings.append(f"verification: {exc}")  # what it met, for whoever reads the result
            return
        raise
    state.verifier_exit_code = outcome.test_exit_code
    limits = Limits(max_stream_bytes=config.logs_max_bytes, file_max_bytes=config.log_file_max_bytes,
                    keep_bytes=config.log_keep_bytes)
    collected = await collect_logs(env, spec.trial_dir, limits)
    state.warnings += collected.warnings
    state.warnings += await collect_artifacts(env, task.artifact_paths(), spec.trial_dir, limits)
    if outcome.timed_out:
        state.fail(TrialStatus.VERIFIER_ERROR, "verifier_timeout",
                   f"tests/test.sh exceeded [verifier].timeout_sec = {task.config.verifier.timeout_sec:g}")
    elif outcome.failed:
        state.fail(TrialStatus.VERIFIER_ERROR, outcome.failed_kind or "verifier_not_run", outcome.failed)
    elif collected.verifier_too_large:
        state.fail(TrialStatus.VERIFIER_ERROR, "verifier_output_too_large", collected.verifier_too_large)
    else:
        try:
            state.rewards = parse_reward(spec.trial_dir / "verifier")
        except RewardError as exc:
            state.fail(TrialStatus.VERIFIER_ERROR, exc.kind, str(exc) + _why_no_reward(exc, outcome.test_exit_code,
                                                                                       spec))


def _why_no_reward(exc: RewardError, code: int | None, spec: TrialSpec) -> str:
    if exc.kind != "reward_file_missing":
        return ""
    hints = [f"tests/test.sh exited with {code}"] if code is not None else []
    if code in (126, 127):
        hints.append("it could not be started (126: not executable, 127: its interpreter was not found)")
    crlf = crlf_hint(spec.task.tests_dir)
    if crlf:
        hints.append(crlf)
    return f" ({'; '.join(hints)})" if hints else ""


async def _stopped(env: Environment) -> bool:
    try:
        return not await env.running()
    except InfraError:
        return False

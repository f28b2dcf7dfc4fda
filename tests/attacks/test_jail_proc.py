"""What the jail shows of the host: no host path in /proc, the environment, errors or file names."""

from __future__ import annotations

import json
import os

import pytest

from sandbox.results import TrialStatus
from task_agent.host import ModelSettings
from task_agent.jail import AGENT_UID, python_prefix, source_root
from tests.attacks.jail_helpers import findings, hostile, run_one, script

pytestmark = pytest.mark.docker

SNOOP = """
import glob, traceback
from task_agent.runtime import ChannelError, ModelError

def read(path):
    try:
        with open(path, "rb") as source:
            return source.read(1_000_000).replace(b"\\0", b" ").decode(errors="replace")
    except OSError as exc:
        return f"({exc})"

def names(top):
    found = []
    for folder, dirs, files in os.walk(top):
        if folder.startswith(("/proc", "/sys", "/usr", "/opt/python")):
            dirs[:] = []
            continue
        found += [os.path.join(folder, name) for name in dirs + files]
    return found

async def run(ctx):
    seen = {"mountinfo": read("/proc/self/mountinfo"), "mounts": read("/proc/self/mounts"),
            "cmdlines": {p: read(p) for p in glob.glob("/proc/[0-9]*/cmdline")},
            "environs": {p: read(p) for p in glob.glob("/proc/[0-9]*/environ")},
            "cwd": os.getcwd(), "environ": dict(os.environ), "argv": sys.argv, "path": sys.path,
            "executable": sys.executable, "prefix": sys.prefix, "files": names("/"),
            "model": ctx.model.name, "uid_map": read("/proc/self/uid_map"), "uid": os.getuid(),
            "cgroup": read("/proc/self/cgroup"),
            "namespaces": {ns: os.stat(f"/proc/self/ns/{ns}").st_ino
                           for ns in ("user", "pid", "net", "ipc", "uts", "cgroup", "mnt")}}
    try:
        raise RuntimeError("where am I")
    except RuntimeError:
        seen["traceback"] = traceback.format_exc()
    errors = []
    for call in (lambda: ctx.env._channel.call("exec"), lambda: ctx.env._channel.call("no such op"),
                 lambda: ctx.env.read_file("/no/such/file"),
                 lambda: ctx.model.complete([{"role": "user", "content": "hi"}])):
        try:
            await call()
        except (ChannelError, ModelError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    seen["errors"] = errors
    await ctx.model.complete([{"role": "user", "content": "hi"}], system="never sent")  # the script's one answer
    report(seen)
"""


async def test_no_host_path_reaches_the_agent(tmp_path, runner):
    # a rule the agent's first call does not match: the model's error names its script file
    model = script(tmp_path, {"rules": [{"match": {"system_contains": "never sent"}, "responses": [{"text": "x"}]}]})
    agent = hostile(tmp_path, "snoop", SNOOP)
    result, trial_dir = await run_one(tmp_path, runner, agent, models=ModelSettings(task_model=model))
    assert result.status == TrialStatus.OK, result.error
    seen = findings(trial_dir)
    text = json.dumps(seen)
    forbidden = [str(tmp_path), str(trial_dir), str(source_root()), str(agent.parent), "/tmp/pytest"]
    assert [path for path in forbidden if path in text] == []
    # everything it saw, it saw: the probes did run
    assert "/proc/1/cmdline" in seen["cmdlines"] and "bwrap" in seen["cmdlines"]["/proc/1/cmdline"]
    assert len(seen["errors"]) == 4 and "script.json" in seen["errors"][3]
    assert seen["model"] == "scripted:script.json" and "/agent/agent.py" in seen["traceback"] + " ".join(seen["argv"])
    assert seen["uid"] == AGENT_UID
    ours = {ns: os.stat(f"/proc/self/ns/{ns}").st_ino for ns in seen["namespaces"]}
    assert [ns for ns, inode in seen["namespaces"].items() if ours[ns] == inode] == []  # every namespace its own
    assert all(line.endswith(":/") for line in seen["cgroup"].splitlines())
    # the one host path a mount shows is the Python installation's (none when it lives under /usr)
    roots = {line.split()[3] for line in seen["mountinfo"].splitlines()}
    host_roots = {root for root in roots if root not in ("/", "/newroot") and not root.startswith(("/usr", "/bindfile"))
                  and root not in ("/null", "/zero", "/full", "/random", "/urandom", "/tty", "/irq", "/bus",
                                   "/sys", "/sysrq-trigger", "/fs")}
    prefix = str(python_prefix())
    assert host_roots == (set() if prefix.startswith("/usr/") else {prefix}), host_roots


async def test_no_capabilities_and_as_root_host_uid_65534(tmp_path, runner):
    agent = hostile(tmp_path, "whoami", """
        async def run(ctx):
            with open("/proc/self/uid_map") as source:
                report({"uid": os.getuid(), "uid_map": source.read().split(),
                        "status": open("/proc/self/status").read(),
                        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())})
    """)
    result, trial_dir = await run_one(tmp_path, runner, agent)
    assert result.status == TrialStatus.OK, result.error
    seen = findings(trial_dir)
    assert seen["uid"] == AGENT_UID and seen["pids"] == [1, 2]  # its own process list: bubblewrap's init and itself
    capabilities = {line.split(":")[0]: line.split()[1]
                    for line in seen["status"].splitlines() if line.startswith("Cap")}
    assert int(capabilities["CapEff"], 16) == int(capabilities["CapPrm"], 16) == int(capabilities["CapAmb"], 16) == 0
    assert "NoNewPrivs:\t1" in seen["status"]
    if os.geteuid() == 0:  # a root climb: the jail's uid 65534 is host uid 65534, not root
        assert seen["uid_map"] == ["0", "0", "1", str(AGENT_UID), str(AGENT_UID), "1"]
    else:  # a user's climb: uid 65534 is the user, through the namespace --disable-userns puts between them
        assert seen["uid_map"][0::3] == [str(AGENT_UID)]

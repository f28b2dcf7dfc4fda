"""`--env` and `--env-option`: parsing, errors that name the fix, and a climb keeping its choice."""

from __future__ import annotations

from argparse import Namespace

import pytest

from meta.cli.climb import config_from_args
from meta.cli.parsers import build_parser
from meta.climb.config import ClimbConfig
from meta.climb.errors import SetupError
from meta.cli.envs import env_choice
from sandbox.backends import EnvChoice
from sandbox.harbor_backend import HarborBackend, HarborEnvConfig, HarborUnavailable, parse_options
from tests.climb_helpers import make_repo


def test_specs_and_options_parse_or_say_what_is_expected():
    for bad in ("docker2", "harbor:"):
        with pytest.raises(ValueError, match="harbor:<type>"):
            HarborEnvConfig.parse(bad)
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_options(["region"])
    parsed = HarborEnvConfig.parse("harbor:daytona", parse_options(["snapshot=abc", "cpus=2", "keep=true"]))
    assert parsed.type == "daytona" and parsed.options == {"snapshot": "abc", "cpus": 2, "keep": True}
    assert HarborEnvConfig.parse("harbor:pkg.mod:Cls").import_path == "pkg.mod:Cls"
    assert EnvChoice.from_args(None, None) == EnvChoice() and not EnvChoice().harbor
    with pytest.raises(ValueError, match="applies to a Harbor environment"):
        EnvChoice.from_args("docker", ["a=b"])
    with pytest.raises(SetupError, match="expected docker"):
        env_choice(Namespace(env="dockr", env_option=None))


def test_options_that_would_mount_host_folders_into_the_sandbox_are_refused():
    for option in ("auto_mounting=true", 'mounts=[{"type": "bind", "source": "/", "target": "/host"}]'):
        with pytest.raises(SetupError, match="host folders are never mounted"):
            env_choice(Namespace(env="harbor:docker", env_option=[option]))
    assert EnvChoice.from_args("harbor:docker", ["auto_mounting=false"]).harbor is not None


@pytest.mark.harbor
def test_an_unknown_provider_or_plugin_is_named_with_the_known_types():
    with pytest.raises(HarborUnavailable, match=r"harbor:nosuch.*built-in types: .*daytona.*docker"):
        HarborBackend(HarborEnvConfig.parse("harbor:nosuch"), "x").env_class()
    with pytest.raises(HarborUnavailable, match=r"harbor:no\.such\.module:Env"):
        HarborBackend(HarborEnvConfig.parse("harbor:no.such.module:Env"), "x").env_class()


def test_a_climb_keeps_its_engine_in_config_json(tmp_path):
    repo = make_repo(tmp_path)
    args = build_parser().parse_args(["run", str(repo / "tasks"), "--meta-model", "scripted:m.json",
                                      "--repo", str(repo), "--env", "harbor:modal",
                                      "--env-option", "region=eu", "--env-option", "gpu=false"])
    config = config_from_args(args)
    assert config.env == EnvChoice(name="harbor:modal", options={"region": "eu", "gpu": False})
    resumed = ClimbConfig.model_validate_json(config.model_dump_json())  # what --resume reads back
    assert resumed.env == config.env and resumed.env.harbor.type == "modal"
    assert not resumed.env.needs_docker and EnvChoice(name="harbor:docker").needs_docker

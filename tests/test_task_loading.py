"""task.toml parsing: every malformed case names its file and field; real variants load."""

from __future__ import annotations

import pytest

from sandbox.task import TaskLoadError, discover, load_task
from sandbox.task_config import NetworkMode
from tests.helpers import make_task


def test_minimal_task_loads_with_defaults(tmp_path):
    task = load_task(make_task(tmp_path, "t", toml=""))
    assert task.id == "t"
    assert task.config.schema_version == "1.4"
    assert task.config.verifier.timeout_sec == 600
    assert task.config.agent.timeout_sec is None
    assert task.config.environment.network_mode == NetworkMode.PUBLIC
    assert task.instruction.startswith("Write the word hello")


def test_bad_toml_syntax_names_the_file(tmp_path):
    path = make_task(tmp_path, "t", toml="[agent\ntimeout_sec = 3\n")
    with pytest.raises(TaskLoadError) as err:
        load_task(path)
    assert str(path / "task.toml") in str(err.value)
    assert "invalid TOML" in str(err.value)


def test_wrong_type_names_the_field(tmp_path):
    path = make_task(tmp_path, "t", toml='[verifier]\ntimeout_sec = "soon"\n')
    with pytest.raises(TaskLoadError) as err:
        load_task(path)
    assert err.value.field_name == "verifier.timeout_sec"
    assert "task.toml: verifier.timeout_sec" in str(err.value)


def test_negative_timeout_rejected(tmp_path):
    with pytest.raises(TaskLoadError, match=r"agent\.timeout_sec"):
        load_task(make_task(tmp_path, "t", toml="[agent]\ntimeout_sec = -1\n"))


def test_missing_instruction(tmp_path):
    path = make_task(tmp_path, "t")
    (path / "instruction.md").unlink()
    with pytest.raises(TaskLoadError, match=r"missing instruction\.md") as err:
        load_task(path)
    assert err.value.path == path / "instruction.md"


def test_missing_test_sh(tmp_path):
    path = make_task(tmp_path, "t", test_sh=None)
    with pytest.raises(TaskLoadError, match=r"tests/test\.sh") as err:
        load_task(path)
    assert err.value.path == path / "tests" / "test.sh"


def test_missing_dockerfile_and_image(tmp_path):
    with pytest.raises(TaskLoadError, match="Dockerfile"):
        load_task(make_task(tmp_path, "t", dockerfile=None))


def test_prebuilt_image_needs_no_dockerfile(tmp_path):
    task = load_task(make_task(tmp_path, "t", dockerfile=None,
                               toml='[environment]\ndocker_image = "climb-base:bookworm"\n'))
    assert task.config.environment.docker_image == "climb-base:bookworm"


def test_compose_task_is_rejected_clearly(tmp_path):
    path = make_task(tmp_path, "t", dockerfile=None,
                     files={"environment/docker-compose.yaml": "services: {main: {build: .}}\n"})
    with pytest.raises(TaskLoadError, match="docker-compose environments are not supported yet"):
        load_task(path)


def test_multi_step_task_is_rejected_clearly(tmp_path):
    """A real multi-step task has no top-level instruction.md or tests/test.sh: the steps
    are the reason given, not the missing files."""
    path = make_task(tmp_path, "t", toml='[[steps]]\nname = "one"\n[[steps]]\nname = "two"\n', test_sh=None,
                     files={"steps/one/instruction.md": "first", "steps/two/instruction.md": "second"})
    (path / "instruction.md").unlink()
    with pytest.raises(TaskLoadError, match=r"multi-step tasks \(\[\[steps\]\]\) are not supported") as err:
        load_task(path)
    assert err.value.field_name == "steps"


def test_undecodable_instruction(tmp_path):
    path = make_task(tmp_path, "t")
    (path / "instruction.md").write_bytes(b"\xff\xfe\xfa bad")
    with pytest.raises(TaskLoadError, match=r"cannot read instruction\.md"):
        load_task(path)


def test_deprecated_fields_converted(tmp_path):
    toml = """
    [environment]
    allow_internet = false
    memory = "4G"
    storage = "512M"
    """
    env = load_task(make_task(tmp_path, "t", toml=toml)).config.environment
    assert env.network_mode == NetworkMode.NO_NETWORK
    assert env.memory_mb == 4096
    assert env.storage_mb == 512


def test_explicit_network_mode_wins_over_allow_internet(tmp_path):
    toml = '[environment]\nallow_internet = false\nnetwork_mode = "public"\n'
    assert load_task(make_task(tmp_path, "t", toml=toml)).config.environment.network_mode == NetworkMode.PUBLIC


def test_deprecated_spellings_each_way(tmp_path):
    toml = '[environment]\nallow_internet = true\nmemory = 300\nstorage = "10G"\nmemory_mb = 100\n'
    env = load_task(make_task(tmp_path, "t", toml=toml)).config.environment
    assert (env.network_mode, env.memory_mb, env.storage_mb) == (NetworkMode.PUBLIC, 100, 10240)
    assert not {"allow_internet", "memory", "storage"} & set(env.model_dump())


@pytest.mark.parametrize("line,field,words", [
    ('memory = "lots"', "environment.memory", "invalid size 'lots'"),
    ('storage = "0G"', "environment.storage", "must be positive"),
    ('allow_internet = "no"', "environment.allow_internet", "valid boolean"),
    ('network_mode = "offline"', "environment.network_mode", "'no-network'"),
    ("cpus = 0", "environment.cpus", "positive"),
])
def test_bad_environment_values_name_their_field(tmp_path, line, field, words):
    path = make_task(tmp_path, "t", toml=f"[environment]\n{line}\n")
    with pytest.raises(TaskLoadError) as err:
        load_task(path)
    assert err.value.field_name == field
    assert str(err.value).startswith(f"{path / 'task.toml'}: {field}: ")
    assert words in str(err.value) and str(err.value).count(field) == 1


@pytest.mark.parametrize("header", ['version = "1.0"', 'schema_version = "1.1"', 'schema_version = "9.9-beta"'])
def test_any_schema_version_accepted(tmp_path, header):
    task = load_task(make_task(tmp_path, "t", toml=header + "\n"))
    assert task.config.schema_version == header.split('"')[1]


def test_real_world_variant_with_env_tables_and_artifacts(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIMB_TEST_TOKEN", "s3cret")
    toml = """
    version = "1.0"
    artifacts = ["/app/report.txt", {source = "/var/log/app", destination = "logs"}]

    [task]
    name = "org/example"
    keywords = ["x"]
    unknown_key = 3

    [metadata]
    difficulty = "hard"

    [verifier]
    timeout_sec = 120

    [verifier.env]
    TOKEN = "${CLIMB_TEST_TOKEN}"
    MODE = "${CLIMB_UNSET_VAR:-strict}"

    [environment]
    cpus = 2
    memory_mb = 2048
    workdir = "/srv"

    [environment.env]
    LANG = "C.UTF-8"

    [future_section]
    whatever = true
    """
    task = load_task(make_task(tmp_path, "t", toml=toml))
    assert task.verifier_env == {"TOKEN": "s3cret", "MODE": "strict"}
    assert task.container_env == {"LANG": "C.UTF-8"}
    assert task.config.metadata["difficulty"] == "hard"
    assert task.config.environment.workdir == "/srv"
    assert task.artifact_paths() == [("/app/report.txt", "app/report.txt"), ("/var/log/app", "logs")]


def test_unset_env_reference_names_field(tmp_path):
    toml = '[verifier.env]\nTOKEN = "${CLIMB_SURELY_UNSET_VAR}"\n'
    with pytest.raises(TaskLoadError, match=r"verifier.env.TOKEN.*CLIMB_SURELY_UNSET_VAR"):
        load_task(make_task(tmp_path, "t", toml=toml))


def test_canary_lines_dropped(tmp_path):
    path = make_task(tmp_path, "t", instruction="<!-- BENCHMARK DATA canary GUID 123 -->\nDo the thing.")
    assert load_task(path).instruction == "Do the thing.\n"


def test_discover_reports_bad_tasks_and_loads_the_rest(tmp_path):
    make_task(tmp_path, "good1")
    make_task(tmp_path / "nested", "good2")
    make_task(tmp_path, "bad", toml="[[[")
    make_task(tmp_path, "also-bad", test_sh=None)
    found = discover(tmp_path)
    assert sorted(t.id for t in found.tasks) == ["good1", "good2"]
    assert sorted(str(e.path.relative_to(tmp_path)) for e in found.errors) == [
        "also-bad/tests/test.sh", "bad/task.toml"]


def test_discover_flags_duplicate_names_and_missing_roots(tmp_path):
    make_task(tmp_path / "a", "same")
    make_task(tmp_path / "b", "same")
    found = discover(tmp_path, tmp_path / "nope")
    assert [t.id for t in found.tasks] == ["same"]
    messages = " ".join(str(e) for e in found.errors)
    assert "duplicate task name" in messages
    assert "no such file or directory" in messages


def test_discover_reports_a_task_folder_that_is_a_link(tmp_path):
    real = make_task(tmp_path / "elsewhere", "real")
    (tmp_path / "suite").mkdir()
    make_task(tmp_path / "suite", "plain")
    (tmp_path / "suite" / "alias").symlink_to(real)
    found = discover(tmp_path / "suite")
    assert [t.id for t in found.tasks] == ["plain"]
    assert len(found.errors) == 1 and found.errors[0].path == tmp_path / "suite" / "alias"
    assert f"is a symbolic link to {real}" in str(found.errors[0])


def test_discover_reports_two_tasks_with_the_same_package_name(tmp_path):
    toml = '[task]\nname = "org/same"\n'
    make_task(tmp_path, "first", toml=toml)
    make_task(tmp_path, "second", toml=toml)
    found = discover(tmp_path)
    assert [t.id for t in found.tasks] == ["first"]
    (error,) = found.errors
    assert error.field_name == "task.name" and "duplicate [task].name 'org/same'" in str(error)
    assert str(tmp_path / "first" / "task.toml") in str(error)

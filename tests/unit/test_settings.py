"""seedlock's own config keys, read from any workflow's config with the toolchain's schema."""

import pytest

from experiment.config import load_schema
from seedlock.errors import ConfigError
from seedlock.settings import KEYS, load_settings, refined, validate_settings


def test_only_the_toolchain_keys_are_read_and_their_defaults_filled():
    settings = validate_settings({"languages": ["en"], "seeds": {"root": 7}}, "config.yaml")
    assert sorted(settings) == sorted(KEYS)
    assert settings["seeds"] == {"root": 7, "replicates": 3, "explicit": []}
    assert settings["threads"] == {"default": 1, "checksum": 2}
    assert settings["compute_baseline"] == "x86-64-v3"
    assert settings["verify"]["strict"] is False


def test_a_bad_toolchain_key_is_one_line_naming_it():
    with pytest.raises(ConfigError) as error:
        validate_settings({"threads": {"greeting": 0}}, "config.yaml")
    assert str(error.value) == "config.yaml: threads.greeting: 0 is less than the minimum of 1"


def test_replicate_seeds_must_differ():
    with pytest.raises(ConfigError, match=r"^config\.yaml: seeds\.explicit: lists a seed twice"):
        validate_settings({"seeds": {"explicit": [0, 0]}}, "config.yaml")


def test_a_config_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping of keys to values"):
        load_settings(path)


def test_refined_merges_mappings_and_replaces_other_values():
    base = {"a": {"b": 1, "c": [1]}, "d": 2}
    assert refined(base, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}, "d": 2}
    assert base == {"a": {"b": 1, "c": [1]}, "d": 2}


def test_the_experiment_schema_describes_the_toolchain_keys_with_its_own_defaults():
    schema = load_schema()
    for key in KEYS:
        assert schema["properties"][key]["description"]
    tolerances = schema["properties"]["verify"]["properties"]["cross_env_tolerances"]
    # The experiment's reasons name its own steps; the toolchain's default knows no step.
    assert "evaluate step" in tolerances["default"][2]["reason"]
    assert tolerances["type"] == "array" and tolerances["items"]
    toolchain = validate_settings({}, "config.yaml")["verify"]["cross_env_tolerances"]
    assert [rule["pattern"] for rule in toolchain] == ["*.csv", "*.json", "*.pkl", "*.png", "*.svg"]
    assert not any("evaluate" in rule.get("reason", "") for rule in toolchain)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seeds:\n  root: " + "9" * 5000 + "\n", "a value cannot be read: Exceeds the limit"),
        ("extra: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested too deeply to be a config"),
    ],
    ids=["huge-integer", "deep-nesting"],
)
def test_a_config_no_parser_should_build_is_one_line(tmp_path, text, message):
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings(tmp_path / "c.yaml")
    assert "\n" not in str(raised.value)

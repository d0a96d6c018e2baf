"""Configuration: layering, validation with the key path, types."""

from __future__ import annotations

import pytest

from reviewbot import records
from reviewbot.config import load_config
from reviewbot.errors import ConfigError


def test_packaged_defaults_load():
    config = load_config()
    assert config.output.fail_on == "error"
    assert "arch/arm64/kvm/hyp/**" in config.context.hyp_paths
    assert config.smtp.opt_in_lists == ()  # nothing is sent anywhere by default
    assert config.watch.interval >= 60


def test_user_file_then_overrides(tmp_path):
    user = tmp_path / "c.yaml"
    user.write_text("output:\n  fail-on: warning\nrules:\n  ignore: [arm64.sysreg]\n")
    config = load_config([user], ["output.fail-on=info"])
    assert config.output.fail_on == "info"
    assert config.rules.ignore == ("arm64.sysreg",)
    assert str(user) in config.sources


@pytest.mark.parametrize("text, message", [
    ("outptu:\n  format: json\n", "unknown key 'outptu'"),
    ("output:\n  fromat: json\n", "unknown key 'output.fromat' (valid keys: fail-on, format)"),
    ("smtp:\n  port: twenty\n", "smtp.port: expected a whole number, got 'twenty'"),
    ("- a\n- b\n", "the top level must be a mapping"),
    ("output: [\n", "not valid YAML"),
])
def test_bad_files_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config([path])
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_an_empty_override_empties_a_text_and_unsets_an_optional_one():
    # "" is bot.reports-to's documented default: -c bot.reports-to= was "expected a string, got None"
    assert load_config(overrides=["bot.reports-to=https://example.org/x"]).bot.reports_to == "https://example.org/x"
    assert load_config(overrides=["bot.reports-to="]).bot.reports_to == ""
    assert load_config(overrides=["context.kernel=5.10"]).context.kernel == "5.10"
    assert load_config(overrides=["context.kernel="]).context.kernel is None


def test_bad_override():
    with pytest.raises(ConfigError, match="expected section.key=value"):
        load_config(overrides=["fail-on"])


def test_the_packaged_config_yaml_documents_exactly_the_code_defaults():
    # load_config trusts the code defaults instead of parsing config.yaml on every run
    from reviewbot.config import Config, default_config_path
    parsed = load_config([default_config_path()], packaged=False)
    assert records.replace(parsed, sources=()) \
        == Config()

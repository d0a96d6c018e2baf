"""Hostile and mistaken configurations: every key refuses a bad value at
load time (exit 2, one line naming the file, the key, the value and what is
allowed), a repository's ``.reviewbot.yaml`` cannot steer mail, credentials,
servers or state, and YAML bombs are refused before anything expands them."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

from reviewbot import records
from reviewbot.config import USER_ONLY, Config, load_config
from reviewbot.config_checks import ALLOWED
from reviewbot.errors import ConfigError
from tests.conftest import run_cli
from tests.gitrepo import git

#: One bad value per key of config.yaml (written as JSON, which is YAML).
BAD: dict[str, object] = {
    "rules.paths": [""],
    "rules.select": ["not an id!"],
    "rules.ignore": ["a b"],
    "rules.min-confidence": "hi",
    "rules.per-path-ignores": {"": ["arm64.sysreg"]},
    "rules.severity-overrides": {"arm64.sysreg": "fatal"},
    "context.hyp-paths": ["two\nlines"],
    "context.vhe-paths": [""],
    "context.hyp-sections": ["a section"],
    "context.nvhe-defines": ["1X"],
    "context.vhe-defines": ["A-B"],
    "context.kernel": "abc",
    "context.capabilities": [{"what": "x", "kernel": "5.10", "path": "a"}] * 101,
    "context.capabilities[].what": "",
    "context.capabilities[].kernel": "soon",
    "context.capabilities[].path": "",
    "context.capabilities[].added": "(unclosed",
    "output.format": "foo",
    "output.fail-on": 12,
    "bot.name": "",
    "bot.email": "not an address",
    "bot.reports-to": "two\nlines",
    "bot.docs-url": "ftp://example.org/",
    "bot.min-confidence": "hi",
    "bot.min-severity": "fatal",
    "outbox.path": "",
    "outbox.database": ["a.sqlite"],
    "smtp.host": "evil host",
    "smtp.port": 70000,
    "smtp.security": "ssl",
    "smtp.allow-plaintext-auth": "yes",
    "smtp.user-env": "A-B",
    "smtp.password-env": "$PASSWORD",
    "smtp.timeout": 1e9,
    "smtp.opt-in-lists": ["kvmarm"],
    "smtp.max-per-hour": 0,
    "lore.base-url": "file:///etc/passwd",
    "lore.mirrors": ["gopher://example.org"],
    "lore.connect-timeout": -1,
    "lore.read-timeout": 0,
    "lore.request-deadline": -1,
    "lore.max-download-bytes": 0,
    "lore.max-response-bytes": -5,
    "watch.queries": [],
    "watch.queries[].list": "a list",
    "watch.queries[].query": "",
    "watch.interval": 5,
    "watch.poll-deadline": 0,
    "watch.series-timeout": -1,
    "watch.initial-lookback": "soon",
    "watch.state": "",
    "watch.maildir": "",
}


def leaf_keys(hint: object = Config, prefix: str = "") -> set[str]:
    """Every key a configuration file can set, as config.yaml writes it."""
    keys = set()
    for name, sub in typing.get_type_hints(hint).items():
        if name == "sources":
            continue
        key = prefix + name.replace("_", "-")
        if records.is_record(sub):
            keys |= leaf_keys(sub, key + ".")
            continue
        keys.add(key)
        item = typing.get_args(sub)[0] if typing.get_origin(sub) is tuple else None
        if records.is_record(item):
            keys |= leaf_keys(item, key + "[].")
    return keys


def as_tree(key: str, value: object) -> dict:
    """``watch.queries[].list`` -> {"watch": {"queries": [{"list": value, ...}]}}."""
    if "[]." in key:
        head, field = key.split("[].")
        sample = ({"what": "x", "kernel": "5.10", "path": "a/b.h", "added": ""} if head == "context.capabilities"
                  else {"list": "kvmarm", "query": "dfn:arch/arm64/kvm/hyp"})
        return as_tree(head, [{**sample, field: value}])
    section, name = key.split(".")
    return {section: {name: value}}


def test_every_key_has_a_rule_and_a_bad_value():
    assert set(ALLOWED) == leaf_keys()
    assert set(BAD) == leaf_keys()


def test_the_defaults_pass_their_own_rules():
    config = Config()
    for key in leaf_keys():
        section, _, name = key.partition(".")
        value = getattr(getattr(config, section), name.split("[]")[0].replace("-", "_"))
        values = [getattr(q, name.split(".")[-1]) for q in value] if "[]" in key else [value]
        assert all(v is None or ALLOWED[key].test(v) for v in values), key


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bad_value_is_a_config_error_naming_file_key_value_and_what_is_allowed(capsys, tmp_path, key):
    path = tmp_path / "user.yaml"
    path.write_text(json.dumps(as_tree(key, BAD[key])))
    code, out, err = run_cli(capsys, "check", "--config", str(path), "-")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1, err
    shown_key = key.replace("[]", "[0]")
    assert err.startswith(f"reviewbot: error: {path}: {shown_key}"), err
    assert "expected " in err and ", got " in err


@pytest.mark.parametrize("option, message", [
    ("output.format=foo", "output.format: expected one of text, checkpatch, json"),
    ("context.kernel=abc", "context.kernel: expected a kernel version"),
    ("rules.min-confidence=hi", "rules.min-confidence: expected one of low, medium, high, got 'hi'"),
    ("output.fail-on=12", "output.fail-on: expected one of info, warning, error, got '12'"),
    ("smtp.timeout=.nan", "smtp.timeout: expected a number of seconds above 0 and at most 600, got nan"),
    ("smtp.port=99999999999999999999", "smtp.port: expected a whole number from 1 to 65535"),
    ("lore.max-response-bytes=-1", "lore.max-response-bytes: expected a whole number from 1024"),
    ("watch.interval=5", "watch.interval: expected a whole number from 60"),
    ("nosection.key=1", "unknown key 'nosection'"),
    ("output.=1", "expected section.key=value"),
])
def test_bad_command_line_values(capsys, option, message):
    code, out, err = run_cli(capsys, "check", "-c", option, "-")
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewbot: error: -c {option}: ") and message in err, err


def test_a_kernel_version_on_the_command_line_is_text():
    assert load_config(overrides=["context.kernel=5.10"]).context.kernel == "5.10"


@pytest.mark.parametrize("text, message", [
    ("context:\n  kernel: 2020-01-01\n", "context.kernel: expected a string (quote it"),
    ("context:\n  kernel: 5.10\n", "context.kernel: expected a string (quote it"),
    ("smtp:\n  timeout: .nan\n", "smtp.timeout: expected a number of seconds"),
    ("smtp:\n  port: 1e400\n", "smtp.port: expected a whole number"),
    ("output:\n  fail-on: [error]\n", "output.fail-on: expected a string"),
])
def test_yaml_types_that_are_not_what_they_look_like(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=None) as info:
        load_config([path])
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_a_config_file_that_is_not_utf8(capsys, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("bot:\n  name: Jos\xe9\n".encode("latin-1"))
    code, out, err = run_cli(capsys, "check", "--config", str(path), "-")
    assert (code, out) == (2, "")
    assert err == f"reviewbot: error: {path}: not UTF-8 text (byte 0xe9 at offset 16); save it as UTF-8\n"


LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("tail", ["rules:\n  min-confidence: *i\n", "bot:\n  name: *i\n", "i2: *i\n"])
def test_billion_laughs_is_refused_before_anything_expands(capsys, tmp_path, tail):
    path = tmp_path / "lol.yaml"
    path.write_text(LAUGHS + tail)  # 9**9 values once expanded: gigabytes to render
    code, out, err = run_cli(capsys, "check", "--config", str(path), "-")
    assert (code, out) == (2, "")
    assert err == f"reviewbot: error: {path}: refused: its aliases expand to more than 100000 values\n"


def test_an_alias_inside_itself_and_a_huge_file_are_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("rules:\n  select: &a [*a]\n")
    with pytest.raises(ConfigError, match="refers to the value that contains it"):
        load_config([path])
    path.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError, match="refused: .* more than the 1048576 allowed"):
        load_config([path])


def test_a_large_value_is_shown_bounded(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"output": {"format": "x" * 100_000}}))
    with pytest.raises(ConfigError) as info:
        load_config([path])
    assert len(str(info.value)) < 400


def test_a_rule_file_with_a_yaml_bomb_is_refused(capsys, tmp_path):
    rules = tmp_path / "rules" / "x"
    rules.mkdir(parents=True)
    (rules / "lol.yaml").write_text(LAUGHS + "id: *i\n")
    code, out, _ = run_cli(capsys, "rules", "validate", str(tmp_path / "rules"))
    assert code != 0 and "aliases expand to more than 100000 values" in out


# --- what a repository may set ---------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path, monkeypatch, isolated_git) -> Path:
    repo = tmp_path / "linux"
    repo.mkdir()
    git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    return repo


USER_ONLY_KEYS = sorted(k for k in BAD if k.split(".")[0] in USER_ONLY and "[]" not in k)


@pytest.mark.parametrize("key", USER_ONLY_KEYS)
def test_a_repository_may_not_set_mail_credentials_servers_or_state(capsys, checkout, key):
    section, name = key.split(".")
    good = {"smtp.host": "evil.example.org", "smtp.password-env": "AWS_SECRET_ACCESS_KEY"}
    (checkout / ".reviewbot.yaml").write_text(json.dumps({section: {name: good.get(key, "x")}}))
    code, out, err = run_cli(capsys, "check", "-")
    assert (code, out) == (2, "")
    assert err.startswith(f"reviewbot: error: {checkout / '.reviewbot.yaml'}: '{key}': a repository's "
                          f"configuration may not set the bot, outbox, smtp, lore, watch sections")
    assert len(err.splitlines()) == 1


def test_the_exfiltration_scenario_sends_nothing(capsys, checkout, monkeypatch, tmp_path):
    """The issue's attack: a checkout names a server and an environment
    variable as the SMTP password; review --send refuses before any work."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2")
    (checkout / ".reviewbot.yaml").write_text(
        "smtp:\n  host: 127.0.0.1\n  port: 2525\n  security: none\n"
        "  user-env: USER\n  password-env: AWS_SECRET_ACCESS_KEY\n  opt-in-lists: [kvmarm@lists.linux.dev]\n")
    code, out, err = run_cli(capsys, "review", "--send")
    assert (code, out) == (2, "") and "'smtp.host': a repository's configuration may not set" in err


def test_a_repository_may_set_how_code_is_checked(capsys, checkout, patch_factory):
    (checkout / ".reviewbot.yaml").write_text(
        "rules:\n  ignore: [arm64.hyp]\ncontext:\n  kernel: '5.10'\noutput:\n  format: json\n"
        "smtp: {}\n")  # an empty section sets nothing
    patch = checkout / "p.patch"
    patch.write_text(patch_factory("arch/arm64/kvm/hyp/switch.S",
                                   "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"))
    code, out, _ = run_cli(capsys, "check", "--no-tree", str(patch))
    assert code == 1 and json.loads(out)["summary"]["error"] == 1


def test_the_users_own_file_and_the_command_line_may_set_them(checkout, tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text("smtp:\n  host: mail.example.org\n  security: tls\n")
    assert load_config([own]).smtp.host == "mail.example.org"
    assert load_config(overrides=["smtp.host=mail.example.org"]).smtp.host == "mail.example.org"
    with pytest.raises(ConfigError, match="may not set"):
        load_config(repository=[own])


def test_login_without_tls_is_refused_unless_the_user_allows_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RB_USER", "bot")
    monkeypatch.setenv("RB_PASS", "s3cret")
    own = tmp_path / "own.yaml"
    own.write_text("smtp:\n  host: 127.0.0.1\n  user-env: RB_USER\n  password-env: RB_PASS\n"
                   "  opt-in-lists: [kvmarm@lists.linux.dev]\n")
    code, out, err = run_cli(capsys, "review", "--send", "--config", str(own), "--db", str(tmp_path / "o.sqlite"))
    assert (code, out) == (2, "")
    assert err.startswith("reviewbot: error: smtp: refusing to log in to 127.0.0.1:25 without TLS")

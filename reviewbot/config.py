"""Configuration: defaults in code, layered with YAML files and ``-c key=value``.

Every section is a frozen record whose fields are the documented keys, with
their defaults and one comment each.  ``load_config`` reads files in order
(the packaged ``config.yaml`` first), rejects unknown keys naming the file and
the key path, and returns one frozen :class:`Config` that is passed down
explicitly.  Secrets never come from a file: the SMTP section names the
environment variables that hold them.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot import records
from reviewbot.records import field, record
from reviewbot.resources import data_path


@record
class RulesConfig:
    """Which rules run."""

    paths: tuple[str, ...] = ()  # extra rule directories, after the packaged pack
    select: tuple[str, ...] = ()  # rule ids or id prefixes to run (empty: all)
    ignore: tuple[str, ...] = ()  # rule ids or id prefixes never to run
    min_confidence: str = "low"  # low | medium | high
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, (rule ids...))
    severity_overrides: tuple[tuple[str, str], ...] = ()  # (rule id, severity)


@record
class ContextConfig:
    """Where code runs: what makes a file or a line hyp (EL2) code."""

    hyp_paths: tuple[str, ...] = (
        "arch/arm64/kvm/hyp/**",
        "arch/arm64/kvm/hyp.S",
        "arch/arm64/kvm/hyp-init.S",
        "arch/arm/kvm/hyp/**",
        "arch/arm64/include/asm/kvm_hyp.h",
    )
    vhe_paths: tuple[str, ...] = ("arch/arm64/kvm/hyp/vhe/**",)  # hyp code that runs in VHE (kern_hyp_va is a no-op)
    hyp_sections: tuple[str, ...] = (".hyp.text", ".hyp.idmap.text", ".hyp.rodata", "__hyp_text")
    nvhe_defines: tuple[str, ...] = ("__KVM_NVHE_HYPERVISOR__",)
    vhe_defines: tuple[str, ...] = ("__KVM_VHE_HYPERVISOR__",)
    kernel: str | None = None  # target kernel version ("5.10") when the tree or patch cannot tell


@record
class OutputConfig:
    """How findings are printed and when the exit status says "findings"."""

    format: str = "text"  # text | checkpatch | json | sarif | b4 | b4-review
    fail_on: str = "error"  # lowest severity that makes the exit status 1


@record
class BotConfig:
    """Who the review bot is when it writes replies."""

    name: str = "reviewbot"
    email: str = "reviewbot@localhost"
    reports_to: str = "the reviewbot maintainers"  # where false positives are reported
    docs_url: str = ""  # where its rules are documented
    min_confidence: str = "medium"  # findings below it are not mailed
    min_severity: str = "warning"  # findings below it are not mailed


@record
class OutboxConfig:
    """Where replies go before (and instead of) being sent."""

    path: str = "outbox"  # an mbox file (ends in .mbox) or a maildir directory
    database: str = "reviewbot-outbox.sqlite"  # the transactional record of replies


@record
class SmtpConfig:
    """How replies are sent, only with ``--send``."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    user_env: str = "REVIEWBOT_SMTP_USER"  # environment variable with the user name
    password_env: str = "REVIEWBOT_SMTP_PASSWORD"  # environment variable with the password
    timeout: float = 30.0
    opt_in_lists: tuple[str, ...] = ()  # list addresses that agreed to get bot mail
    max_per_hour: int = 10  # replies per list per hour, at most


@record
class LoreConfig:
    """The public-inbox server the watcher polls."""

    base_url: str = "https://lore.kernel.org"
    mirrors: tuple[str, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_response_bytes: int = 64 * 1024 * 1024
    request_deadline: float = 120.0  # seconds one request may take in all, however slowly it comes
    max_download_bytes: int = 16 * 1024 * 1024  # compressed bytes read for one response


#: Patches that touch hyp code or the headers its macros live in.  ``dfn:``
#: matches whole file names (it is not a prefix search).
_HYP_QUERY = ("dfn:arch/arm64/kvm/hyp OR dfn:arch/arm64/include/asm/kvm_asm.h"
              " OR dfn:arch/arm64/include/asm/kvm_hyp.h OR dfn:arch/arm64/include/asm/kvm_mmu.h")


@record
class WatchQuery:
    """One list and the search that finds patches worth reviewing on it."""

    list: str
    query: str


@record
class WatchConfig:
    """What the watcher follows and how often."""

    queries: tuple[WatchQuery, ...] = (
        WatchQuery(list="kvmarm", query=_HYP_QUERY),
        WatchQuery(list="linux-arm-kernel", query=_HYP_QUERY),
    )
    interval: int = 600  # seconds between polls (never below 60)
    series_timeout: int = 3600  # review an incomplete series after this many seconds
    initial_lookback: int = 86400  # seconds of history the first poll of a query reads
    poll_deadline: int = 900  # seconds one poll may take in all; what is left waits for the next
    state: str = "reviewbot-watch.sqlite"
    maildir: str | None = None  # review a maildir filled by 'lei up' instead of polling


@record
class Config:
    """The whole configuration, frozen."""

    rules: RulesConfig = field(default_factory=RulesConfig)
    context: ContextConfig = field(default_factory=ContextConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    lore: LoreConfig = field(default_factory=LoreConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    sources: tuple[str, ...] = ()  # the files this configuration was read from


def default_config_path() -> Path:
    """The packaged ``config.yaml``."""
    return data_path("config.yaml")


def load_config(paths: Iterable[str | os.PathLike[str]] = (), overrides: Iterable[str] = (),
                *, packaged: bool = True) -> Config:
    """Defaults < packaged config.yaml < each of ``paths`` < ``overrides``
    (``section.key=value`` strings, values in YAML syntax)."""
    # The packaged config.yaml documents exactly the defaults in this module
    # (a test holds them equal), so a run does not need to parse it.
    config = Config()
    files = [Path(p) for p in paths]
    sources = [str(default_config_path())] if packaged else []
    for path in files:
        config = merge(config, _read_yaml(path), str(path))
        sources.append(str(path))
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"-c {override}: expected section.key=value")
        tree: dict[str, Any] = {}
        node = tree
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        import yaml

        try:
            node[parts[-1]] = yaml.load(value, Loader=_safe_loader())
        except yaml.YAMLError as exc:
            raise ConfigError(f"-c {override}: {exc}") from exc
        config = merge(config, tree, f"-c {override}")
    return records.replace(config, sources=tuple(sources))


def _safe_loader() -> Any:
    import yaml
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    import yaml

    try:
        data = yaml.load(text, Loader=_safe_loader())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def merge(obj: Any, data: Mapping[str, Any], origin: str, prefix: str = "") -> Any:
    """A copy of record ``obj`` with the keys of ``data`` applied,
    validating every key and value against the field types."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: {prefix.rstrip('.') or 'top level'}: expected a mapping")
    fields = {f.name.replace("_", "-"): f for f in records.fields(obj) if f.name != "sources"}
    hints = typing.get_type_hints(type(obj))
    changes = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("_", "-")
        if key not in fields:
            valid = ", ".join(sorted(fields))
            raise ConfigError(f"{origin}: unknown key '{prefix}{raw_key}' (valid keys: {valid})")
        fld = fields[key]
        current = getattr(obj, fld.name)
        path = f"{prefix}{raw_key}"
        if records.is_record(current):
            changes[fld.name] = merge(current, value or {}, origin, path + ".")
        else:
            changes[fld.name] = _coerce(value, hints[fld.name], origin, path)
    return records.replace(obj, **changes)


def _coerce(value: Any, hint: Any, origin: str, path: str) -> Any:
    """Check ``value`` against a field's type, converting lists to tuples."""
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{origin}: {path}: expected {expected}, got {value!r}")

    origin_type = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin_type in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], origin, path)
    if origin_type is tuple:
        if isinstance(value, Mapping) and len(args) == 2 and args[1] is Ellipsis:
            value = list(value.items())
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise bad("a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], origin, f"{path}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise bad(f"{len(args)} items")
        return tuple(_coerce(v, a, origin, f"{path}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if records.is_record(hint):
        if not isinstance(value, Mapping):
            raise bad("a mapping")
        try:
            base = hint(**{k: None for k in ()})
        except TypeError:
            missing = [f.name for f in records.fields(hint)
                       if f.default is records.MISSING and f.default_factory is records.MISSING]
            absent = [m for m in missing if m not in value]
            if absent:
                raise ConfigError(f"{origin}: {path}: missing key '{absent[0]}'") from None
            base = hint(**{m: value[m] for m in missing})
        return merge(base, value, origin, path + ".")
    if hint is bool:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        return float(value)
    if hint is str:
        if isinstance(value, (dict, list)) or value is None:
            raise bad("a string")
        return str(value)
    return value

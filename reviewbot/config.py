"""Configuration: defaults in code, layered with YAML files and ``-c key=value``.

Every section is a frozen record whose fields are the documented keys, with
their defaults and one comment each.  ``load_config`` reads files in order
(the packaged ``config.yaml`` first), rejects unknown keys naming the file and
the key path, and returns one frozen :class:`Config` that is passed down
explicitly.  Secrets never come from a file: the SMTP section names the
environment variables that hold them.

Trust: a repository's ``.reviewbot.yaml`` is read automatically in a checkout
that may not be the user's own, so it may say how code is checked (the
``rules``, ``context`` and ``output`` sections) but nothing that steers mail,
credentials, servers or where state is written (:data:`USER_ONLY`): such a
key there is an error naming the file and the key.  Those come only from the
user's own file, ``--config`` files and ``-c`` (as b4 treats ``.b4-config``).

Why this module is long: the records are the documented keys, one field and
one comment each, for every section of config.yaml; what each key allows
lives in config_checks.py and the bounded YAML reader in safe_yaml.py.
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
class Capability:
    """Something a patch can bring into the kernel that puts it, and the
    patches after it in its series, in a newer kernel era: an added line
    matching ``added`` (a regex; empty: any added line) in a file matching
    ``path`` (a glob) means at least kernel ``kernel``."""

    what: str
    kernel: str
    path: str
    added: str = ""


#: The capabilities the rule pack's kernel ranges depend on (see config.yaml).
_CAPABILITIES = (
    Capability(what="hyp per-cpu offset in tpidr_el2 behind the kernel's accessors", kernel="5.10",
               path="arch/arm64/include/asm/percpu.h", added="__KVM_NVHE_HYPERVISOR__"),
    Capability(what="hyp relocations (gen-hyprel)", kernel="5.12",
               path="arch/arm64/kvm/hyp/nvhe/gen-hyprel.c"),
    Capability(what="hyp relocations (kvm_apply_hyp_relocations)", kernel="5.12",
               path="arch/arm64/kvm/va_layout.c", added="kvm_apply_hyp_relocations"),
)


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
    capabilities: tuple[Capability, ...] = _CAPABILITIES  # what moves a series into a newer kernel era


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
    reports_to: str = ""  # an address (or URL) for false positives, shown in every reply
    docs_url: str = ""  # where each rule is documented: {rule} is the rule id (else appended)
    min_confidence: str = "medium"  # findings below it are not mailed
    min_severity: str = "warning"  # findings below it are not mailed


@record
class OutboxConfig:
    """Where replies go before (and instead of) being sent."""

    path: str | None = None  # an mbox file (ends in .mbox) or a maildir (default: <state>/outbox)
    database: str | None = None  # the record of replies (default: <state>/outbox.sqlite)


@record
class SmtpConfig:
    """How replies are sent, only with ``--send``."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    allow_plaintext_auth: bool = False  # log in without TLS (only from the user's own config)
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
    state: str | None = None  # the watcher's database (default: <state>/watch.sqlite)
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


#: Sections only the user's own configuration and the command line may set.
USER_ONLY = ("bot", "outbox", "smtp", "lore", "watch")


def default_config_path() -> Path:
    """The packaged ``config.yaml``."""
    return data_path("config.yaml")


def load_config(paths: Iterable[str | os.PathLike[str]] = (), overrides: Iterable[str] = (),
                *, packaged: bool = True, repository: Iterable[str | os.PathLike[str]] = (),
                texts: Iterable[tuple[str, str]] = ()) -> Config:
    """Defaults < packaged config.yaml < each of ``paths`` (the user's own)
    < each of ``repository`` (a checkout's, not trusted with the
    :data:`USER_ONLY` sections) < each of ``texts`` (``(origin, YAML)``: a
    repository's file read from git, trusted no more than ``repository``)
    < ``overrides`` (``section.key=value`` strings, values in YAML syntax)."""
    # The packaged config.yaml documents exactly the defaults in this module
    # (a test holds them equal), so a run does not need to parse it.
    config = Config()
    sources = [str(default_config_path())] if packaged else []
    for path, trusted in [*((Path(p), True) for p in paths), *((Path(p), False) for p in repository)]:
        data = _read_yaml(path)
        if not trusted:
            _refuse_user_only(data, path)
        config = merge(config, data, str(path))
        sources.append(str(path))
    for origin, text in texts:
        data = _parse_yaml(text, origin)
        _refuse_user_only(data, Path(origin))
        config = merge(config, data, origin)
        sources.append(origin)
    for override in overrides:
        config = merge(config, _override_tree(override), f"-c {_clip(override)}")
    return records.replace(config, sources=tuple(sources))


def _refuse_user_only(data: Mapping[str, Any], path: Path) -> None:
    for section in data:
        if str(section).replace("_", "-") not in USER_ONLY or not data[section]:
            continue
        keys = data[section] if isinstance(data[section], Mapping) else {}
        key = f"{section}.{next(iter(keys))}" if keys else str(section)
        raise ConfigError(
            f"{path}: {shown(key)}: a repository's configuration may not set the "
            f"{', '.join(USER_ONLY)} sections (they steer mail, credentials, servers and "
            f"where state is written); set it in your own "
            f"$XDG_CONFIG_HOME/reviewbot/config.yaml, with --config FILE or with -c")


def _override_tree(override: str) -> dict[str, Any]:
    """``section.key=value`` as the mapping a file would give."""
    from reviewbot.safe_yaml import load_bounded

    key, sep, value = override.partition("=")
    parts = key.strip().split(".")
    if not sep or not key.strip() or not all(parts):
        raise ConfigError(f"-c {_clip(override)}: expected section.key=value")
    import yaml

    try:
        parsed = load_bounded(value)
    except yaml.YAMLError as exc:
        raise ConfigError(f"-c {_clip(override)}: the value is not valid YAML: {exc}") from exc
    text = _text_key(parts)
    if text and parsed is not None and not isinstance(parsed, (str, list, dict)):
        parsed = value.strip()  # -c context.kernel=5.10 means the text "5.10", not 5.1
    elif text == "required" and parsed is None and not value.strip():
        parsed = ""  # -c bot.reports-to= empties a text that cannot be unset
    tree: dict[str, Any] = {}
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parsed
    return tree


def _text_key(parts: list[str]) -> str | None:
    """Is ``section.key`` a string-valued key of :class:`Config`: ``required``
    (a ``str``), ``optional`` (``str | None``), or not (None)?"""
    hint: Any = Config
    for part in parts:
        if not records.is_record(hint):
            return None
        hints = typing.get_type_hints(hint)
        name = part.replace("-", "_")
        if name not in hints:
            return None
        hint = hints[name]
    if hint is str:
        return "required"
    return "optional" if [a for a in typing.get_args(hint) if a is not type(None)] == [str] else None


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                          f"{exc.start}); save it as UTF-8") from None
    return _parse_yaml(text, str(path))


def _parse_yaml(text: str, path: str) -> Mapping[str, Any]:
    import yaml

    from reviewbot.safe_yaml import YamlLimitError, load_bounded

    try:
        data = load_bounded(text)
    except YamlLimitError as exc:
        raise ConfigError(f"{path}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def shown(value: Any) -> str:
    """A bounded repr for messages (see :func:`reviewbot.safe_yaml.shown`)."""
    from reviewbot.safe_yaml import shown as bounded
    return bounded(value)


def with_state_paths(config: Config, state_dir: str) -> Config:
    """``config`` with every unset state location (outbox, its database,
    the watcher's database) placed in ``state_dir``."""
    base = Path(state_dir)
    outbox = records.replace(config.outbox,
                             path=config.outbox.path or str(base / "outbox"),
                             database=config.outbox.database or str(base / "outbox.sqlite"))
    watch = records.replace(config.watch, state=config.watch.state or str(base / "watch.sqlite"))
    return records.replace(config, outbox=outbox, watch=watch)


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
            raise ConfigError(f"{origin}: unknown key {shown(prefix + str(raw_key))} (valid keys: {valid})")
        fld = fields[key]
        current = getattr(obj, fld.name)
        path = f"{prefix}{key}"
        if records.is_record(current):
            changes[fld.name] = merge(current, value or {}, origin, path + ".")
        else:
            changes[fld.name] = _checked(_coerce(value, hints[fld.name], origin, path), value, origin, path)
    return records.replace(obj, **changes)


def _checked(result: Any, value: Any, origin: str, path: str) -> Any:
    """``result`` when the table of allowed values accepts it."""
    from reviewbot.config_checks import allowed_for

    allowed = allowed_for(path)
    if result is not None and allowed is not None and not allowed.test(result):
        raise ConfigError(f"{origin}: {path}: expected {allowed.says}, got {shown(value)}")
    return result


def _coerce(value: Any, hint: Any, origin: str, path: str) -> Any:
    """Check ``value`` against a field's type, converting lists to tuples."""
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{origin}: {path}: expected {expected}, got {shown(value)}")

    if isinstance(value, (list, tuple, Mapping)) and len(value) > 1000:
        raise bad("at most 1000 items")
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
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise bad("a string (quote it: a YAML number, date or list is not one)")
        return str(value)
    return value

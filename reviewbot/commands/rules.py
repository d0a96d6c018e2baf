"""``reviewbot rules list|show|test|validate|precision``: the rule pack as
documentation, as tested code, and as measured on real mail."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import add_config_options, build_config
from reviewbot.errors import RuleError, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``rules`` and its subcommands."""
    parser = sub.add_parser("rules", help=help_line("rules"),
                            description="Work with the rule pack.")
    rules_sub = parser.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")

    p = rules_sub.add_parser("list", help="one line per rule: id, severity, title")
    _rule_set_options(p)
    p.set_defaults(func=_list)

    p = rules_sub.add_parser("show", help="the documentation of one rule (or of each under an id prefix)")
    p.add_argument("rule_id", metavar="ID", help="a rule id, or an id prefix as --select takes it (arm64.sysreg)")
    _rule_set_options(p)
    p.set_defaults(func=_show)

    p = rules_sub.add_parser("test", help="run the annotated cases beside each rule",
                             description="Run each rule on its own test files (<id>.test.S, "
                                         "<id>.test.mbox) and report missing and noisy findings, and a case that "
                                         "names no loaded rule's id.")
    p.add_argument("ids", nargs="*", metavar="ID",
                   help="only these rules, each an id or an id prefix as --select takes it "
                        "(default: all)")
    _rule_set_options(p)
    p.set_defaults(func=_test)

    p = rules_sub.add_parser("validate", help="check rule files against the schema",
                             description="Check rule files (default: every loaded rule) against the "
                                         "rule JSON Schema and the loader; report file:line: key: problem.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories")
    add_config_options(p)
    p.set_defaults(func=_validate, rules=[])

    p = rules_sub.add_parser("new", help="write a new rule and its test file from a template",
                             description="Write <DIR>/<area>/<ID>.yaml and <ID>.test.S (or .test.c) "
                                         "from a template that validates and whose test passes (an id the pack, "
                                         "the configured rule directories or DIR has already is "
                                         "refused); edit both, then 'reviewbot rules test --rules DIR ID'.")
    p.add_argument("new_id", metavar="ID", help="the rule id, dotted lower case (arm64.hyp.my-check)")
    p.add_argument("--dir", metavar="DIR", default="rules",
                   help="the rule directory to write into (default: ./rules); the file goes to "
                        "DIR/<first two parts of the id, joined by ->/")
    p.add_argument("--language", choices=("arm64-asm", "c"), default="arm64-asm",
                   help="what the rule reads (default: arm64-asm)")
    add_config_options(p)  # its rule directories: a new id must be none of theirs
    p.set_defaults(func=_new)

    p = rules_sub.add_parser("precision", help="per-rule precision on real mail, from the labels file",
                             description="Count the judged findings of each rule (right, wrong, gone) "
                                         "in the labels file and print the table (docs/precision.md).")
    p.add_argument("--labels", metavar="FILE", help="the labels file (default: bench/labels.yaml)")
    p.add_argument("--write", metavar="FILE", help="write the Markdown table to FILE instead of printing it")
    _rule_set_options(p)
    p.set_defaults(func=_precision)
    parser.set_defaults(func=lambda args: (parser.print_help(sys.stderr), 2)[1])


def _rule_set_options(parser: argparse.ArgumentParser) -> None:
    """Configuration, and extra rule directories to load beside the pack."""
    add_config_options(parser)
    parser.add_argument("--rules", metavar="DIR", action="append", default=[], help="also load rules from DIR")


def _load(args: argparse.Namespace):
    from reviewbot.rules.loader import load_rules
    return load_rules(build_config(args))


def _list(args: argparse.Namespace) -> int:
    for rule in _load(args):
        print(f"{rule.id:48} {rule.severity.label:8} {rule.title}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from reviewbot.rules.loader import selects

    rules = [r for r in _load(args) if selects(args.rule_id, r.id)]
    if not rules:
        raise UsageError(f"no rule is called {args.rule_id!r}, and no rule id starts with "
                         f"'{args.rule_id.rstrip('.')}.' (see 'reviewbot rules list')")
    for number, rule in enumerate(rules):
        if number:
            print("\n" + "=" * 72 + "\n")
        _show_one(rule)
    return 0


def _show_one(rule) -> None:
    """One rule's documentation: facts, description, fix, references."""
    print(f"{rule.id}: {rule.title}")
    print(f"severity: {rule.severity.label}, confidence: {rule.confidence.label}, "
          f"languages: {', '.join(rule.languages)}, diff mode: {rule.diff.mode}")
    if rule.scope.include:
        print(f"applies to: {', '.join(rule.scope.include)}"
              + (f" (except {', '.join(rule.scope.exclude)})" if rule.scope.exclude else ""))
    if rule.scope.hyp != "any":
        print(f"code: {rule.scope.hyp}")
    if rule.scope.kernel:
        print(f"kernels: {rule.scope.kernel}")
    print()
    description, references_text = _split_references(textwrap.dedent(rule.description).strip())
    print(description or "(no description)")
    if rule.fix:
        print(f"\nFix ({_safety_words(rule.fix_safety)}):")
        for fix in _fix_forms(rule):
            print(f"  {fix}")
    if rule.references or references_text:
        print("\n## References")
        if references_text:
            print(references_text)
        for ref in rule.references:
            if ref not in references_text:
                print(f"  - {ref}")
    print(f"\n{_precision_line(rule.id)}")
    print(f"\nDefined in {rule.path}")


def _split_references(description: str) -> tuple[str, str]:
    """The description without its ``## References`` section, and that
    section's text (shown once, with the rule's references list)."""
    head, sep, tail = description.partition("## References")
    if not sep:
        return description, ""
    rest, next_sep, after = tail.partition("\n## ")
    text = (head.rstrip() + ("\n\n## " + after if next_sep else "")).strip()
    return text, rest.strip()


def _safety_words(safety: str) -> str:
    return {"safe": "safe: 'reviewbot check --fix' applies it",
            "unsafe": "unsafe: shown in replies and the JSON, never applied by --fix",
            "display-only": "a hint, shown in replies and the JSON"}.get(safety, safety)


def _fix_forms(rule) -> list[str]:
    """The fix template with each ``$NAME`` the rule's ``let`` blocks bind
    spelled out (one line per alternative), else the template as written."""
    import re

    from reviewbot.rules.loader import read_yaml

    names = re.findall(r"\$\{?([A-Z][A-Z0-9_]*)\}?", rule.fix)
    try:
        data = read_yaml(Path(rule.path))
    except RuleError:
        return [rule.fix]
    lets: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("let"), dict):
                lets.append(node["let"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data.get(rule.matcher_kind))
    forms = []
    for let in lets:
        if any(name in let for name in names):
            form = rule.fix
            for name in names:
                if name in let:
                    form = re.sub(r"\$\{?" + name + r"\}?", lambda _m, v=str(let[name]): v, form)
            forms.append(form)
    return list(dict.fromkeys(forms)) or [rule.fix]


#: The judged findings, relative to the checkout or reviewbot/_data/ in a wheel.
LABELS = "bench/labels.yaml"


def _read_labels(path: str | None):
    from reviewbot.errors import InputError
    from reviewbot.resources import data_path
    from reviewbot.rules.precision import parse_labels

    file = Path(path) if path else data_path(LABELS)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(file), f"cannot read the labels file: {exc.strerror or exc}") from None
    try:
        return parse_labels(text, str(file)), file
    except ValueError as exc:
        raise InputError(str(file), str(exc).removeprefix(f"{file}: ")) from None


def _precision_line(rule_id: str) -> str:
    from reviewbot.errors import InputError
    from reviewbot.rules.precision import precision_by_rule

    try:
        labels, _ = _read_labels(None)
    except InputError as exc:
        return f"Precision on real mail: unknown ({exc})"
    return f"{precision_by_rule(labels, [rule_id])[rule_id].line()} (labels: {LABELS})"


def _precision(args: argparse.Namespace) -> int:
    from reviewbot.rules.precision import markdown, precision_by_rule

    labels, file = _read_labels(args.labels)
    pack = {rule.id: rule.severity.label for rule in _load(args)}
    text = markdown(precision_by_rule(labels, pack), pack, args.labels or LABELS)
    if args.write:
        try:
            Path(args.write).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--write {args.write}: cannot write the table: {exc.strerror or exc}") from None
        print(f"wrote {args.write} from {file}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def _test(args: argparse.Namespace) -> int:
    from reviewbot import records
    from reviewbot.rules.harness import run_rule_tests, case_files
    from reviewbot.rules.loader import selects, load_rules

    config = build_config(args)
    ruleset = _load(args)
    rules = [r for r in ruleset if not args.ids or any(selects(i, r.id) for i in args.ids)]
    for name in args.ids:  # an id or an id prefix, as 'rules show' and --select take it
        if not any(selects(name, r.id) for r in ruleset):
            raise UsageError(f"no rule is called {name!r}, and no rule id starts with "
                             f"'{name.rstrip('.')}.' (see 'reviewbot rules list')")
    # the ids a case may name: every loaded rule's, whatever the configuration selects
    unselected = records.replace(config, rules=records.replace(config.rules, select=(), ignore=()))
    known_ids = {r.id for r in load_rules(unselected)}
    passed = failed = 0
    for rule in rules:
        if not case_files(rule):
            print(f"FAIL {rule.id}: no test file beside {rule.path}")
            failed += 1
            continue
        for result in run_rule_tests(rule, config, known_ids):
            passed += result.passed
            problems = result.missing + result.noisy + result.errors
            failed += len(problems)
            status = "ok  " if result.ok else "FAIL"
            todo = f", {result.todo} todo" if result.todo else ""
            print(f"{status} {rule.id}: {result.passed} cases{todo} ({Path(result.path).name})")
            for problem in result.missing:
                print(f"     missing: {problem}")
            for problem in result.noisy:
                print(f"     noisy:   {problem}")
            for problem in result.errors:
                print(f"     error:   {problem}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _validate(args: argparse.Namespace) -> int:
    from reviewbot.rules.loader import rule_directories, rule_files
    from reviewbot.rules.validate import duplicate_ids, validate_rule_file

    config = build_config(args)
    paths = [Path(p) for p in args.paths] if args.paths else rule_directories(config)
    errors = 0
    files = rule_files(paths)
    for path in files:
        for problem in validate_rule_file(path):
            print(problem)
            errors += 1
    for problem in duplicate_ids(files):
        print(problem)
        errors += 1
    print(f"{len(files)} rule file{'s' if len(files) != 1 else ''}, "
          f"{errors} problem{'s' if errors != 1 else ''}", file=sys.stderr)
    return 0 if errors == 0 else 1


def _new(args: argparse.Namespace) -> int:
    from reviewbot.rules.loader import RULE_ID
    from reviewbot.rules.templates import new_rule

    rule_id = args.new_id
    if not RULE_ID.match(rule_id) or "." not in rule_id:
        raise UsageError(f"{rule_id!r} is not a rule id: dotted lower case, at least two parts "
                         "(e.g. arm64.hyp.my-check)")
    area = "-".join(rule_id.split(".")[:2])
    folder = Path(args.dir) / area
    suffix = ".test.c" if args.language == "c" else ".test.S"
    rule_file, case_file = folder / f"{rule_id}.yaml", folder / f"{rule_id}{suffix}"
    for path in (rule_file, case_file):
        if path.exists():
            raise UsageError(f"{path} exists; pick another id or edit it")
    for place in (Path(args.dir), folder):
        if place.exists() and not place.is_dir():
            raise UsageError(f"--dir {args.dir}: {place} is not a directory")
    _refuse_a_known_id(rule_id, args)
    rule_text, case_text = new_rule(rule_id, args.language)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        rule_file.write_text(rule_text, encoding="utf-8")
        case_file.write_text(case_text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the rule into --dir {args.dir}: "
                         f"{exc.filename or folder}: {exc.strerror or exc}") from None
    print(rule_file)
    print(case_file)
    print(f"next: edit both, then 'reviewbot rules validate {rule_file}' and "
          f"'reviewbot rules test --rules {args.dir} {rule_id}'", file=sys.stderr)
    return 0


def _refuse_a_known_id(rule_id: str, args: argparse.Namespace) -> None:
    """A new rule must not take the id of one the pack, the configured rule
    directories or ``--dir`` already have: every later load would refuse both."""
    from reviewbot.rules.loader import rule_directories, rule_files
    from reviewbot.rules.validate import rule_ids

    directories = [d for d in [*rule_directories(build_config(args)), Path(args.dir)] if d.is_dir()]
    for known, path, _ in rule_ids(rule_files(directories)):
        if known == rule_id:
            raise UsageError(f"a rule is called {rule_id!r} already ({path}); pick another id")


__all__ = ["register", "RuleError"]

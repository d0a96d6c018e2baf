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

    p = rules_sub.add_parser("show", help="the documentation of one rule")
    p.add_argument("rule_id", metavar="ID")
    _rule_set_options(p)
    p.set_defaults(func=_show)

    p = rules_sub.add_parser("test", help="run the annotated cases beside each rule",
                             description="Run each rule on its own test files (<id>.test.S, "
                                         "<id>.test.mbox) and report missing and noisy findings.")
    p.add_argument("ids", nargs="*", metavar="ID", help="only these rules (default: all)")
    _rule_set_options(p)
    p.set_defaults(func=_test)

    p = rules_sub.add_parser("validate", help="check rule files against the schema",
                             description="Check rule files (default: every loaded rule) against the "
                                         "rule JSON Schema and the loader; report file:line: key: problem.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule files or directories")
    add_config_options(p)
    p.set_defaults(func=_validate, rules=[])

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
    rule = _load(args).get(args.rule_id)
    if rule is None:
        raise UsageError(f"no rule is called {args.rule_id!r} (see 'reviewbot rules list')")
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
    print(textwrap.dedent(rule.description).strip() or "(no description)")
    if rule.fix:
        print(f"\nFix ({rule.fix_safety}): {rule.fix}")
    if rule.references:
        print("\nReferences:")
        for ref in rule.references:
            print(f"  - {ref}")
    print(f"\n{_precision_line(rule.id)}")
    print(f"\nDefined in {rule.path}")
    return 0


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
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write} from {file}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def _test(args: argparse.Namespace) -> int:
    from reviewbot.rules.harness import run_rule_tests, case_files

    config = build_config(args)
    ruleset = _load(args)
    rules = [r for r in ruleset if not args.ids or r.id in args.ids]
    unknown = set(args.ids) - {r.id for r in ruleset}
    if unknown:
        raise UsageError(f"no rule is called {sorted(unknown)[0]!r}")
    passed = failed = 0
    for rule in rules:
        if not case_files(rule):
            print(f"FAIL {rule.id}: no test file beside {rule.path}")
            failed += 1
            continue
        for result in run_rule_tests(rule, config):
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
    from reviewbot.rules.validate import validate_rule_file

    config = build_config(args)
    paths = [Path(p) for p in args.paths] if args.paths else rule_directories(config)
    errors = 0
    files = rule_files(paths)
    for path in files:
        for problem in validate_rule_file(path):
            print(problem)
            errors += 1
    print(f"{len(files)} rule files, {errors} problems", file=sys.stderr)
    return 0 if errors == 0 else 1


__all__ = ["register", "RuleError"]

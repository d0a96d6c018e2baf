#!/usr/bin/env python3
"""Measure the review of code suggested in replies over real archives (issue 17).

Each archive is a public-inbox v2 epoch as a bare git repository (one message
per commit, file ``m``).  Every reply is read as ``reviewbot review`` reads a
thread mbox: its own unquoted code (quote depth 0) only, with the thread's
earlier messages as context.  The report counts replies, replies with
suggestions, suggestions by language and by where their file came from,
findings by rule and severity, and prints every finding with its suggested
lines and lore link, to be judged by hand (bench/labels.yaml).

    python bench/bench_suggestions.py ARCHIVE.git [ARCHIVE.git ...] [--limit N] [--json out.json]

Nothing of the archives is written into the repository.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from git_objects import commits, stream  # noqa: E402  (bench/ is on sys.path when run as a script)

from reviewbot.config import load_config  # noqa: E402
from reviewbot.mail.parse import parse_message  # noqa: E402
from reviewbot.mail.series import has_diff, is_reply  # noqa: E402
from reviewbot.model import Message  # noqa: E402
from reviewbot.records import replace  # noqa: E402
from reviewbot.rules.loader import load_rules  # noqa: E402

_STATE: dict = {}


def _init(every_rule: bool = False) -> None:
    config = load_config()
    _STATE["every_rule"] = every_rule
    _STATE["config"] = config
    _STATE["rules"] = load_rules(config)


def _review(job: tuple[Message, dict[str, Message]]) -> tuple:
    from reviewbot.suggestion_review import review_reply

    message, thread = job
    done = review_reply(message, thread, _STATE["rules"], _STATE["config"], every_rule=_STATE["every_rule"])
    return (message.msgid, [(s.language, s.origin, s.code) for s in done.suggestions],
            [(f.rule_id, f.severity.label, f.line, f.message, f.fingerprint, f.snippet,
              dict(f.extra).get("file", "")) for f in done.findings], list(done.problems))


def _jobs(archive: str, limit: int | None):
    """(reply, thread) for each reply; the thread holds the patches whole
    and the other messages without their bodies (enough to walk up)."""
    thread: dict[str, Message] = {}
    names = (f"{c}:m" for c in commits(archive, limit))
    for name, raw in stream(archive, names):
        if raw is None:
            continue
        try:
            message = parse_message(raw, source=name[:12])
        except Exception:  # noqa: BLE001 - a broken message of the archive is skipped, counted
            _STATE["malformed"] = _STATE.get("malformed", 0) + 1
            continue
        diff = has_diff(message)
        if message.msgid:
            thread[message.msgid] = message if diff else replace(message, body="")
        if is_reply(message):
            parents = {m: thread[m] for m in (message.in_reply_to, *message.references) if m in thread}
            # the ancestors of ancestors, for a reply to a reply
            for parent in list(parents.values()):
                for m in (parent.in_reply_to, *parent.references):
                    if m in thread:
                        parents.setdefault(m, thread[m])
            yield message, parents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archives", nargs="+")
    parser.add_argument("--limit", type=int, help="only the first N messages of each archive")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--json", help="write every finding to this file")
    parser.add_argument("--every-rule", action="store_true",
                        help="review suggestions with the whole pack, not only the rules marked for them "
                             "(what the restriction keeps out of maintainers' mail)")
    parser.add_argument("--suggestions", help="write every suggestion found (to audit what reads as code)")
    args = parser.parse_args()
    found = []

    all_findings = []
    for archive in args.archives:
        started = time.perf_counter()
        replies = with_code = 0
        kinds: collections.Counter = collections.Counter()
        per_rule: collections.Counter = collections.Counter()
        problems = 0
        # spawn, not fork: the reader's feeding thread must not be copied into the workers
        with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.every_rule,),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            for msgid, suggestions, findings, errors in pool.map(_review, _jobs(archive, args.limit), chunksize=64):
                replies += 1
                problems += len(errors)
                if suggestions:
                    with_code += 1
                for language, origin, code in suggestions:
                    kinds[(language, origin)] += 1
                    found.append({"msgid": msgid, "language": language, "origin": origin, "code": list(code)})
                for rule, severity, line, text, fingerprint, snippet, path in findings:
                    per_rule[(rule, severity)] += 1
                    all_findings.append({"archive": Path(archive).name, "msgid": msgid, "rule": rule,
                                         "severity": severity, "line": line, "message": text,
                                         "fingerprint": fingerprint, "snippet": snippet, "path": path,
                                         "link": f"https://lore.kernel.org/r/{msgid}"})
                    print(f"  {severity} {rule} https://lore.kernel.org/r/{msgid} line {line}: {snippet.strip()}"
                          f"  [{path or '?'}]", flush=True)
        elapsed = time.perf_counter() - started
        print(f"{archive}: {replies} replies, {with_code} with suggested code "
              f"({sum(kinds.values())} suggestions), {sum(per_rule.values())} findings, "
              f"{problems} problems, {elapsed:.0f} s")
        for (language, origin), count in sorted(kinds.items()):
            print(f"  suggestions {language:10} context from {origin:13} {count}")
        for (rule, severity), count in sorted(per_rule.items()):
            print(f"  findings {severity:7} {rule:45} {count}")
    if args.json:
        Path(args.json).write_text(json.dumps(all_findings, indent=1))
    if args.suggestions:
        Path(args.suggestions).write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

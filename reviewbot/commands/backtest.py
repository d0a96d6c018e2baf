"""``reviewbot backtest``: the rule pack over whole list archives.

What a rule does on real mail, and what the bot would have sent: reads
public-inbox archives (git), mboxes and maildirs, assembles every series,
reviews them in parallel as ``review`` would, and reports findings per
rule with lore links; ``--against`` reports only what a second rule pack
changes, ``--labels`` the judged precision per rule.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reviewbot.commands import help_line
from reviewbot.commands.common import add_config_options, add_rule_options

EXIT_OK, EXIT_INTERNAL = 0, 3


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``backtest`` to the command line."""
    parser = sub.add_parser(
        "backtest",
        help=help_line("backtest"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Run the rule pack over whole mailing-list archives and report what it finds:
messages, patches and series read; findings per rule and severity; the
patches each rule speaks on; and every finding with its lore link
(https://lore.kernel.org/r/<Message-ID>), file, line, rule and fingerprint.

Two passes: a light index of every message (Message-ID, threading, subject
tags, date, where to read it back) assembles the series across the whole
archive exactly as 'review' does; then the series that touch a file some
rule applies to are reviewed in shards, in parallel, each task reading its
own messages. Memory is bounded by a shard, not by the archive.

SOURCE is a public-inbox archive as lore serves it for mirroring (a v1 git
repository, a v2 epoch git/N.git, or a v2 inbox directory with its epochs),
an mbox file, or a maildir. Git is read with 'git cat-file --batch': no
checkout, no temporary mbox.""",
        epilog="""\
examples:
  reviewbot backtest ~/lore/kvmarm                  # a v2 inbox, all epochs
  reviewbot backtest kvmarm/git/0.git --since 2020-01-01 --until 2020-12-31
  reviewbot backtest kvmarm --against HEAD          # what the rule edits change
  reviewbot backtest kvmarm --against ../old-rules --format json -o diff.json
  reviewbot backtest kvmarm --labels bench/labels.yaml --write-labels
  reviewbot backtest kvmarm --scheduler tcp://scheduler:8786   # a Dask cluster

--against REF|DIR runs a second rule pack (a directory of rules, or the
rules/ of a git ref of the reviewbot repository) on the same series, in
place of the packaged pack (--rules directories apply to both), and reports
only the difference per rule: findings added (the current pack has them,
REF|DIR does not), gone, and changed (same fingerprint, other message,
severity or line). With --format json the report then holds, besides the
summary, "against", "difference" (the counts per rule) and the records
"added", "gone" and "changed" (each {"before", "after"}) in place of
"findings". A message that an earlier SOURCE holds too (the same
Message-ID: a patch sent to two lists) is reviewed once.

--labels FILE is a YAML (or .json) mapping fingerprint -> {verdict: right |
wrong | unjudged, note, by, rule, link, path, line}, kept in the repository.
The report then gives, per rule, the findings judged right and wrong, those
not yet judged, the precision so far, and lists the unjudged ones.
--write-labels adds an 'unjudged' entry for every new fingerprint, to fill
in. Fingerprints are the baseline's: stable across revisions of a patch.

Finished shards are kept under --cache-dir (default
$XDG_CACHE_HOME/reviewbot/backtest), keyed by the reviewbot code, the rule
packs, the configuration and the messages: an interrupted run, run again,
reviews only the shards it had not finished.

--scheduler needs 'pip install reviewbot[cluster]' (Dask distributed); the
workers must reach the SOURCE paths (a shared file system or the same
mirror at the same path) and run the same reviewbot. The address is checked
before the archive is read: a scheduler that does not answer Dask's
handshake within Dask's connect timeout (distributed.comm.timeouts.connect,
30 s; DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s shortens it) is refused.

Exit status: 0 done; 2 a bad option, source, configuration or labels file;
3 a rule or series crashed (the rest is reviewed and reported).""",
    )
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="public-inbox archives (v1 repository, v2 inbox or epoch), mboxes, maildirs")
    parser.add_argument("--against", metavar="REF|DIR",
                        help="compare with a second rule pack: a directory, or a git ref of this repository")
    parser.add_argument("--since", metavar="DATE",
                        help="only mail dated on or after DATE (YYYY-MM-DD or an ISO 8601 time; UTC)")
    parser.add_argument("--until", metavar="DATE",
                        help="only mail dated before the end of DATE (a day counts whole)")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", default=None,
                        help=f"worker processes (default: the cores, {os.cpu_count() or 1} here)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the shards on the Dask distributed cluster at ADDRESS (tcp://host:8786)")
    parser.add_argument("--labels", metavar="FILE", help="judgements of findings (YAML or JSON)")
    parser.add_argument("--write-labels", action="store_true",
                        help="add every unjudged fingerprint to --labels FILE (created if missing)")
    parser.add_argument("--format", dest="report_format", choices=("text", "json"), default="text",
                        help="the report: text (default) or json (the summary and one record per finding)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                        help="progress on stderr: auto shows it only on a terminal")
    parser.add_argument("--cache-dir", metavar="DIR", help="where finished shards are kept")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write checkpoints")
    add_rule_options(parser)
    add_config_options(parser)
    parser.set_defaults(func=run)


def parse_date(text: str, option: str, *, end_of_day: bool = False) -> int:
    """Seconds since the epoch of ``--since``/``--until``; UsageError names the option."""
    from reviewbot.errors import UsageError

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r}: not a date (YYYY-MM-DD or an ISO 8601 time)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if end_of_day and len(text.strip()) == 10:
        when += timedelta(days=1)
    return int(when.timestamp())


def run(args: argparse.Namespace) -> int:
    """Run the backtest; returns the exit status."""
    from reviewbot.backtest import labels as labels_file
    from reviewbot.backtest.checkpoint import default_root
    from reviewbot.backtest.progress import Progress
    from reviewbot.backtest.report import as_json, as_text
    from reviewbot.backtest.run import Plan, against_directory, backtest, scratch_directory
    from reviewbot.commands.common import build_config
    from reviewbot.errors import UsageError
    from reviewbot.rules.loader import load_rules

    if args.write_labels and not args.labels:
        raise UsageError("--write-labels needs --labels FILE")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1")
    since = parse_date(args.since, "--since") if args.since else None
    until = parse_date(args.until, "--until", end_of_day=True) if args.until else None
    if since is not None and until is not None and since >= until:
        raise UsageError(f"--since {args.since} is not before --until {args.until}: no mail is in between")
    if args.output:
        _writable(Path(args.output))
    config = build_config(args)
    rules = load_rules(config, select=args.select, ignore=args.ignore)
    labels = None
    if args.labels:  # read before the long run: a broken file fails now
        labels = labels_file.load_labels(Path(args.labels), missing_ok=args.write_labels)
    progress = Progress(sys.stderr, args.progress == "always" or (
        args.progress == "auto" and sys.stderr is not None and sys.stderr.isatty()))
    with scratch_directory() as scratch:
        against = against_name = None
        if args.against:
            from reviewbot.rules.loader import rule_directories
            directory = against_directory(args.against, Path(scratch))
            extra = rule_directories(config)[1:]  # --rules and rules.paths apply to both packs
            against = load_rules(config, select=args.select, ignore=args.ignore,
                                 directories=[directory, *extra])
            against_name = args.against
        cache = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_root()
        plan = Plan(tuple(args.sources), config, rules, against, against_name, since, until,
                    args.jobs or os.cpu_count() or 1, args.scheduler, cache)
        try:
            outcome = backtest(plan, progress)
        except KeyboardInterrupt:
            if cache is not None:
                print(f"reviewbot: note: the shards finished so far are kept under {cache}; "
                      "the same command goes on from them", file=sys.stderr)
            raise
    index = outcome.index
    if index.outside and index.outside + index.duplicates + len(index.unreadable) >= index.messages:
        print(f"reviewbot: note: no message is dated between --since and --until; {_span(index)}",
              file=sys.stderr)
    if labels is not None:
        if args.write_labels:
            labels = labels_file.add_unjudged(labels, outcome.findings)
            labels_file.write_labels(Path(args.labels), labels)
        outcome.labels = labels
    text = as_json(outcome) if args.report_format == "json" else as_text(outcome)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            sys.stdout.write(text)  # the run is not lost
            raise UsageError(f"--output {args.output}: cannot write it ({exc.strerror or exc}); "
                             "the report went to standard output") from None
    else:
        sys.stdout.write(text)
    return EXIT_INTERNAL if outcome.problems else EXIT_OK


def _writable(path: Path) -> None:
    """Fail before a long run when ``--output`` cannot be written."""
    from reviewbot.errors import UsageError

    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--output {path}: is a directory")
    if not parent.is_dir():
        raise UsageError(f"--output {path}: no directory {parent}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--output {path}: not writable")


def _span(index) -> str:
    """When the sources' mail is dated, for a range that holds none of it."""
    if index.first is None or index.last is None:
        return "the sources' mail has no readable date"
    day = lambda when: datetime.fromtimestamp(when, timezone.utc).date().isoformat()  # noqa: E731
    return f"the sources hold mail from {day(index.first)} to {day(index.last)}"

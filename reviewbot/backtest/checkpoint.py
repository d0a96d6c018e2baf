"""Finished shards on disk, so an interrupted backtest does not start over.

A run's checkpoints live in one directory named by everything the results
depend on (the reviewbot code, the rule packs, the configuration, the
file sources' sizes and times); a shard's file is named by its content
(the messages' locations, which for git are blob ids).  A checkpoint that
cannot be read is recomputed; one that cannot be written only costs time.
"""

from __future__ import annotations

import json
import logging
import os
from hashlib import sha256
from pathlib import Path
from typing import Any

from reviewbot.backtest.runner import SeriesResult
from reviewbot.resources import cache_root, code_stamp

log = logging.getLogger(__name__)


def default_root() -> Path:
    """``$XDG_CACHE_HOME/reviewbot/backtest``."""
    return cache_root() / "backtest"


def run_key(parts: list[str]) -> str:
    """The name of a run's checkpoint directory: ``parts`` (rule pack
    versions, configuration, source identities) and the reviewbot code."""
    digest = sha256(code_stamp().encode())
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:24]


class Checkpoints:
    """The shards of one run under ``root/<run key>/``; ``root`` None keeps nothing."""

    def __init__(self, root: Path | None, key: str) -> None:
        self.directory = root / key if root is not None else None

    def load(self, shard_key: str) -> list[SeriesResult] | None:
        """The results of a finished shard, or None."""
        if self.directory is None:
            return None
        path = self.directory / f"{shard_key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [SeriesResult.from_json(item) for item in data["series"]]
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - a broken checkpoint is recomputed
            log.debug("ignoring checkpoint %s: %s", path, exc)
            return None

    def save(self, shard_key: str, results: list[SeriesResult]) -> None:
        """Keep a finished shard (atomically: a crash leaves it whole or absent)."""
        if self.directory is None:
            return
        path = self.directory / f"{shard_key}.json"
        data: dict[str, Any] = {"series": [r.as_json() for r in results]}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write checkpoint %s: %s", path, exc)

"""Objects out of a git repository, for the measurement scripts that read
fetched mirrors and mail archives: the package's own streamer (one ``git
cat-file --batch``, see :mod:`reviewbot.backtest.sources`), and the
commits of a public-inbox epoch.

    for name, data in stream(repo, ["HEAD:README", f"{commit}:m"]): ...

``data`` is None for a name git does not have, or that is not a blob (a
public-inbox deletion commit has no ``m``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewbot.backtest.sources import cat_file as stream  # noqa: E402,F401 - re-exported for the scripts


def commits(repo: str, limit: int | None = None) -> list[str]:
    """The repository's commits, oldest first (a public-inbox epoch's messages)."""
    out = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H"],
                         check=True, capture_output=True).stdout.decode().split()
    return out[:limit] if limit else out

"""Progress on a terminal: messages read, series reviewed, rate and ETA."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """One line on ``stream``, redrawn at most 5 times a second; silent when disabled."""

    def __init__(self, stream: TextIO | None, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream is not None
        self._started = time.monotonic()
        self._last = 0.0
        self._shown = False

    def restart(self) -> None:
        """Rates and ETAs from now on."""
        self._started = time.monotonic()

    def messages(self, count: int) -> None:
        """``read N messages (R/s)``."""
        rate = count / max(time.monotonic() - self._started, 1e-6)
        self._show(f"read {count} messages ({rate:,.0f}/s)")

    def series(self, done: int, total: int, skipped: int = 0) -> None:
        """``reviewed D/T series (R/s, ETA S s)``; ``skipped`` were checkpoints."""
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = (done - skipped) / elapsed
        eta = f", ETA {(total - done) / rate:.0f} s" if rate > 0 and done < total else ""
        self._show(f"reviewed {done}/{total} series ({rate:,.1f}/s{eta})", force=done == total)

    def _show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        assert self.stream is not None
        self.stream.write(f"\r\x1b[Kreviewbot: {text}")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        """Clear the line."""
        if self._shown and self.stream is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

"""reviewbot: a declarative rules engine for Linux kernel patch review."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

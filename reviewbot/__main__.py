"""``python -m reviewbot``."""

from reviewbot.cli import run

run()

"""``reviewbot backtest``: the rule pack over whole list archives.

Two passes.  :mod:`.index` reads every message of the sources
(:mod:`.sources`: public-inbox git, mbox, maildir) once, keeps a small
record of each patch and cover letter, and assembles the series; then
:mod:`.runner` reviews the series in shards, in local worker processes or on
a Dask cluster, each task reading its own messages by location.
:mod:`.checkpoint` keeps finished shards, :mod:`.labels` the judgements of
findings, :mod:`.report` writes the result.  This package touches files and
runs git; the review itself is the pure :func:`reviewbot.engine.review`.
"""

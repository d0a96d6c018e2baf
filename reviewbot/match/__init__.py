"""Match: the matchers a rule names, over units of parsed code.

``registry`` is the table of matchers (``match``: structural patterns and
formulas, ``regex``, ``taint``: register dataflow, its sources, sinks and
sanitizers in ``endpoints``, ``comment``: stale comments); ``units`` holds what they run on and what they find, and ``file_units``
builds them for one changed file (parsed regions of assembly with their
contexts, lines of C); ``whole_file`` reads a whole file near its changes
(tree-aware review), ``spans`` cuts statements into functions, macro
bodies and runs, ``comment_blocks`` finds the comments a change concerns.
``patterns`` and ``formulas`` evaluate and compile the formula language;
``semantics`` says what an instruction reads and writes.
"""

from reviewbot.faces import face

__all__, __getattr__, __dir__ = face(__name__, {
    "MATCHERS": "registry",
    "compile_matcher": "registry",
    "AsmUnit": "units",
    "TextUnit": "units",
    "Hit": "units",
    "FileUnits": "file_units",
    "build_units": "file_units",
})

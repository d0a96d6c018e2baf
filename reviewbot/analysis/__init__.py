"""Analysis: what the rules need to know of the code around a change.

``kernels`` (kernel versions and eras), ``eras`` (the era a series brings
in), ``context`` (path globs, file and statement context: hyp or not,
section, enclosing macro), ``views`` (the hunks and
whole files a rule sees), ``tree`` (tree-aware mode: the pre-image from a
kernel checkout), ``git`` (the git edge), ``sysregs`` (the generated
system-register table).
"""

from reviewbot.faces import face

__all__, __getattr__, __dir__ = face(__name__, {
    "KernelVersion": "kernels",
    "Era": "kernels",
    "FileContext": "context",
    "StatementContext": "context",
    "file_context": "context",
    "statement_contexts": "context",
    "path_matches": "context",
    "language_of": "context",
    "View": "views",
    "hunk_views": "views",
    "full_views": "views",
    "GitTree": "tree",
    "is_kernel_tree": "tree",
    "SysReg": "sysregs",
    "lookup": "sysregs",
})

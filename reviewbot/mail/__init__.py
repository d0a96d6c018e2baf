"""Mail: bytes of mail to messages, patches and series.

``parse`` reads an mbox, one message or a bare diff (``plain`` reads plain
messages without the email package; anything else goes to ``email_path``,
the only importer of :mod:`email`); ``series`` turns messages into patches
and series; ``diff`` is the only importer of unidiff.  Pure: bytes in, values or
MailParseError out.
"""

from reviewbot.faces import face

__all__, __getattr__, __dir__ = face(__name__, {
    "parse_input": "parse",
    "parse_message": "parse",
    "split_mbox": "parse",
    "parse_subject": "series",
    "assemble_series": "series",
    "has_diff": "series",
    "is_reply": "series",
    "to_patch": "series",
    "looks_like_mail": "parse",
    "parse_patch": "diff",
})

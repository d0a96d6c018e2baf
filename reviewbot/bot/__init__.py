"""Bot: the edges that reach people.

``reply`` plans and composes review replies (pure); ``outbox`` records them
transactionally and ``smtp`` sends them; ``lore`` is the public-inbox
client, ``state`` the watcher's database and ``watcher`` the polling loop;
``b4_agent`` writes b4's review-agent files.
"""

from reviewbot.faces import face

__all__, __getattr__, __dir__ = face(__name__, {
    "compose": "reply",
    "plan": "reply",
    "Outbox": "outbox",
    "ReplyQueue": "outbox",
    "send_pending": "outbox",
    "LoreClient": "lore",
    "StateStore": "state",
    "run_once": "watcher",
    "run_forever": "watcher",
})

"""The chat app: rooms, the Message model, the pages and their JavaScript (all scaffolding).

The WebSocket side (the consumer and the routing) is the learner's: ``consumers.py`` and
``routing.py`` in the exercise folder. When one of those files is imported on its own (by the
checker, a notebook, a test) nothing has set Django up yet, so importing this app does it.
"""

from workshop.channels_support import ensure_django

ensure_django("chatsite.settings")

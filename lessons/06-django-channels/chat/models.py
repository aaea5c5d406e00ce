"""What the chat stores: each message, with its room and author, in the database."""

from django.conf import settings
from django.db import models

HISTORY_SIZE = 20  # how many recent messages a new connection receives


def known_rooms() -> list[str]:
    """The rooms that exist (``settings.CHAT_ROOMS``); a WebSocket to another room is refused."""
    return list(settings.CHAT_ROOMS)


class Message(models.Model):
    room = models.CharField(max_length=50, db_index=True)
    author = models.CharField(max_length=150)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"[{self.room}] {self.author}: {self.text[:40]}"

    def as_dict(self) -> dict:
        """The message as the browser receives it (JSON-friendly)."""
        return {"id": self.id, "room": self.room, "author": self.author, "text": self.text,
                "created": self.created.isoformat()}

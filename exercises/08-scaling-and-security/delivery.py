"""Lesson 08 · delivery that loses nothing: fill the holes the channel layer leaves.

The channel layer is *at most once*. ``group_send`` skips a process whose queue in Redis already
holds ``capacity`` events (100 by default; the log says only "N of M channels over capacity"), a
consumer's own buffer drops its oldest event when it holds ``capacity``, and events older than
``expiry`` (60 s) vanish. Nobody is told. Under a burst, some clients simply never see some
messages.

So the chat no longer trusts the layer with messages, only with *notifications*. Each message is
first stored and numbered by the store (``scalesite/history.py``: ``seq`` 1, 2, 3, ... per
room, from a Redis counter), then announced through the layer with its number. A notification
can be lost; the store cannot. Each connection keeps a ``Cursor``: the number of the last
message it forwarded to its client. A notification that does not follow on from it reveals a
hole, which the cursor fills from the store *before* forwarding, so the client gets every
message exactly once and in order. Two more ways to learn of a hole: a client that reconnects
says which number it saw last (lesson 02's ``Last-Event-ID`` again), and a periodic look at the
store catches the *tail*, a lost notification that nothing follows.
"""

from __future__ import annotations


class Cursor:
    """What one connection has forwarded: every message numbered 1 .. ``last``, none after.

    ``fetch_after`` is an ``async`` function from the consumer: ``await fetch_after(seq)`` returns
    the stored messages numbered above ``seq`` (dicts with a ``"seq"`` key), ascending. ``last``
    is where this connection starts: the room's end for a new client, the client's own last id
    for one that resumes.

    >>> cursor = Cursor(fetch_after=None, last=4)   # take() never asks the store
    >>> cursor.take([{"seq": 6}, {"seq": 5}, {"seq": 4}, {"seq": 8}])   # 4: seen; 8: after a hole
    [{'seq': 5}, {'seq': 6}]
    >>> cursor.last
    6
    """

    def __init__(self, fetch_after, last: int = 0):
        self.fetch_after = fetch_after
        self.last = last

    def take(self, messages) -> list[dict]:
        """The messages to forward now, in order, and ``last`` moved past them.

        ``messages`` come in any order and may repeat. Those numbered ``last`` or below were
        forwarded already: duplicates, dropped. Then take ``last + 1``, ``last + 2``, ... as long as
        the next number is there; stop at the first hole (what lies beyond it waits for the hole to
        be filled: forwarding it now would put the client's messages out of order). No store here.
        """
        # TODO: drop what is <= last; then take last+1, last+2, ... until the first hole.
        raise NotImplementedError("Cursor.take")

    async def receive(self, message: dict) -> list[dict]:
        """A notification from the channel layer (``message["seq"]`` its number): what to forward.

        * ``seq <= last``: forwarded already (the store filled it in earlier): nothing.
        * ``seq == last + 1``: the usual case: just this one, without asking the store.
        * ``seq > last + 1``: notifications went missing. Fill the hole from the store FIRST:
          ``take(await self.fetch_after(self.last) + [message])``.
        """
        # TODO: a duplicate, the next one, or a hole to fill from the store first.
        raise NotImplementedError("Cursor.receive")

    async def catch_up(self) -> list[dict]:
        """Everything the store has after ``last``: ``take(await self.fetch_after(self.last))``.

        The consumer calls it once on connect (a client resuming from its last id gets what it
        missed while away) and every ``settings.WS_TAIL_CHECK`` seconds (the tail: the last
        message's notification was lost and nothing follows to reveal the hole).
        """
        # TODO: what the store has after self.last, through take().
        raise NotImplementedError("Cursor.catch_up")

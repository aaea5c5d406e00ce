"""Lesson 08 · keep-alive behind a proxy: Daphne's pings, chosen from the proxy's read timeout.

nginx closes a proxied connection on which nothing has arrived for ``proxy_read_timeout`` seconds
(60 by default; cloud load balancers cut idle connections after 60 to 350 s). A WebSocket is
quiet whenever nobody in the room speaks, so without traffic the proxy cuts it: the browser gets
close code 1006 and no reason. JavaScript cannot send WebSocket pings, but browsers answer the
server's pings by themselves: so the server pings, often enough to beat the proxy.

Daphne pings a socket once ``ping_interval`` seconds passed without a frame from the client, but
it looks at its sockets only every ``DAPHNE_TICK`` seconds (``timeout_checker`` in
daphne/server.py): a ping due at t leaves somewhere between t and t + tick. It drops a socket
whose pong has not come back ``ping_timeout`` seconds after a ping (Autobahn's
``autoPingTimeout``): that is how a dead client (a closed laptop, a phone in a tunnel) is noticed,
because the proxy never notices it while Daphne's pings keep its side of the connection busy.
"""

from __future__ import annotations

DAPHNE_TICK = 2.0  # seconds between Daphne's looks at its sockets' clocks


def ping_options(proxy_read_timeout: float, tick: float = DAPHNE_TICK) -> dict:
    """Daphne's ``{"ping_interval": s, "ping_timeout": s}`` behind a proxy that cuts a connection
    quiet for ``proxy_read_timeout`` seconds.

    * ``ping_interval``: a ping due after the interval leaves up to ``tick`` later, and must reach
      the proxy before its timeout: ``interval + tick < proxy_read_timeout``, with room for a busy
      machine. Take half of what the tick leaves: ``(proxy_read_timeout - tick) / 2``. Not much
      less: every ping is a frame for every socket (10,000 sockets pinged every second are
      10,000 frames a second for nothing).
    * ``ping_timeout``: how long a pong may take: a dead client should be noticed within one
      proxy timeout, so ``proxy_read_timeout``.
    * A read timeout of ``tick`` seconds or less leaves no room for any interval: raise
      ``ValueError`` saying so (the proxy's timeout must grow, or the pings come from the client).
    """
    if proxy_read_timeout <= tick:
        raise ValueError(f"a proxy read timeout of {proxy_read_timeout:g} s is not longer than Daphne's {tick:g} s "
                         "tick: no ping interval can beat it")
    return {"ping_interval": (proxy_read_timeout - tick) / 2, "ping_timeout": float(proxy_read_timeout)}

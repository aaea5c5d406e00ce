"""Every architecture of the workshop under one load, in one table: ``python -m bench.compare``.

One small chat protocol (join a room, send, receive every message with its id) that every
architecture serves: short and long polling (lesson 01), SSE with a POST to send (02), the raw
asyncio server (03), uWSGI's WebSocket API and uWSGI offloading (04), the Python and Node.js
sidecars (05), Channels on one Daphne with the in-memory layer and on two Daphnes with Redis (06),
and two peers a user might pick instead: the ``websockets`` library's own server and Channels
under uvicorn. Each is started by its lesson's launcher (``servers.py``) in a host process of its
own (``host.py``), loaded by one load generator (``load.py``, through ``clients.py``) one at a
time, and measured from ``/proc``. ``report.py`` writes the table, the CSVs and the plots.

    python -m bench.compare            # the full run (under 10 minutes on 2 cores)
    python -m bench.compare --quick    # smaller steps (a minute or two)
    python -m bench.compare --tiny     # 2-3 clients, a few messages: does every architecture work?
"""

"""Lesson 08's round-robin balancer: real sockets on 127.0.0.1, real asyncio servers behind it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lessons" / "08-scaling-and-security"))

from balancer import BalancerThread, RoundRobinBalancer  # noqa: E402

pytestmark = pytest.mark.timeout(20)


async def _backend(name: bytes, seen: list):
    """A server that greets with its name, then echoes upper-cased until EOF, then says bye and closes."""

    async def handle(reader, writer):
        writer.write(name + b"\n")
        await writer.drain()
        data = await reader.read()  # until the client's EOF arrives through the balancer
        seen.append(data)
        writer.write(data.upper() + b"|bye")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_connections_alternate_between_backends_and_both_halves_close():
    async def scenario():
        seen_a, seen_b = [], []
        server_a, port_a = await _backend(b"A", seen_a)
        server_b, port_b = await _backend(b"B", seen_b)
        balancer = await RoundRobinBalancer([port_a, port_b]).start()
        try:
            names = []
            for i in range(4):
                reader, writer = await asyncio.open_connection("127.0.0.1", balancer.port)
                names.append((await reader.readline()).strip())
                writer.write(b"hello %d" % i)
                writer.write_eof()  # half-close: the backend must see EOF, and still be able to answer
                answer = await asyncio.wait_for(reader.read(), 5)  # read() returns at the backend's close
                assert answer == b"HELLO %d|bye" % i
                writer.close()
            assert names == [b"A", b"B", b"A", b"B"]
            assert seen_a == [b"hello 0", b"hello 2"] and seen_b == [b"hello 1", b"hello 3"]
            assert balancer.connections == [2, 2]
        finally:
            await balancer.close()
            server_a.close()
            server_b.close()

    asyncio.run(scenario())


def test_a_dead_backend_closes_the_client_and_close_ends_open_connections():
    async def scenario():
        seen = []
        server, port = await _backend(b"A", seen)
        holder = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        dead_port = holder.sockets[0].getsockname()[1]
        holder.close()
        await holder.wait_closed()  # nothing listens there any more
        balancer = await RoundRobinBalancer([dead_port, port]).start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", balancer.port)
            assert await asyncio.wait_for(reader.read(), 5) == b""  # backend down: the client sees EOF
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", balancer.port)
            assert (await reader.readline()) == b"A\n"
            await balancer.close()  # shutting down ends the open connection too
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()
        finally:
            await balancer.close()
            server.close()

    asyncio.run(scenario())


def test_the_thread_wrapper_serves_from_synchronous_code():
    import socket

    async def start_backend():
        return await _backend(b"T", [])

    loop = asyncio.new_event_loop()
    server, port = loop.run_until_complete(start_backend())
    import threading

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        with BalancerThread([port]) as balancer:
            with socket.create_connection(("127.0.0.1", balancer.port), timeout=5) as sock:
                assert sock.recv(16) == b"T\n"
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()

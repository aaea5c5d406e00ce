"""Django ORM calls from a check, on one thread of their own.

Django refuses ORM calls from a thread that runs an event loop (``SynchronousOnlyOperation``),
and Playwright's sync API runs one on the check's thread. Sending every ORM call to one
dedicated thread keeps them legal and keeps SQLite's single writer happy.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks-orm")


def run(function, *args, timeout: float = 10.0):
    """``function(*args)`` on the ORM thread; its result (or its exception)."""
    return _THREAD.submit(function, *args).result(timeout=timeout)

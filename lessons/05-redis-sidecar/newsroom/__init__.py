"""Lesson 05's scaffolding: a Django site (WSGI) for pages and writes, and the runner of the
learner's asyncio WebSocket sidecar. The two processes share only Redis and ``protocol``."""

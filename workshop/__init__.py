"""Shared runtime for the workshop's lessons, demos, checker and tests.

Everything a lesson needs more than once lives here, once: finding the repository's
folders, free loopback ports, starting and stopping process trees, a real Redis server,
finding and launching Chromium, and loading the learner's modules with errors a learner
can act on.
"""

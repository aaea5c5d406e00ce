"""Lesson 01's message board: a plain Django project served over WSGI.

Everything here is scaffolding the learner reads but does not edit. The learner's code
(``polling.py`` and ``poll_client.js``) is loaded from the exercise folder.
"""

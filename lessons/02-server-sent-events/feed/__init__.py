"""Lesson 02's live feed: a plain Django project that pushes events with Server-Sent Events.

Everything here is scaffolding the learner reads but does not edit. The learner's code
(``sse.py``) is loaded from the exercise folder.
"""

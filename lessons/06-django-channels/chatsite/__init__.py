"""Lesson 06's Django project: the chat room of lessons 03 and 05, rebuilt with Channels.

Scaffolding the learner reads but does not edit. The learner's code (``consumers.py`` and
``routing.py``) is loaded from the exercise folder being served or graded.
"""

"""Lesson 07's Django project: slow jobs run by a Celery worker, progress pushed over Channels.

Scaffolding the learner reads but does not edit. The learner's code (``tasks.py``,
``consumers.py`` and ``views.py``) is loaded from the exercise folder being served or graded.
"""

"""The live room: an instructor's dashboard that shows, as it happens, who is stuck where.

It is itself a small Channels app, because that is what the workshop teaches:

* ``server``      ``python -m checker room serve``: starts Daphne (and Redis when there is one),
                  prints the join code and the two URLs.
* ``settings``, ``asgi``, ``urls``, ``views``, ``consumers``: the Django + Channels project.
  Learners POST small JSON statuses (``views.status``); the instructor's page listens on a
  WebSocket (``consumers.InstructorConsumer``) in one group that every status wakes up.
* ``room``        the room's state (plain Python, no Django): validation, stuck learners, the
                  most common failing check, progress over time, the CSV rows.
* ``reporter``    the learner side: after ``python -m checker join``, each grading queues a
                  status in the checker's state folder and sends it with a short, bounded wait.
"""

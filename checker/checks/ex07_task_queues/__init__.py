"""Checks for lesson 07 (task queues), ring by ring, from the inside out:

1. ``functions`` (functions.py): ``report_progress`` and the task ``render_report``, called in
   this process against a real Redis (the channel layer is channels_redis').
2. ``consumer`` (consumer.py): ``JobConsumer`` through Channels' test client, ``views.start_job``
   through Django's ``RequestFactory``; the queued Celery message is read from Redis.
3. ``server`` (live.py): the lesson's launcher starts a Celery worker and Daphne; a
   ``websockets`` client watches a job posted over HTTP.
4. ``browser`` (live.py): the page in headless Chromium reaches 100 %; a late tab sees "done".
"""

from checker.checks import register

from .consumer import check_consumer_disconnect, check_consumer_forwards, check_consumer_state, check_start_job
from .functions import check_render_report, check_report_progress
from .live import check_browser_progress, check_worker_daphne

CHECKS = register(
    check_report_progress, check_render_report, check_consumer_state, check_consumer_forwards,
    check_consumer_disconnect, check_start_job, check_worker_daphne, check_browser_progress,
)

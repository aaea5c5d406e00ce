"""Checks for lesson 07 (task queues), ring by ring, from the inside out:

1. ``functions`` (functions.py): ``report_progress`` and the task ``render_report``, called in
   this process against a real Redis (the channel layer is channels_redis').
2. ``consumer`` (consumer.py, workers.py): ``JobConsumer`` through Channels' test client,
   ``views.start_job`` through Django's ``RequestFactory`` (the queued Celery message is read from
   Redis); ``workers.ReportWorker`` fed ``job.render`` messages through ``ApplicationCommunicator``,
   and the message ``start_job`` sends to the channel ``jobs-worker`` with ``?engine=channels``.
3. ``server`` (live.py): the lesson's launcher starts a Celery worker, Channels' worker
   (``runworker jobs-worker``) and Daphne; ``websockets`` clients watch jobs posted over HTTP.
4. ``browser`` (live.py): the page in headless Chromium reaches 100 %; a late tab sees "done".
"""

from checker.checks import register

from .consumer import check_consumer_disconnect, check_consumer_forwards, check_consumer_state, check_start_job
from .functions import check_render_report, check_report_progress
from .live import check_browser_progress, check_runworker_daphne, check_worker_daphne
from .workers import check_start_on_worker, check_worker_consumer

CHECKS = register(
    check_report_progress, check_render_report, check_consumer_state, check_consumer_forwards,
    check_consumer_disconnect, check_start_job, check_worker_consumer, check_start_on_worker,
    check_worker_daphne, check_runworker_daphne, check_browser_progress,
)

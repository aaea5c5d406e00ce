"""Checks for lesson 08 (scaling out and security), ring by ring, from the inside out:

1. ``functions`` (functions.py): ``origin_allowed``, ``TokenBucket`` (with a clock the check
   moves), ``validate_message`` and the Redis connection counter, as plain code.
2. ``server`` (server.py): the lesson's launcher starts Redis, two Daphne processes with the
   learner's consumer and the round-robin balancer; ``websockets`` clients probe broadcasts
   across processes, Origin, authentication, the rate limit, the size limit and the per-user cap.
3. ``browser`` (browser.py): two Chromium pages on two backends chat through the balancer.
"""

from checker.checks import register

from .browser import check_browser_two_backends
from .functions import check_count_connections, check_origin_allowed, check_token_bucket, check_validate_message
from .server import (check_anonymous, check_connection_cap, check_cross_backend, check_foreign_origin,
                     check_message_size, check_rate_limit)

CHECKS = register(
    check_origin_allowed, check_token_bucket, check_validate_message, check_count_connections,
    check_cross_backend, check_foreign_origin, check_anonymous, check_rate_limit,
    check_message_size, check_connection_cap, check_browser_two_backends,
)

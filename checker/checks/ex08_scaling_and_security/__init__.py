"""Checks for lesson 08 (scaling out and security), ring by ring, from the inside out:

1. ``functions`` (functions.py, delivery.py): ``origin_allowed``, ``TokenBucket`` (with a clock
   the check moves), ``validate_message``, the live-socket set and the per-user bucket in Redis,
   and the delivery ``Cursor`` against the lesson's real store, as plain code.
2. ``server`` (server.py, attacks.py, delivery.py): the lesson's launcher starts Redis, two
   Daphne processes with the learner's consumer and the round-robin balancer; ``websockets`` and
   raw clients probe broadcasts across processes, Origin, authentication, the limits, the
   bookkeeping under attack, and delivery with lost notifications and an overflowing layer.
3. ``browser`` (browser.py): two Chromium pages on two backends chat through the balancer.

The deployment checks (proxy.py, proxy_browser.py) run the learner's ``proxy.conf`` in a real nginx
(upgrade headers, TLS, the Origin behind it, Chromium on https://) and ``keepalive.ping_options``
against a short ``proxy_read_timeout``; without nginx they are skipped with install advice.
"""

from checker.checks import register

from .attacks import check_closed_socket, check_connections_repaired
from .browser import check_browser_two_backends
from .delivery import check_cursor, check_gap_filled, check_overflow, check_resume
from .functions import (check_count_connections, check_origin_allowed, check_token_bucket, check_user_rate_limit,
                        check_validate_message)
from .proxy import check_ping_options, check_proxy_keepalive, check_proxy_tls, check_proxy_upgrade
from .proxy_browser import check_browser_tls
from .server import (check_anonymous, check_connection_cap, check_cross_backend, check_foreign_origin,
                     check_message_size, check_rate_limit)

CHECKS = register(
    check_origin_allowed, check_token_bucket, check_validate_message, check_count_connections,
    check_user_rate_limit, check_cursor, check_ping_options,
    check_cross_backend, check_foreign_origin, check_anonymous, check_rate_limit,
    check_message_size, check_connection_cap, check_closed_socket, check_connections_repaired,
    check_gap_filled, check_resume, check_overflow, check_proxy_upgrade, check_proxy_keepalive, check_proxy_tls,
    check_browser_two_backends, check_browser_tls,
)

"""Name-only accounts on Django's ordinary session (loopback workshop: no passwords).

What is real is everything after the login: the ``sessionid`` cookie, stored in the database
every backend shares, rides along on the WebSocket handshake; ``AuthMiddlewareStack`` turns it
into ``scope["user"]`` on whichever process the load balancer picked.
"""

from __future__ import annotations

import re
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,30}$")
BACKEND = "django.contrib.auth.backends.ModelBackend"


def get_or_create_user(username: str):
    if not USERNAME_RE.match(username or ""):
        raise ValueError("a name is 1-30 letters, digits, dots, dashes or underscores")
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def session_cookie_for(username: str) -> str:
    """A logged-in ``sessionid`` value, for clients that are not browsers (checks, benchmark)."""
    user = get_or_create_user(username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key

"""Workshop-only accounts: a user is just a name, logged in with Django's ordinary session.

There are no passwords (the site listens on 127.0.0.1 only and lives for one lesson). What is
real is everything after the login: Django's session cookie, which the browser sends with the
WebSocket handshake, and Channels' ``AuthMiddlewareStack``, which turns it into
``scope["user"]`` for the consumer, exactly as with a password login.
"""

from __future__ import annotations

import re

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,30}$")
BACKEND = "django.contrib.auth.backends.ModelBackend"


def get_or_create_user(username: str):
    """The user called ``username``, created (without a usable password) if needed."""
    if not USERNAME_RE.match(username or ""):
        raise ValueError("a name is 1-30 letters, digits, dots, dashes or underscores")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def session_cookie_for(username: str) -> str:
    """A ``sessionid`` value logged in as ``username``, for clients that are not browsers.

    The checker and the benchmark use it: they put ``Cookie: sessionid=...`` on their handshake,
    just as a browser does after the login form.
    """
    from importlib import import_module

    from django.conf import settings

    user = get_or_create_user(username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key

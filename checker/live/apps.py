"""The live room as a Django app, so its templates and static files are found the usual way."""

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "checker.live"
    label = "live"
    verbose_name = "Live room"

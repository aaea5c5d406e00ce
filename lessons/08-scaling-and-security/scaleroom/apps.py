from django.apps import AppConfig


class ScaleRoomConfig(AppConfig):
    name = "scaleroom"
    default_auto_field = "django.db.models.BigAutoField"

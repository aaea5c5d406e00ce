from django.urls import path

from checker.live import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("api/join", views.join, name="join"),
    path("api/status", views.status, name="status"),
]

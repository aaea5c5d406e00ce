from django.urls import path

from board import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/messages", views.messages, name="messages"),
    path("api/messages/wait", views.wait, name="wait"),
    path("api/stats", views.poll_stats, name="stats"),
    path("static/poll_client.js", views.client_js, name="client-js"),
    path("static/app.js", views.app_js, name="app-js"),
    path("favicon.ico", views.favicon),
]

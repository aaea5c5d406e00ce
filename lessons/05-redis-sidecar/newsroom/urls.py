from django.urls import path

from newsroom import views

urlpatterns = [
    path("", views.index, name="index"),
    path("login", views.login, name="login"),
    path("room/<slug:room>/", views.room, name="room"),
    path("room/<slug:room>/messages", views.messages, name="messages"),
    path("room/<slug:room>/token", views.token, name="token"),
    path("static/room.js", views.room_js, name="room-js"),
    path("favicon.ico", views.favicon),
]

from django.urls import path

from chat import views

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("room/<str:room>/", views.room, name="room"),
    path("static/chat/room.js", views.room_js, name="room-js"),
]

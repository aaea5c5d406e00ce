from django.urls import path

from scaleroom import views

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("room.js", views.room_js, name="room-js"),
]

from django.urls import path

from feed import views

urlpatterns = [
    path("", views.index, name="index"),
    path("events", views.events, name="events"),
    path("api/events", views.post_event, name="post-event"),
    path("api/drop", views.drop, name="drop"),
    path("api/feed", views.feed_state, name="feed-state"),
    path("api/stats", views.stream_stats, name="stats"),
    path("static/feed.js", views.feed_js, name="feed-js"),
]

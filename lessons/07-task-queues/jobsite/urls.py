from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/", views.start_job, name="start-job"),          # the learner's views.start_job
    path("jobs/<str:job_id>/", views.job_state, name="job-state"),
    path("static/jobs/progress.js", views.progress_js, name="progress-js"),
]

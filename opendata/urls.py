from django.urls import path

from . import views

app_name = "opendata"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("<slug:dataset>.csv", views.DatasetView.as_view(fmt="csv"), name="csv"),
    path("<slug:dataset>.json", views.DatasetView.as_view(fmt="json"), name="json"),
]

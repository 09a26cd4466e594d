from django.urls import path

from . import views

app_name = "participation"

urlpatterns = [
    path("<slug:slug>/", views.CommunityDetailView.as_view(), name="community-detail"),
    path(
        "<slug:slug>/roster/",
        views.CommunityRosterView.as_view(),
        name="community-roster",
    ),
    path(
        "<slug:slug>/roster/<int:participant_id>/code/",
        views.VoterCodeIssueView.as_view(),
        name="voter-code-issue",
    ),
    path(
        "<slug:slug>/members/",
        views.CommunityMembersView.as_view(),
        name="community-members",
    ),
]

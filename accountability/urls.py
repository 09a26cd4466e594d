from django.urls import path

from .views import manage, public

app_name = "accountability"

urlpatterns = [
    path("me/", public.MyMoneyView.as_view(), name="my-money"),
    path("projects/<int:pk>/", public.ProjectPageView.as_view(), name="project"),
    path(
        "projects/<int:pk>/manage/",
        manage.ProjectManageView.as_view(),
        name="project-manage",
    ),
    path(
        "expenses/<int:pk>/receipt/",
        public.ReceiptDownloadView.as_view(),
        name="receipt",
    ),
    path(
        "communities/<slug:slug>/",
        public.CommunityPageView.as_view(),
        name="community",
    ),
]

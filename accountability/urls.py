from django.urls import path

from .views import manage, periods, public

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
    path(
        "communities/<slug:slug>/periods/",
        periods.PeriodListView.as_view(),
        name="periods",
    ),
    path(
        "communities/<slug:slug>/periods/new/",
        periods.PeriodDeclareView.as_view(),
        name="period-declare",
    ),
    path(
        "communities/<slug:slug>/periods/<str:label>/",
        periods.PeriodDetailView.as_view(),
        name="period",
    ),
    path(
        "communities/<slug:slug>/periods/<str:label>/manage/",
        periods.PeriodManageView.as_view(),
        name="period-manage",
    ),
    path(
        "communities/<slug:slug>/periods/<str:label>/statement.pdf",
        periods.PeriodStatementView.as_view(),
        name="period-statement",
    ),
]

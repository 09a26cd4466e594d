from django.urls import path

from .views import backer, manage, public, register, rounds

app_name = "campaigns"

urlpatterns = [
    path("", public.CampaignListView.as_view(), name="list"),
    path("me/", backer.MyPledgesView.as_view(), name="my-pledges"),
    path("match/<int:pk>/", public.MatchRoundView.as_view(), name="match-round"),
    path(
        "match/<int:pk>/allocate/",
        rounds.MatchRoundAllocateView.as_view(),
        name="match-round-allocate",
    ),
    path(
        "match/new/<slug:slug>/",
        rounds.MatchRoundCreateView.as_view(),
        name="match-round-create",
    ),
    path(
        "receipts/<slug:slug>/donations/",
        register.DonationRegisterView.as_view(),
        name="donation-register",
    ),
    path(
        "receipts/<slug:slug>/donations/<int:year>/",
        register.DonationRegisterView.as_view(),
        name="donation-register-year",
    ),
    path(
        "receipts/<slug:slug>/donations/<int:year>.csv",
        register.DonationRegisterCsvView.as_view(),
        name="donation-register-csv",
    ),
    path("new/<int:project_id>/", manage.CampaignCreateView.as_view(), name="create"),
    path("pledges/<int:pk>/", backer.PledgeDetailView.as_view(), name="pledge"),
    path("pledges/<int:pk>/pay/", backer.PledgePayView.as_view(), name="pledge-pay"),
    path(
        "pledges/<int:pk>/withdraw/",
        backer.PledgeWithdrawView.as_view(),
        name="pledge-withdraw",
    ),
    path(
        "pledges/<int:pk>/receipts/<int:receipt_id>.pdf",
        backer.ReceiptDownloadView.as_view(),
        name="receipt",
    ),
    path("<slug:slug>/", public.CampaignDetailView.as_view(), name="detail"),
    path(
        "<slug:slug>/pledge/", backer.PledgeCreateView.as_view(), name="pledge-create"
    ),
    path("<slug:slug>/manage/", manage.CampaignManageView.as_view(), name="manage"),
]

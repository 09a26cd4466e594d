from django.urls import include, path

from .views import community, process, purchases, voting

app_name = "participation"

process_patterns = [
    path("", process.ProcessDetailView.as_view(), name="process-detail"),
    path("proposals/", process.ProposalListView.as_view(), name="proposal-list"),
    path(
        "proposals/new/", process.ProposalCreateView.as_view(), name="proposal-create"
    ),
    path(
        "proposals/<int:proposal_id>/support/",
        process.SupportToggleView.as_view(),
        name="support-toggle",
    ),
    path("projects/", process.ProjectListView.as_view(), name="project-list"),
    path("vote/", voting.BallotView.as_view(), name="ballot"),
    path("vote/code/", voting.CodeBallotView.as_view(), name="ballot-code"),
    path("results/", voting.ResultsView.as_view(), name="results"),
    path("results/ballots.pb", voting.ResultsPabulibView.as_view(), name="results-pb"),
    # facilitators
    path("manage/", process.ProcessManageView.as_view(), name="process-manage"),
    path(
        "manage/assemblies/new/",
        process.AssemblyCreateView.as_view(),
        name="assembly-create",
    ),
    path(
        "manage/assemblies/<int:assembly_id>/",
        process.AssemblyDetailView.as_view(),
        name="assembly-detail",
    ),
    path("manage/codesign/", process.CodesignView.as_view(), name="codesign"),
    path(
        "manage/codesign/<int:project_id>/assess/",
        process.ProjectAssessView.as_view(),
        name="project-assess",
    ),
    path(
        "manage/codes.pdf", voting.VoterCodeSheetView.as_view(), name="voter-code-sheet"
    ),
    path(
        "manage/paper/new/",
        voting.PaperBatchCreateView.as_view(),
        name="paper-batch-create",
    ),
    path(
        "manage/paper/<int:batch_id>/",
        voting.PaperBatchView.as_view(),
        name="paper-batch",
    ),
    path(
        "manage/paper/<int:batch_id>/resolve/",
        voting.PaperBatchResolveView.as_view(),
        name="paper-batch-resolve",
    ),
    path(
        "manage/paper/<int:batch_id>/accept/",
        voting.PaperBatchAcceptView.as_view(),
        name="paper-batch-accept",
    ),
]

urlpatterns = [
    # before the community slugs: the buyer's own votes, across communities
    path(
        "purchase-votes/",
        purchases.PurchaseVotesView.as_view(),
        name="purchase-votes",
    ),
    path(
        "purchase-votes/<int:pk>/",
        purchases.PurchaseVotesView.as_view(),
        name="purchase-vote-cast",
    ),
    path(
        "<slug:slug>/", community.CommunityDetailView.as_view(), name="community-detail"
    ),
    path(
        "<slug:slug>/roster/",
        community.CommunityRosterView.as_view(),
        name="community-roster",
    ),
    path(
        "<slug:slug>/roster/<int:participant_id>/code/",
        community.VoterCodeIssueView.as_view(),
        name="voter-code-issue",
    ),
    path(
        "<slug:slug>/members/",
        community.CommunityMembersView.as_view(),
        name="community-members",
    ),
    path(
        "<slug:slug>/processes/new/",
        process.ProcessCreateView.as_view(),
        name="process-create",
    ),
    path("<slug:slug>/p/<slug:process>/", include(process_patterns)),
]

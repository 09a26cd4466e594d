from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from .. import permissions, selectors, services
from ..forms import ParticipantForm
from ..permissions import CommunityPermissionMixin


class CommunityDetailView(CommunityPermissionMixin, TemplateView):
    template_name = "participation/community_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sections=selectors.community_sections(self.community),
            facilitators=selectors.community_facilitators(self.community),
            is_member=permissions.is_member(self.request.user, self.community),
            pseudonymous_count=self.community.participants.count(),
            processes=self.community.processes.exclude(phase="draft").order_by(
                "-created_at"
            ),
        )
        return context


class CommunityRosterView(CommunityPermissionMixin, FormView):
    """The facilitators' roster of pseudonymous participants and voter codes."""

    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/community_roster.html"
    form_class = ParticipantForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "community": self.community}

    def form_valid(self, form):
        try:
            participant = services.participant_create(
                community=self.community, **form.cleaned_data
            )
        except ValueError as error:
            form.add_error("pseudonym", str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(pseudonym)s added to the roster.")
            % {"pseudonym": participant.pseudonym},
        )
        return redirect("participation:community-roster", slug=self.community.slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["participants"] = selectors.community_participants(self.community)
        return context


class VoterCodeIssueView(CommunityPermissionMixin, TemplateView):
    """POST only: draw a new one-time code and show it once."""

    permission = staticmethod(permissions.can_facilitate)
    template_name = "participation/voter_code_issued.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        participant = get_object_or_404(
            self.community.participants, pk=kwargs["participant_id"]
        )
        code = services.voter_code_issue(participant=participant)
        return self.render_to_response(
            self.get_context_data(participant=participant, code=code)
        )


class CommunityMembersView(CommunityPermissionMixin, TemplateView):
    permission = staticmethod(permissions.can_manage_members)
    template_name = "participation/community_members.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = selectors.community_members(self.community)
        return context

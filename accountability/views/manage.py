"""The staff page of one project: milestones, expenses, grants.

One POST per action (``action``); each calls one service and shows its
refusal as a form error, keeping what was typed.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from participation.models import Project
from participation.permissions import community_visible_or_404

from .. import permissions, selectors, services
from ..exceptions import AccountabilityError
from ..forms import ExpenseActionForm, ExpenseForm, GrantForm, MilestoneForm
from ..models import Milestone


class ProjectManageView(TemplateView):
    template_name = "accountability/project_manage.html"

    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(
            Project.objects.select_related("process__community"), pk=kwargs["pk"]
        )
        self.community = self.project.process.community
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        community_visible_or_404(request.user, self.community)
        if not permissions.is_staff(request.user, self.community):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, project = self.request.user, self.project
        milestones = list(selectors.milestones_of([project.pk]))
        edited = kwargs.get("milestone_forms", {})
        context.setdefault("milestone_form", MilestoneForm(prefix="new"))
        context.setdefault("expense_form", ExpenseForm())
        context.setdefault("action_form", ExpenseActionForm(project=project))
        context.setdefault("grant_form", GrantForm())
        context.update(
            project=project,
            community=self.community,
            figures=selectors.fund_figures([project.pk])[project.pk],
            milestone_rows=[
                (m, edited.get(m.pk) or MilestoneForm.for_milestone(m))
                for m in milestones
            ],
            expenses=list(selectors.expenses_for_staff(project)),
            can_approve=permissions.can_approve_expense(user, self.community),
            can_record_grant=permissions.can_record_grant(user, self.community),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            raise Http404
        return handler(request)

    def _done(self, message):
        messages.success(self.request, message)
        return redirect("accountability:project-manage", pk=self.project.pk)

    def _again(self, **forms):
        return self.render_to_response(self.get_context_data(**forms))

    def do_milestone_create(self, request):
        form = MilestoneForm(request.POST, prefix="new")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.milestone_create(
                    project=self.project,
                    title=data["title"],
                    description=data["description"],
                    due_on=data["due_on"],
                    status=data["status"],
                    progress_percent=data["progress_percent"],
                    created_by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(_("The milestone is added."))
        return self._again(milestone_form=form)

    def do_milestone_update(self, request):
        milestone = get_object_or_404(
            Milestone, pk=request.POST.get("milestone"), project=self.project
        )
        form = MilestoneForm.for_milestone(milestone, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.milestone_update(
                    milestone=milestone,
                    title=data["title"],
                    description=data["description"],
                    due_on=data["due_on"],
                    status=data["status"],
                    progress_percent=data["progress_percent"],
                    position=data["position"] or 0,
                    updated_by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(_("The milestone is saved."))
        return self._again(milestone_forms={milestone.pk: form})

    def do_expense_submit(self, request):
        form = ExpenseForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.expense_submit(
                    project=self.project,
                    supplier=data["supplier"],
                    description=data["description"],
                    amount_cents=data["amount"],
                    spent_on=data["spent_on"],
                    receipt=data["receipt"],
                    submitted_by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(
                    _("The expense is submitted: a second person must approve it.")
                )
        return self._again(expense_form=form)

    def _expense_action(self, request, call, message):
        form = ExpenseActionForm(request.POST, project=self.project)
        if form.is_valid():
            try:
                call(form.cleaned_data)
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(message)
        return self._again(action_form=form)

    def do_expense_approve(self, request):
        return self._expense_action(
            request,
            lambda data: services.expense_approve(
                expense=data["expense"], approved_by=request.user
            ),
            _("The expense is approved."),
        )

    def do_expense_reject(self, request):
        return self._expense_action(
            request,
            lambda data: services.expense_reject(
                expense=data["expense"], rejected_by=request.user, reason=data["reason"]
            ),
            _("The expense is rejected."),
        )

    def do_expense_pay(self, request):
        return self._expense_action(
            request,
            lambda data: services.expense_pay(
                expense=data["expense"], paid_by=request.user
            ),
            _("The expense is paid from the project's fund."),
        )

    def do_grant_record(self, request):
        form = GrantForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.grant_record(
                    project=self.project,
                    grantor=data["grantor"],
                    amount_cents=data["amount"],
                    reference=data["reference"],
                    recorded_by=request.user,
                )
            except AccountabilityError as error:
                form.add_error(None, str(error))
            else:
                return self._done(_("The grant is in the project's fund."))
        return self._again(grant_form=form)

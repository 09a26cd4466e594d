"""The buyer's purchase votes: see what each paid order weighs, choose projects."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.ratelimit import rate_limited

from .. import selectors, services
from ..exceptions import BallotInvalid, ParticipationError
from ..forms import PurchaseVoteForm
from ..models.process import Phase, PurchaseVoteMode
from ..services.purchase_votes import purchase_ballots, purchase_vote_weight_of


@rate_limited("purchase_vote")
class PurchaseVotesView(LoginRequiredMixin, TemplateView):
    """All the user's purchase votes (``pk`` given: only that one), each a form.

    POST to the page of one vote casts or changes it. A vote of someone else
    is a 404 (it does not reveal that the order exists).
    """

    template_name = "participation/purchase_votes.html"

    def votes(self):
        if not hasattr(self, "_votes"):
            votes = selectors.purchase_votes_of(self.request.user)
            if "pk" in self.kwargs:
                votes = votes.filter(pk=self.kwargs["pk"])
            self._votes = list(votes)
            if "pk" in self.kwargs and not self._votes:
                raise Http404
        return self._votes

    def entries(self, *, failed=None, failed_form=None) -> list[dict]:
        votes = self.votes()
        candidates = selectors.purchase_vote_candidates({v.process_id for v in votes})
        today = timezone.localdate()
        # this buyer's active cast votes per process, as the count will see them
        by_process: dict[int, list] = {}
        for vote in votes:
            if vote.is_active:
                by_process.setdefault(vote.process_id, []).append(
                    (
                        vote.pk,
                        vote.buyer_id,
                        vote.amount_cents,
                        [p.code for p in vote.projects.all()],
                    )
                )
        entries = []
        for vote in votes:
            process = vote.process
            open_now = (
                process.purchase_votes != PurchaseVoteMode.OFF
                and process.phase == Phase.VOTE
                and not (process.vote_ends_on and today > process.vote_ends_on)
            )
            chosen = [p.pk for p in vote.projects.all()]
            process_candidates = candidates.get(process.pk, [])
            if failed is not None and vote.pk == failed:
                form = failed_form
            else:
                form = PurchaseVoteForm(
                    candidates=process_candidates,
                    initial={"projects": chosen},
                    auto_id=f"vote-{vote.pk}-%s",
                )
            codes = {p.code for p in process_candidates}
            together = sum(
                b.weight
                for b in purchase_ballots(
                    process, by_process.get(process.pk, []), codes=codes
                )
            )
            entries.append(
                {
                    "vote": vote,
                    "process": process,
                    "form": form,
                    "chosen": list(vote.projects.all()),
                    "can_cast": vote.is_active and open_now,
                    "weight": purchase_vote_weight_of(vote, process),
                    "weight_in_process": together,
                    "mode": process.purchase_votes,
                    "mode_label": PurchaseVoteMode(process.purchase_votes).label,
                }
            )
        return entries

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = kwargs.get("entries") or self.entries()
        context["single"] = "pk" in self.kwargs
        return context

    def post(self, request, *args, **kwargs):
        if "pk" not in self.kwargs:
            return redirect("participation:purchase-votes")
        vote = self.votes()[0]
        candidates = selectors.purchase_vote_candidates([vote.process_id])
        form = PurchaseVoteForm(
            request.POST,
            candidates=candidates[vote.process_id],
            auto_id=f"vote-{vote.pk}-%s",
        )
        if form.is_valid():
            try:
                services.purchase_vote_cast(
                    vote=vote, buyer=request.user, projects=form.chosen()
                )
            except BallotInvalid as error:
                for message in error.errors:
                    form.add_error(None, message)
            except ParticipationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Your purchase vote is recorded. You can change it until "
                        "the vote closes."
                    ),
                )
                return redirect(
                    reverse("participation:purchase-votes") + f"#vote-{vote.pk}"
                )
        messages.error(request, _("Your purchase vote was not recorded."))
        return self.render_to_response(
            self.get_context_data(
                entries=self.entries(failed=vote.pk, failed_form=form)
            )
        )

from django.contrib import admin

from .models import (
    Assembly,
    Category,
    Community,
    Membership,
    PaperBatch,
    Participant,
    Process,
    Project,
    Proposal,
    PurchaseVote,
    PurchaseVoteEvent,
    Section,
)
from .services.process import RULE_FIELDS


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "place", "is_public", "open_membership"]
    list_filter = ["kind", "is_public", "open_membership"]
    search_fields = ["name", "place"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SectionInline, MembershipInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "community", "section", "voter_code_status"]
    list_filter = ["community", "section"]
    search_fields = ["pseudonym"]
    readonly_fields = ["voter_code_issued_at", "voter_code_used_at"]


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "phase", "budget_cents", "outcome_rule"]
    list_filter = ["phase", "community"]
    search_fields = ["title"]
    inlines = [CategoryInline]
    readonly_fields = ["phase"]

    def get_readonly_fields(self, request, obj=None):
        # Rules change only through process_rules_update (frozen after a ballot),
        # phases only through process_advance.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and (
            obj.ballots.exists() or obj.purchase_votes_granted.exists()
        ):
            fields += list(RULE_FIELDS)
        return fields


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "process", "status", "author_name", "created_at"]
    list_filter = ["process", "status"]
    search_fields = ["title"]
    raw_id_fields = ["author_user", "author_participant", "assembly", "project"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "process", "cost_cents", "feasibility"]
    list_filter = ["process", "feasibility"]
    search_fields = ["code", "title"]


@admin.register(Assembly)
class AssemblyAdmin(admin.ModelAdmin):
    list_display = ["held_on", "process", "section", "attendance"]
    list_filter = ["process"]


@admin.register(PaperBatch)
class PaperBatchAdmin(admin.ModelAdmin):
    list_display = ["label", "process", "status", "created_at"]
    list_filter = ["process", "status"]
    readonly_fields = ["status", "accepted_by", "accepted_at"]


class PurchaseVoteEventInline(admin.TabularInline):
    model = PurchaseVoteEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "detail", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PurchaseVote)
class PurchaseVoteAdmin(admin.ModelAdmin):
    """Read only: purchase votes change through their services (the shop, refunds)."""

    list_display = ["source", "process", "buyer", "amount_cents", "status", "cast_at"]
    list_filter = ["process", "status"]
    search_fields = ["source"]
    inlines = [PurchaseVoteEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

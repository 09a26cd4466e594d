"""Read-mostly admin: statuses and money move only through the services."""

from django.contrib import admin

from .models import (
    Campaign,
    CampaignUpdate,
    MatchAllocation,
    MatchRound,
    Pledge,
    Receipt,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "status", "funding_model", "deadline"]
    list_filter = ["status", "funding_model", "community"]
    search_fields = ["title", "slug"]
    readonly_fields = ["status", "project", "community", "closed_at", "currency"]


@admin.register(CampaignUpdate)
class CampaignUpdateAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "published_at"]


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["pk", "campaign", "amount_cents", "status", "created_at"]
    list_filter = ["status", "campaign"]
    readonly_fields = [f.name for f in Pledge._meta.fields]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "number", "pledge", "created_at", "emailed_at"]
    readonly_fields = [f.name for f in Receipt._meta.fields]


class MatchAllocationInline(admin.TabularInline):
    model = MatchAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["campaign", "backers", "pledged_cents", "amount_cents", "capped"]
    fields = readonly_fields


@admin.register(MatchRound)
class MatchRoundAdmin(admin.ModelAdmin):
    list_display = ["title", "sponsor", "mode", "pool_cents", "status"]
    readonly_fields = ["status", "closed_at"]
    inlines = [MatchAllocationInline]

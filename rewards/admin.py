from django.contrib import admin

from .models import RewardClaim, RewardTier


@admin.register(RewardTier)
class RewardTierAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "min_pledge_cents", "quantity", "claimed"]
    readonly_fields = ["claimed"]


@admin.register(RewardClaim)
class RewardClaimAdmin(admin.ModelAdmin):
    list_display = ["pk", "tier", "status", "fulfilled_at"]
    list_filter = ["status"]
    readonly_fields = ["tier", "pledge", "status", "fulfilled_at", "fulfilled_by"]

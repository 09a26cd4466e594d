from django.contrib import admin

from .models import Community, Membership, Participant, Section


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

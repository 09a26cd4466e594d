"""Read-mostly admin: money moves only through the services (and the pages),
so expenses, their events and grants are shown, never edited here."""

from django.contrib import admin

from .models import (
    Expense,
    ExpenseEvent,
    Grant,
    Milestone,
    PeriodAllocation,
    PeriodEvent,
    PeriodFigures,
    ResultsPeriod,
)


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "status", "progress_percent", "due_on"]
    list_filter = ["status"]
    search_fields = ["title", "project__title", "project__code"]
    raw_id_fields = ["project", "created_by"]


class ExpenseEventInline(admin.TabularInline):
    model = ExpenseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "detail", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "project", "supplier", "amount_cents", "status", "spent_on"]
    list_filter = ["status"]
    search_fields = ["supplier", "description", "project__title"]
    inlines = [ExpenseEventInline]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["pk", "project", "grantor", "amount_cents", "reference"]
    search_fields = ["grantor", "reference", "project__title"]


class PeriodFiguresInline(admin.TabularInline):
    model = PeriodFigures
    extra = 0
    can_delete = False
    readonly_fields = ["section", "revenue_cents", "costs_cents"]

    def has_add_permission(self, request, obj=None):
        return False


class PeriodAllocationInline(admin.TabularInline):
    model = PeriodAllocation
    extra = 0
    can_delete = False
    readonly_fields = [
        "position",
        "project",
        "cost_cents",
        "needed_cents",
        "amount_cents",
        "outcome",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class PeriodEventInline(admin.TabularInline):
    model = PeriodEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "detail", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ResultsPeriod)
class ResultsPeriodAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "community",
        "status",
        "profit_cents",
        "committed_cents",
        "allocated_at",
    ]
    list_filter = ["status"]
    search_fields = ["label", "community__name"]
    inlines = [PeriodFiguresInline, PeriodAllocationInline, PeriodEventInline]

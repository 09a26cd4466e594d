"""The register of a community's donation receipts, for its facilitators and
accountants: one year at a time, on a page and as CSV, with the check that
no number is missing."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from opendata.formats import csv_text
from participation import permissions
from participation.permissions import CommunityPermissionMixin

from .. import selectors

# The CSV's columns, in order (the header row).
COLUMNS = (
    "number",
    "issued_on",
    "status",
    "donor_name",
    "donor_tax_code",
    "donor_address",
    "amount",
    "currency",
    "payment_method",
    "payment_reference",
    "paid_at",
    "campaign",
    "pledge",
    "pledge_status",
)


class DonationRegisterView(CommunityPermissionMixin, TemplateView):
    permission = staticmethod(permissions.can_facilitate)
    template_name = "campaigns/donation_register.html"

    def get(self, request, *args, **kwargs):
        if "year" not in kwargs:
            return redirect(
                "campaigns:donation-register-year",
                slug=self.community.slug,
                year=timezone.localdate().year,
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = kwargs["year"]
        register = selectors.donation_register(self.community, year)
        rows = register["rows"]
        years = selectors.donation_register_years(self.community)
        context.update(
            year=year,
            years=sorted(set(years) | {year}, reverse=True),
            rows=rows,
            register=register,
        )
        return context


class DonationRegisterCsvView(CommunityPermissionMixin, View):
    permission = staticmethod(permissions.can_facilitate)

    def get(self, request, slug, year):
        rows = selectors.donation_register(self.community, year)["rows"]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in rows:
            paid_at = row["paid_at"]
            writer.writerow(
                [
                    csv_text(row["number"]),
                    row["issued_on"].isoformat(),
                    "issued" if row["issued"] else "being_prepared",
                    csv_text(row["donor_name"]),
                    csv_text(row["donor_tax_code"]),
                    csv_text(row["donor_address"]),
                    f"{row['amount_cents'] // 100}.{row['amount_cents'] % 100:02d}",
                    row["currency"],
                    csv_text(str(row["payment_method"])),
                    csv_text(row["payment_reference"]),
                    timezone.localtime(paid_at).isoformat() if paid_at else "",
                    csv_text(row["campaign"]),
                    row["pledge"].pk,
                    row["pledge"].status,
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"donation-receipts-{self.community.slug}-{year}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

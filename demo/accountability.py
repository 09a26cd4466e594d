"""The demo's accountability: the consortium's 2025 profits declared, a share
committed and allocated to the projects its vote ranks; milestones and paid
expenses (with receipts) on the prison's funded projects and on the
consortium's. Through the services, once (skipped when expenses exist)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accountability.demo import reinvestment_demo_seed
from accountability.models import Expense, PeriodAllocation
from accountability.services import expenses, milestones
from accounts.models import User
from participation.models import Community, Project
from payments.ledger import account_balance

from .campaigns import FACILITATOR_EMAIL

PRISON_ADMIN_EMAIL = "coordinamento@idee-in-fuga.example.org"
CONSORTIUM_DESK_EMAIL = "cassa@sostenibilita.example.org"

# per project: milestones (title, status, progress) and expenses
# (supplier, description, share of what the fund holds, in percent)
PLANS = [
    (
        [("Acquisto dei materiali", "done", 100), ("Lavori", "in_progress", 60),
         ("Inaugurazione", "planned", 0)],
        [("Ferramenta Colli", "Attrezzi e materiali", 35),
         ("Tipografia Rossi", "Stampa dei cartelli", 5)],
    ),
    (
        [("Progetto esecutivo", "done", 100), ("Avvio", "in_progress", 30)],
        [("Forniture Bianchi", "Prima fornitura", 40)],
    ),
]  # fmt: skip


def _receipt_png(text: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (420, 260), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 410, 250), outline="black", width=2)
    draw.text((30, 40), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("ricevuta.png", buffer.getvalue(), "image/png")


def _fund_held(project: Project) -> int:
    return -account_balance(f"project_fund:{project.pk}")


def _follow(project: Project, plan, *, staff, approver) -> None:
    steps, spent = plan
    for title, status, progress in steps:
        milestones.milestone_create(
            project=project,
            title=title,
            status=status,
            progress_percent=progress,
            due_on=datetime.date(2027, 3, 31),
            created_by=staff,
        )
    held = _fund_held(project)
    for n, (supplier, description, percent) in enumerate(spent, start=1):
        cents = held * percent // 100
        if cents < 1:
            continue
        expense = expenses.expense_submit(
            project=project,
            supplier=supplier,
            description=description,
            amount_cents=cents,
            spent_on=datetime.date(2026, 11, 20 + n),
            receipt=_receipt_png(f"{supplier}\nFattura n. {project.pk}{n}"),
            submitted_by=staff,
        )
        expenses.expense_approve(expense=expense, approved_by=approver)
        expenses.expense_pay(expense=expense, paid_by=approver)


def seed_accountability(*, prison: Community, consortium: Community) -> str:
    period = reinvestment_demo_seed(community=consortium)
    if Expense.objects.exists():
        return _summary(period)
    funded = [
        project
        for project in Project.objects.filter(process__community=prison).order_by(
            "code"
        )
        if _fund_held(project) > 0
    ]
    facilitator = User.objects.get(email=FACILITATOR_EMAIL)
    admin = User.objects.get(email=PRISON_ADMIN_EMAIL)
    for project, plan in zip(funded, PLANS, strict=False):
        _follow(project, plan, staff=facilitator, approver=admin)
    desk = User.objects.filter(email=CONSORTIUM_DESK_EMAIL).first()
    manager = consortium.memberships.filter(role="manager").first().user
    allocated = (
        PeriodAllocation.objects.filter(period=period, amount_cents__gt=0)
        .select_related("project")
        .order_by("position")
    )
    if desk is not None:
        for allocation, plan in zip(allocated, PLANS, strict=False):
            _follow(allocation.project, plan, staff=desk, approver=manager)
    return _summary(period)


def _summary(period) -> str:
    return (
        f"Rendicontazione: {Expense.objects.filter(status='paid').count()} spese "
        f"pagate; periodo {period.label} del consorzio: {period.get_status_display()}"
    )

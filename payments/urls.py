from django.urls import path

from . import staff_views, views

app_name = "payments"

urlpatterns = [
    path("webhooks/stripe/", views.stripe_webhook, name="stripe-webhook"),
    path("pay/<str:token>/", views.pay, name="pay"),
    path("staff/", staff_views.payment_list, name="staff-payments"),
    path(
        "staff/action-required/",
        staff_views.action_required,
        name="staff-action-required",
    ),
    path("staff/offline/new/", staff_views.offline_new, name="staff-offline-new"),
    path("staff/<int:pk>/", staff_views.payment_detail, name="staff-payment"),
    path("staff/<int:pk>/refund/", staff_views.payment_refund, name="staff-refund"),
    path("staff/<int:pk>/confirm/", staff_views.payment_confirm, name="staff-confirm"),
]

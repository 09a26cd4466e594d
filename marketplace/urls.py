"""Our pages under /shop/, in front of Oscar's (config/urls.py includes this
first; everything else under /shop/ is Oscar's)."""

from django.urls import path

from . import desk, views

app_name = "marketplace"

urlpatterns = [
    path(
        "orders/<str:number>/receipt.pdf",
        views.order_receipt_download,
        name="order-receipt",
    ),
    path("desk/<slug:slug>/", desk.desk, name="desk"),
]

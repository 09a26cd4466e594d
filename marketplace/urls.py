"""Our pages under /shop/, in front of Oscar's (config/urls.py includes this
first; everything else under /shop/ is Oscar's)."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from . import desk, views

app_name = "marketplace"

urlpatterns = [
    path(
        "orders/<str:number>/receipt.pdf",
        views.order_receipt_download,
        name="order-receipt",
    ),
    path("desk/<slug:slug>/", desk.desk, name="desk"),
    # In front of Oscar's pages of the same paths (see their views).
    path(
        "accounts/orders/<str:order_number>/<int:line_id>/",
        views.OrderLineView.as_view(),
        name="order-line",
    ),
    path("wishlists/<str:key>/", views.WishListView.as_view(), name="wishlist"),
    re_path(
        r"^catalogue/category/(?P<category_slug>[\w-]+(/[\w-]+)*)_(?P<pk>\d+)/$",
        views.ProductCategoryView.as_view(),
        name="category",
    ),
    # One way in for everyone: Oscar's own login and sign-up pages send to
    # the site's (the query string, with ?next=, goes along).
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
    ),
    path(
        "accounts/register/",
        RedirectView.as_view(pattern_name="accounts:signup", query_string=True),
    ),
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Shop")

    def ready(self):
        from payments import hooks

        from .services import PURPOSE, order_payment_sync

        hooks.register(PURPOSE, order_payment_sync)

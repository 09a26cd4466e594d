from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from participation import market_votes
        from payments import hooks

        from . import selectors
        from .services.pledges import pledge_payment_sync, pledge_payments_sync

        hooks.register_many("pledge", pledge_payment_sync, pledge_payments_sync)
        market_votes.register(
            "campaigns",
            selectors.process_money_supporters,
            counts=selectors.process_money_supporter_counts,
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        # A rate written wrongly (RATE_LIMITS in the environment) stops the
        # start, with the message saying how to write it.
        from django.conf import settings

        from .ratelimit import Rate

        for rate in settings.RATE_LIMITS.values():
            Rate.parse(rate)

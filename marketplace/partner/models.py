"""Oscar's partner app, forked for one change: stock can never be oversold.

Oscar allocates stock at order placement with ``num_allocated + quantity``
and no condition, after an availability check made earlier in another
statement: two checkouts of the last unit both pass the check and both
allocate. Here ``allocate`` is one conditional ``UPDATE`` (``... WHERE
num_in_stock - num_allocated >= quantity``) that raises ``InsufficientStock``
when nothing is left, and a check constraint keeps ``num_allocated <=
num_in_stock`` whatever writes the row.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from oscar.apps.partner.abstract_models import AbstractStockRecord


class InsufficientStock(Exception):
    """Fewer units are left than the order line asks for."""


class StockRecord(AbstractStockRecord):
    class Meta(AbstractStockRecord.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(num_allocated__isnull=True)
                | Q(num_allocated__lte=F("num_in_stock")),
                name="stockrecord_never_oversold",
            ),
            models.CheckConstraint(
                condition=Q(num_allocated__isnull=True) | Q(num_allocated__gte=0),
                name="stockrecord_allocated_not_negative",
            ),
        ]

    def allocate(self, quantity):
        """Allocate ``quantity`` units, or raise InsufficientStock (nothing
        changes then). One conditional UPDATE: safe under concurrent checkouts
        without a lock held between the check and the write."""
        if not self.can_track_allocations:
            return
        self.pre_save_signal()
        allocated = Coalesce(F("num_allocated"), 0)
        updated = self.__class__.objects.filter(
            pk=self.pk, num_in_stock__gte=allocated + quantity
        ).update(num_allocated=allocated + quantity)
        if not updated:
            left, title = self._left(), self.product.get_title()
            if left == 0:
                raise InsufficientStock(
                    _("%(product)s has just sold out.") % {"product": title}
                )
            raise InsufficientStock(
                _("Only %(left)s left of %(product)s.")
                % {"left": left, "product": title}
            )
        self.refresh_from_db(fields=["num_allocated"])
        self.post_save_signal()

    allocate.alters_data = True

    def _left(self) -> int:
        row = self.__class__.objects.filter(pk=self.pk).values(
            "num_in_stock", "num_allocated"
        )[0]
        return max(0, (row["num_in_stock"] or 0) - (row["num_allocated"] or 0))


from oscar.apps.partner.models import *  # noqa: E402,F403 - Oscar's other models

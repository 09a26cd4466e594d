"""How payments tells the owner of a purpose what happened, without importing it.

An app registers one handler per purpose (``register("pledge", on_pledge_payment)``
in its AppConfig.ready). Handlers run after the transaction that changed the
payment commits, with the payment id and what happened; they must be safe to
run twice (they reload the payment and check its state).

A handler may come with a version for many payments at once
(``register_many``): a service that changes a batch of payments in one
transaction (``payments.services.saved_cards_charge``) calls it once with the
batch's ids; a handler without one runs once per payment, as always.
"""

from collections.abc import Callable

from django.db import transaction

Handler = Callable[[int, str], None]
ManyHandler = Callable[[list[int], str], None]

_handlers: dict[str, list[Handler]] = {}
_many_handlers: dict[Handler, ManyHandler] = {}


def register(purpose: str, handler: Handler) -> None:
    _handlers.setdefault(purpose, [])
    if handler not in _handlers[purpose]:
        _handlers[purpose].append(handler)


def register_many(purpose: str, handler: Handler, many: ManyHandler) -> None:
    """Register ``handler`` with ``many``, which must do for each payment of a
    batch what ``handler`` does for one."""
    register(purpose, handler)
    _many_handlers[handler] = many


def unregister(purpose: str, handler: Handler) -> None:
    if handler in _handlers.get(purpose, []):
        _handlers[purpose].remove(handler)
    _many_handlers.pop(handler, None)


def notify_after_commit(purpose: str, payment_id: int, what: str) -> None:
    """Call the purpose's handlers once the current transaction has committed."""
    for handler in list(_handlers.get(purpose, [])):
        transaction.on_commit(lambda h=handler: h(payment_id, what))


def notify_many_after_commit(purpose: str, payment_ids: list[int], what: str) -> None:
    """``notify_after_commit`` for each of ``payment_ids``, through the
    purpose's batch handler when it has one (one call for them all)."""
    ids = list(payment_ids)
    if not ids:
        return
    for handler in list(_handlers.get(purpose, [])):
        many = _many_handlers.get(handler)
        if many is not None:
            transaction.on_commit(lambda m=many: m(ids, what))
        else:
            for payment_id in ids:
                transaction.on_commit(lambda h=handler, i=payment_id: h(i, what))

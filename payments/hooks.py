"""How payments tells the owner of a purpose what happened, without importing it.

An app registers one handler per purpose (``register("pledge", on_pledge_payment)``
in its AppConfig.ready). Handlers run after the transaction that changed the
payment commits, with the payment id and what happened; they must be safe to
run twice (they reload the payment and check its state).
"""

from collections.abc import Callable

from django.db import transaction

Handler = Callable[[int, str], None]

_handlers: dict[str, list[Handler]] = {}


def register(purpose: str, handler: Handler) -> None:
    _handlers.setdefault(purpose, [])
    if handler not in _handlers[purpose]:
        _handlers[purpose].append(handler)


def unregister(purpose: str, handler: Handler) -> None:
    if handler in _handlers.get(purpose, []):
        _handlers[purpose].remove(handler)


def notify_after_commit(purpose: str, payment_id: int, what: str) -> None:
    """Call the purpose's handlers once the current transaction has committed."""
    for handler in list(_handlers.get(purpose, [])):
        transaction.on_commit(lambda h=handler: h(payment_id, what))

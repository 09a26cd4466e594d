from .ledger import Account, Entry, LedgerTransaction
from .payment import OfflinePayment, Payment, PaymentEvent, Refund, StripeEvent

__all__ = [
    "Account",
    "Entry",
    "LedgerTransaction",
    "OfflinePayment",
    "Payment",
    "PaymentEvent",
    "Refund",
    "StripeEvent",
]

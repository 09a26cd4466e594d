class PaymentError(Exception):
    """Base of payment errors; the message can be shown to staff."""


class LedgerUnbalanced(PaymentError):
    pass


class RefundRefused(PaymentError):
    pass


class PaymentStateError(PaymentError):
    pass


class OfflineConfirmationRefused(PaymentError):
    pass


class GatewayError(PaymentError):
    """Stripe refused or could not be reached; nothing was recorded as paid."""

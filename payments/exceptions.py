class PaymentError(Exception):
    """Base of payment errors; the message can be shown to staff."""


class LedgerUnbalanced(PaymentError):
    """The lines do not make one balanced transaction."""


class RefundRefused(PaymentError):
    """The refund would exceed what was paid, or nothing was paid."""


class PaymentStateError(PaymentError):
    """The payment is not in a state that allows this."""


class OfflineConfirmationRefused(PaymentError):
    """The same operator, or a payment not awaiting confirmation."""


class GatewayError(PaymentError):
    """Stripe refused or could not be reached; nothing was recorded as paid."""

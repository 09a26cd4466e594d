class ShopError(Exception):
    """A shop operation refused; the message is for the person."""


class OrderStateError(ShopError):
    """The order is not in a state that allows this."""

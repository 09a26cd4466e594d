"""The django-oscar shop under /shop/; forked Oscar apps will live here."""

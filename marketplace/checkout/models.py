"""The checkout app has no models of its own (forked for its views only)."""

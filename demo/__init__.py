"""The demo data of the two seed cases (make run loads it)."""

"""Communities, roles, pseudonymous participants; processes and votes later."""

"""Users: e-mail login, sign-up, the personal dashboard."""

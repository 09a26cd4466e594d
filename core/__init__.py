"""Domain-free helpers shared by every app: money formatting, health tasks."""

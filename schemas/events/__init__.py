"""The event catalogue, grouped by flow (DOMAIN.md §3)."""

"""Stream processors: the router that checks, logs and routes every event by jurisdiction."""

"""Stream processors: the router that checks, logs and routes every event, and derives the bus's own."""

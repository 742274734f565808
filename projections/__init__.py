"""Read models built from the log and the inboxes, with offsets tracked in the same transaction."""

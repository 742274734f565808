"""Fourfold: the bus's command line, settings and composition root."""

"""The read API: the read models per body over HTTP, with need-to-know enforced on the server."""

from projections.api.app import create_app

__all__ = ["create_app"]

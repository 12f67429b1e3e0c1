"""The HTTP API: `create_app(context)`; one router module per resource."""

from crossbook.relayer.api.app import create_app

__all__ = ["create_app"]

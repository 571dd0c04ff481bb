"""The OAuth door of ``/mcp``: metadata, registration, token and revocation endpoints,
the sign-in, consent and connected-apps pages, and the admin API of clients.

Every route here exists only with ``MCP_ENABLED`` and ``MCP_OAUTH_ENABLED`` (404
otherwise, as in Directus); the rules are in :mod:`tessera.services.oauth`.
"""

from tessera.oauth.admin_api import routes as admin_routes
from tessera.oauth.endpoints import routes as endpoint_routes
from tessera.oauth.metadata import routes as metadata_routes
from tessera.oauth.pages import routes as page_routes

routes = [*metadata_routes, *endpoint_routes, *page_routes, *admin_routes]

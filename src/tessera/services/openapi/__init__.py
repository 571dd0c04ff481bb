"""The OpenAPI 3 document of the REST API, as one caller may use it.

Shaped like Directus's ``/server/specs/oas``: OpenAPI 3.0.1, a tag and a schema named
``Items<Name>`` per collection, ``/items/<collection>`` and ``/items/<collection>/{id}``
paths, shared parameters, responses and security schemes. It is generated from the live
schema narrowed to the caller: a collection they cannot read is absent, a field they
cannot read is not in its schema, an operation they hold no permission for is not listed,
and schema changes are listed for admins only.

Where Directus's document disagrees with its own API, this one describes the API: deletes
answer ``204``; what is missing or not readable is ``403``; a write may answer ``204``
when the caller cannot read the result back; fields and relations are addressed by
collection and field; a singleton has no ``/{id}`` path; an item's key has its primary
key's type; timestamps are date-times and decimals are strings, as the API answers them.
"""

from tessera.services.openapi.components import title
from tessera.services.openapi.document import openapi_document

__all__ = ["openapi_document", "title"]

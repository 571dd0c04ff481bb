"""Which routes the document lists: the items routes and the system collections' own."""

from __future__ import annotations

from tessera.access.permissions import Action

ACTION: dict[str, Action] = {
    "get": "read",
    "post": "create",
    "patch": "update",
    "delete": "delete",
}
#: A route: (path suffix, method, summary, operationId, answer, request body). An answer or
#: body names a shape: ``one``, ``many``, ``both`` (either), ``page`` (many, with ``meta``),
#: ``batch`` or ``selection``; an answer of None is ``204``.
Routes = tuple[tuple[str, str, str, str, str | None, str | None], ...]
ITEM_ROUTES: Routes = (
    ("", "post", "Create Items", "create{}", "both", "both"),
    ("", "get", "List Items", "read{}", "page", None),
    ("", "patch", "Update Multiple Items", "update{}", "many", "batch"),
    ("", "delete", "Delete Multiple Items", "delete{}", None, "selection"),
    ("/{id}", "get", "Retrieve an Item", "readSingle{}", "one", None),
    ("/{id}", "patch", "Update an Item", "updateSingle{}", "one", "one"),
    ("/{id}", "delete", "Delete an Item", "deleteSingle{}", None, None),
)
SINGLETON_ROUTES: Routes = (
    ("", "get", "Retrieve the Item", "read{}", "one", None),
    ("", "patch", "Update the Item", "update{}", "one", "one"),
)
_C, _CF = "/{collection}", "/{collection}/{field}"
SYSTEM_ROUTES: dict[str, Routes] = {
    "Collections": (
        ("", "get", "List Collections", "readCollections", "many", None),
        ("", "post", "Create Collections", "createCollections", "both", "both"),
        ("", "patch", "Update Collections", "updateCollections", "many", "many"),
        (_C, "get", "Retrieve a Collection", "readCollection", "one", None),
        (_C, "patch", "Update a Collection", "updateCollection", "one", "one"),
        (_C, "delete", "Delete a Collection", "deleteCollection", None, None),
    ),
    "Fields": (
        ("", "get", "List All Fields", "readFields", "many", None),
        (_C, "get", "List Fields in a Collection", "readCollectionFields", "many", None),
        (_C, "post", "Create a Field", "createField", "one", "one"),
        (_C, "patch", "Update Fields", "updateFields", "many", "many"),
        (_CF, "get", "Retrieve a Field", "readField", "one", None),
        (_CF, "patch", "Update a Field", "updateField", "one", "one"),
        (_CF, "delete", "Delete a Field", "deleteField", None, None),
    ),
    "Relations": (
        ("", "get", "List Relations", "readRelations", "many", None),
        ("", "post", "Create a Relation", "createRelation", "one", "one"),
        (_C, "get", "List a Collection's Relations", "readCollectionRelations", "many", None),
        (_CF, "get", "Retrieve a Relation", "readRelation", "one", None),
        (_CF, "patch", "Update a Relation", "updateRelation", "one", "one"),
        (_CF, "delete", "Delete a Relation", "deleteRelation", None, None),
    ),
    "Activity": (
        ("", "get", "List Activity", "readActivities", "page", None),
        ("/{id}", "get", "Retrieve an Activity", "readActivity", "one", None),
    ),
    "Revisions": (
        ("", "get", "List Revisions", "readRevisions", "page", None),
        ("/{id}", "get", "Retrieve a Revision", "readRevision", "one", None),
    ),
}

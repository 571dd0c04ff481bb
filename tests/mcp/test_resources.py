"""Resources through the SDK client: the data model as ``tessera://schema`` and
``tessera://schema/{collection}``, read as the connected user, and completion of the
template's ``collection`` from what that user may see."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from mcp_types import ResourceTemplateReference

from callers import grant, make_caller
from mcp import MCPError
from tessera.db import Database
from tessera.db.system_tables import directus_users

pytestmark = pytest.mark.anyio
SCHEMA_READER_TOKEN = "mcp-schema-reader-token"


@pytest.fixture
def schema_reader(mcp_db: Database) -> str:
    """A user who may read ``articles`` (three fields) and ``notes``, and the schema."""
    grants = [
        grant("articles", "read", fields="id,title,status"),
        grant("notes", "read"),
        grant("directus_collections", "read"),
        grant("directus_fields", "read"),
        grant("directus_relations", "read"),
    ]
    caller = make_caller(mcp_db, grants)
    with mcp_db.write() as conn:
        users = directus_users
        conn.execute(
            sa.update(users).where(users.c.id == caller.user).values(token=SCHEMA_READER_TOKEN)
        )
    return SCHEMA_READER_TOKEN


async def test_the_schema_resources_are_listed(connect, mode):
    async with connect(mode=mode) as client:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
    assert [str(r.uri) for r in listed.resources] == ["tessera://schema"]
    assert [t.uri_template for t in templates.resource_templates] == [
        "tessera://schema/{collection}"
    ]


async def test_a_user_who_may_not_read_the_schema_is_offered_nothing(connect, mode, reader_token):
    ref = ResourceTemplateReference(type="ref/resource", uri="tessera://schema/{collection}")
    async with connect(reader_token, mode=mode) as client:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        completed = await client.complete(ref, {"name": "collection", "value": ""})
        with pytest.raises(MCPError) as raised:
            await client.read_resource("tessera://schema")
    assert listed.resources == []
    assert templates.resource_templates == []
    assert completed.completion.values == []
    assert raised.value.error.code == -32602


async def test_the_schema_resource_is_what_the_user_may_see(connect, mode, schema_reader):
    async with connect(mode=mode) as client:
        admin = json.loads((await client.read_resource("tessera://schema")).contents[0].text)
    async with connect(schema_reader, mode=mode) as client:
        read = await client.read_resource("tessera://schema")
    reader = json.loads(read.contents[0].text)
    assert read.contents[0].mime_type == "application/json"
    assert {"articles", "authors", "comments"} <= set(admin["collections"])
    assert "directus_users" in admin["system"]
    assert reader["collections"] == ["articles", "notes"]
    assert reader["system"] == ["directus_collections", "directus_fields", "directus_relations"]


async def test_a_collection_resource_gives_its_fields(connect, mode, schema_reader):
    async with connect(schema_reader, mode=mode) as client:
        read = await client.read_resource("tessera://schema/articles")
    fields = json.loads(read.contents[0].text)["articles"]
    assert str(read.contents[0].uri) == "tessera://schema/articles"
    assert set(fields) == {"id", "title", "status"}  # the reader's fields only
    assert fields["id"].startswith("integer pk")


@pytest.mark.parametrize("uri", ["tessera://schema/authors", "tessera://nothing"])
async def test_what_the_user_may_not_see_is_not_found(connect, mode, schema_reader, uri):
    async with connect(schema_reader, mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)
    assert raised.value.error.code == -32602
    assert raised.value.error.data == {"uri": uri}


async def test_collection_names_complete_from_what_the_user_may_see(connect, mode, schema_reader):
    ref = ResourceTemplateReference(type="ref/resource", uri="tessera://schema/{collection}")
    async with connect(mode=mode) as client:
        admin = await client.complete(ref, {"name": "collection", "value": "a"})
    async with connect(schema_reader, mode=mode) as client:
        reader = await client.complete(ref, {"name": "collection", "value": ""})
    assert admin.completion.values == ["articles", "articles_blocks", "articles_tags", "authors"]
    assert admin.completion.total == 4
    assert reader.completion.values == [
        "articles",
        "directus_collections",
        "directus_fields",
        "directus_relations",
        "notes",
    ]


async def test_a_prompt_argument_has_no_completions(connect, mode):
    ref = {"type": "ref/prompt", "name": "anything"}
    async with connect(mode=mode) as client:
        answer = await client.session.complete(ref=ref, argument={"name": "x", "value": "y"})
    assert answer.completion.values == []

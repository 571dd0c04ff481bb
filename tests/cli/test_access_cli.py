"""``tessera roles``, ``policies`` and ``permissions``, and the README's four-command setup."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tessera.cli import main
from tessera.db.system_tables import directus_activity
from tessera.errors import ForbiddenError
from tessera.schema.overview import SchemaCache
from tessera.services.auth import AuthService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

README = Path(__file__).resolve().parents[2] / "README.md"


def as_caller(tessera, token: str) -> ItemsService:
    """The items service as the user whose static token ``token`` is."""
    who = AuthService(tessera.db, tessera.settings).authenticate(token)
    return ItemsService(tessera.db, SchemaCache(tessera.db), tessera.settings, who)


def listed(tessera, *args: str) -> list[dict]:
    return json.loads(tessera.ok(*args, "--json"))


def readme_setup() -> list[list[str]]:
    """The commands of the README's "Give an AI assistant an account", without ``tessera``."""
    section = README.read_text().split("### Give an AI assistant an account", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    assert all(command[0] == "tessera" for command in commands)
    return [command[1:] for command in commands]


def test_the_readme_s_four_commands_give_an_assistant_a_content_editor_token(tessera):
    tessera.collection("articles", "title")
    setup = readme_setup()
    assert len(setup) == 4
    policy, role, user, token = (tessera.ok(*command) for command in setup)
    tessera.ok("settings", "set", "mcp_enabled", "true")

    who = AuthService(tessera.db, tessera.settings).authenticate(token)
    assert (who.user, who.role, who.policies, who.admin) == (user, role, (policy,), False)
    items = as_caller(tessera, token)
    key = items.create_one("articles", {"title": "Hello"})
    items.update_one("articles", key, {"title": "Hello, world"})
    assert items.read_one("articles", key)["title"] == "Hello, world"
    with pytest.raises(ForbiddenError):
        items.delete_one("articles", key)
    with pytest.raises(ForbiddenError):
        items.create_one("directus_roles", {"name": "Mine"})
    schema = SchemaContext(tessera.db, SchemaCache(tessera.db), who).overview("directus_fields")
    assert "articles" in schema.collections
    assert "directus_users" not in schema.collections
    assert tessera.ok("settings", "get", "mcp_enabled") == "true"


def test_the_developer_preset_adds_deletes_and_a_rerun_adds_only_what_is_new(tessera):
    tessera.collection("articles", "title")
    tessera.ok("policies", "create", "Developer")
    result = CliRunner().invoke(
        main, ["permissions", "preset", "developer", "Developer"], env=tessera.env
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.split()) == 15
    assert "Granted 15 permissions (developer); 0 were there already." in result.stderr
    tessera.ok("roles", "create", "Developer", "--policy", "Developer")
    tessera.ok("users", "create", "--email", "dev@example.com", "--role", "Developer")
    items = as_caller(tessera, tessera.ok("tokens", "generate", "--user", "dev@example.com"))
    items.delete_one("articles", items.create_one("articles", {"title": "Gone"}))

    tessera.collection("pages", "title")
    again = tessera.ok("permissions", "preset", "developer", "Developer")
    assert len(again.split()) == 4
    granted = listed(tessera, "permissions", "list", "--policy", "Developer")
    assert sorted(row["action"] for row in granted if row["collection"] == "pages") == [
        "create",
        "delete",
        "read",
        "update",
    ]
    assert {(row["collection"], row["action"]) for row in granted} >= {
        ("directus_files", "delete"),
        ("directus_folders", "create"),
        ("directus_fields", "read"),
    }
    assert all(row["fields"] == ["*"] and row["filter"] is None for row in granted)
    assert "developer" in tessera.ok("permissions", "preset", "--help")


def test_roles_create_list_and_delete(tessera):
    tessera.ok("policies", "create", "Editors")
    tessera.ok("policies", "create", "Reviewers")
    parent = tessera.ok("roles", "create", "Staff")
    role = tessera.ok(
        "roles",
        "create",
        "Editors",
        "--parent",
        parent,
        "--policy",
        "Editors",
        "--policy",
        "Reviewers",
    )
    roles = {row["name"]: row for row in listed(tessera, "roles", "list")}
    assert roles["Editors"] == {
        "id": role,
        "name": "Editors",
        "parent": "Staff",
        "policies": ["Editors", "Reviewers"],
    }
    assert set(roles) == {"Administrator", "Editors", "Staff"}
    plain = tessera.ok("roles", "list").splitlines()
    assert plain[0].split() == ["id", "name", "parent", "policies"]
    assert f"{role}  Editors" in "\n".join(plain)

    assert tessera.fails("roles", "create", "Staff") == (
        f'Error: A role named "Staff" exists already: {parent}.'
    )
    assert tessera.fails("roles", "create", "X", "--parent", "Nobody") == (
        'Error: No role named "Nobody".'
    )
    assert tessera.fails("roles", "create", "X", "--policy", "Nothing") == (
        'Error: No policy named "Nothing".'
    )

    tessera.ok("users", "create", "--email", "ed@example.com", "--role", "Editors")
    tessera.ok("roles", "delete", "Editors")
    assert {row["name"] for row in listed(tessera, "roles", "list")} == {"Administrator", "Staff"}
    (ed,) = [row for row in listed(tessera, "users", "list") if row["email"] == "ed@example.com"]
    assert (ed["status"], ed["role"]) == ("suspended", None)
    assert tessera.fails("roles", "delete", "Editors") == 'Error: No role named "Editors".'


def test_policies_create_list_attach_and_delete(tessera):
    office = tessera.ok(
        "policies", "create", "Office", "--app-access", "--ip-access", "10.0.0.0/8,192.168.1.10"
    )
    tessera.ok("roles", "create", "Staff")
    tessera.ok("users", "create", "--email", "ann@example.com", "--role", "Staff")

    on_role = tessera.ok("policies", "attach", "Office", "--role", "Staff")
    on_user = tessera.ok("policies", "attach", office, "--user", "ANN@example.com")
    assert tessera.ok("policies", "attach", "Office", "--role", "Staff") == on_role
    assert on_role != on_user
    policies = {row["name"]: row for row in listed(tessera, "policies", "list")}
    assert policies["Office"] == {
        "id": office,
        "name": "Office",
        "admin_access": False,
        "app_access": True,
        "ip_access": ["10.0.0.0/8", "192.168.1.10"],
        "roles": ["Staff"],
        "users": ["ann@example.com"],
    }
    assert policies["Administrator"]["admin_access"] is True
    header = tessera.ok("policies", "list").splitlines()[0].split()
    assert header == ["id", "name", "admin_access", "app_access", "ip_access", "roles", "users"]

    assert tessera.fails("policies", "attach", "Office") == "Error: Give either --role or --user."
    assert tessera.fails("policies", "attach", "Office", "--user", "bob@example.com") == (
        'Error: No user with the email "bob@example.com".'
    )
    assert tessera.fails("policies", "create", "Office") == (
        f'Error: A policy named "Office" exists already: {office}.'
    )
    assert tessera.fails("policies", "create", "Lan", "--ip-access", "the office").endswith(
        "(INVALID_PAYLOAD)"
    )

    tessera.ok("policies", "delete", "Office")
    assert "Office" not in {row["name"] for row in listed(tessera, "policies", "list")}
    assert tessera.fails("policies", "delete", "Office") == 'Error: No policy named "Office".'


def test_a_name_two_policies_share_must_be_given_as_an_id(tessera):
    admin = ItemsService(tessera.db, SchemaCache(tessera.db), tessera.settings)
    first, second = admin.create_many("directus_policies", [{"name": "Twin"}, {"name": "Twin"}])
    line = tessera.fails("roles", "create", "Pair", "--policy", "Twin")
    assert line.startswith('Error: 2 policies are named "Twin" (')
    assert first in line
    assert second in line
    tessera.ok("roles", "create", "Pair", "--policy", second)


def test_permissions_add_list_and_remove(tessera):
    tessera.collection("articles", "title", "author")
    tessera.ok("policies", "create", "Editors")
    first = tessera.ok("permissions", "add", "Editors", "articles", "read")
    second = tessera.ok(
        "permissions",
        "add",
        "Editors",
        "articles",
        "update",
        "--fields",
        "title,author",
        "--filter",
        '{"author": {"_eq": "$CURRENT_USER"}}',
        "--validation",
        '{"title": {"_nnull": true}}',
        "--presets",
        '{"author": "$CURRENT_USER"}',
    )
    rows = listed(tessera, "permissions", "list", "--policy", "Editors")
    assert rows == [
        {
            "id": int(first),
            "policy": "Editors",
            "collection": "articles",
            "action": "read",
            "fields": ["*"],
            "filter": None,
            "validation": None,
            "presets": None,
        },
        {
            "id": int(second),
            "policy": "Editors",
            "collection": "articles",
            "action": "update",
            "fields": ["title", "author"],
            "filter": {"author": {"_eq": "$CURRENT_USER"}},
            "validation": {"title": {"_nnull": True}},
            "presets": {"author": "$CURRENT_USER"},
        },
    ]
    plain = tessera.ok("permissions", "list").splitlines()
    assert plain[0].split() == [
        "id",
        "policy",
        "collection",
        "action",
        "fields",
        "filter",
        "validation",
        "presets",
    ]
    assert any(
        line.split()[:5] == [second, "Editors", "articles", "update", "title,author"]
        for line in plain
    )

    tessera.ok("permissions", "remove", first)
    assert [row["id"] for row in listed(tessera, "permissions", "list")] == [int(second)]
    assert tessera.fails("permissions", "remove", first) == (
        f"Error: No permission with the id {first}."
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--filter", '{"title": {"_bogus": 1}}'],
            'Error: Invalid query. Unknown filter operator "_bogus" at "filter.title". '
            "(INVALID_QUERY)",
        ),
        (
            ["--filter", '{"title": '],
            'Error: Invalid query. Invalid JSON at "filter". (INVALID_QUERY)',
        ),
        (
            ["--validation", "[1]"],
            'Error: Invalid query. "validation" must be an object. (INVALID_QUERY)',
        ),
        (["--presets", "[1]"], "Error: --presets must be a JSON object."),
    ],
)
def test_permissions_add_refuses_bad_json_in_one_line(tessera, args, line):
    tessera.collection("articles", "title")
    tessera.ok("policies", "create", "Editors")
    assert tessera.fails("permissions", "add", "Editors", "articles", "read", *args) == line
    assert listed(tessera, "permissions", "list", "--policy", "Editors") == []


def test_permissions_add_names_what_is_unknown(tessera):
    tessera.ok("policies", "create", "Editors")
    assert tessera.fails("permissions", "add", "Editors", "nowhere", "read") == (
        'Error: No collection named "nowhere".'
    )
    assert tessera.fails("permissions", "add", "Nobody", "directus_files", "read") == (
        'Error: No policy named "Nobody".'
    )
    bad_action = tessera("permissions", "add", "Editors", "directus_files", "destroy")
    assert bad_action.exit_code == 2
    assert "'destroy' is not one of" in bad_action.stderr


def test_changes_are_recorded_as_the_command_lines(tessera):
    tessera.ok("roles", "create", "Staff")
    with tessera.db.read() as conn:
        rows = conn.execute(
            sa.select(directus_activity.c.user, directus_activity.c.origin).where(
                directus_activity.c.collection == "directus_roles"
            )
        ).all()
    assert [tuple(row) for row in rows] == [(None, "cli")]


def test_an_uninitialised_database_is_one_line(tessera, databases):
    env = {**tessera.env, **databases.settings_env(databases.empty_url())}
    result = CliRunner().invoke(main, ["roles", "list"], env=env)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: The database is not initialised: run `tessera init` first."
    )

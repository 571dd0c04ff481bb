"""``tessera settings``."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("mcp_enabled", "true", "true"),
        ("auth_login_attempts", "5", "5"),
        ("project_name", '"Acme"', "Acme"),
        ("project_name", "Acme Corp", "Acme Corp"),
        ("mcp_system_prompt", "null", "null"),
        (
            "storage_asset_presets",
            '[{"key": "thumb", "width": 200}]',
            '[{"key": "thumb", "width": 200}]',
        ),
    ],
)
def test_set_then_get(tessera, key, value, shown):
    result = tessera("settings", "set", key, value)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == f"{key} = {shown}"
    assert tessera.ok("settings", "get", key) == shown


def test_list(tessera):
    tessera.ok("settings", "set", "mcp_enabled", "true")
    found = json.loads(tessera.ok("settings", "list", "--json"))
    assert found["mcp_enabled"] is True
    assert found["project_name"] == "Tessera"
    lines = tessera.ok("settings", "list").splitlines()
    assert lines[0].split() == ["setting", "value"]
    assert ["mcp_enabled", "true"] in [line.split() for line in lines]
    assert ["project_url", "-"] in [line.split() for line in lines]


def test_unknown_keys_and_bad_values_are_one_line(tessera):
    assert tessera.fails("settings", "set", "mcp_enabld", "true") == (
        'Error: No setting named "mcp_enabld".'
    )
    assert tessera.fails("settings", "get", "id") == 'Error: No setting named "id".'
    assert tessera.fails("settings", "set", "auth_login_attempts", "many").endswith(
        "(INVALID_PAYLOAD)"
    )
    assert tessera.ok("settings", "get", "auth_login_attempts") == "25"

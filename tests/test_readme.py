"""The README's configuration table documents every setting, with its real default."""

import re
from pathlib import Path

from tessera.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def documented_defaults() -> dict[str, str]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", section, flags=re.M)
    assert len(rows) == len({name for name, _ in rows}), "a variable is listed twice"
    return {name: default.strip() for name, default in rows}


def shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def test_configuration_table_lists_every_setting_with_its_default():
    documented = documented_defaults()
    fields = {name: field for name, field in Settings.model_fields.items() if not field.exclude}
    assert sorted(documented) == sorted(name.upper() for name in fields)
    for name, field in fields.items():
        cell = documented[name.upper()]
        if cell != "generated":
            assert cell == shown(field.default), name

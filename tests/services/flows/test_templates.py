"""``{{ }}`` templates over the data chain: types kept, text interpolated, nothing crashes."""

from __future__ import annotations

import pytest

from tessera.services.flows.templates import render, split_path

DATA = {
    "$trigger": {"body": {"x": 1, "nul": None, "list": [1, {"k": 2}], "ok": True, "f": 2.0}},
    "$last": "text",
    "op": {"a key": {"deep": "v"}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ $trigger.body.x }}", 1),
        ("{{$trigger.body.x}}", 1),
        ("{{ $trigger.body }}", DATA["$trigger"]["body"]),
        ("{{ $trigger.body.list[1] }}", {"k": 2}),
        ("{{ $trigger.body.list.1.k }}", 2),
        ("{{ $trigger.body.nul }}", None),
        ("{{ $trigger.body.ok }}", True),
        ("{{ missing }}", None),
        ("{{ missing.deeper[3] }}", None),
        ("{{ $trigger.body.list[9] }}", None),
    ],
)
def test_a_whole_template_keeps_the_type_of_its_value(template, expected):
    assert render(template, DATA) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("x={{ $trigger.body.x }}!", "x=1!"),
        ("{{ $trigger.body.x }}{{ $trigger.body.x }}", "11"),
        ("b={{ $trigger.body.list }}", 'b=[1,{"k":2}]'),
        ("n={{ $trigger.body.nul }}", "n=null"),
        ("t={{ $trigger.body.ok }}", "t=true"),
        ("f={{ $trigger.body.f }}", "f=2"),
        ("m=[{{ missing }}]", "m=[]"),
        ('q={{ op["a key"].deep }}', "q=v"),
        ("s={{ $last }}", "s=text"),
        ("open {{ never closed", "open {{ never closed"),
        ("{{ }} and {{ a..b[ }}", " and "),
        ("no templates at all", "no templates at all"),
    ],
)
def test_templates_inside_text_are_interpolated(template, expected):
    assert render(template, DATA) == expected


def test_options_are_rendered_all_the_way_down_and_other_values_kept():
    options = {"a": ["{{ $trigger.body.x }}", 5, None, {"b": "v{{ $trigger.body.x }}"}], "c": 1.5}
    assert render(options, DATA) == {"a": [1, 5, None, {"b": "v1"}], "c": 1.5}


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("a.b.c", ["a", "b", "c"]),
        ("a[0].b", ["a", "0", "b"]),
        ("a['x y'][\"z\"]", ["a", "x y", "z"]),
        ("$last", ["$last"]),
        ("a[0", []),
        ("a]", []),
    ],
)
def test_paths_split_as_lodash_reads_them(path, steps):
    assert split_path(path) == steps

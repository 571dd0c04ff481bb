"""``condition``: the run goes on along resolve when the data chain passes the filter.

The filter is checked as Directus checks it (its payload validation with every key
required: a key the chain does not hold fails), with Tessera's validation engine
(:func:`tessera.services.validation.validate`), which evaluates filter rules against
in-memory values. Dynamic variables (``$CURRENT_USER``, ``$NOW(-1 day)`` …) stand for the
run's accountability. A failure rejects with the list of failed rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.query.filter_variables import Variables, load_variables, now_value
from tessera.query.model import Condition
from tessera.query.variables import is_variable, parse_variable
from tessera.services.flows.operations.base import Context, OperationKind, as_object
from tessera.services.validation import validate


def run(options: dict[str, Any], context: Context) -> None:
    rule = as_object(options.get("filter"), "filter")
    if not rule:
        return
    if not isinstance(rule, Mapping):
        raise InvalidPayloadError('"filter" has to be an object')
    resolver = _Resolver(context)
    validate(context.data, [resolver.resolved(rule)], require_all=True)


def check(options: Mapping[str, Any]) -> None:
    rule = options.get("filter")
    if rule is not None and not isinstance(rule, Mapping | str):
        raise InvalidPayloadError('"options.filter" has to be a filter object')


class _Resolver:
    """Dynamic variables replaced by their values for the run's caller."""

    def __init__(self, context: Context) -> None:
        self.context = context
        who = context.accountability
        self.variables = Variables.of(who, who.policies if who else ())

    def resolved(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: self.resolved(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolved(item) for item in value]
        if not isinstance(value, str) or not is_variable(value):
            return value
        variable = parse_variable(value, "options.filter")
        if variable.name == "NOW":
            return now_value(variable, self.context.runner.now())
        if variable.path and variable not in self.variables.paths:
            probe = Condition(("_",), None, "_in", (variable,))
            db = self.context.runner.db
            with db.read() as conn:
                overview = self.context.runner.schema.get(conn)
                self.variables = load_variables(conn, overview, self.variables, probe)
        return self.variables.value(variable)


KIND = OperationKind("condition", run, check)

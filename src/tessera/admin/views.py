"""What every admin page does first, in one place: find the signed-in caller (else send them
to sign in), require app access, check a POST's CSRF token, and turn a service's refusal
into a page.

A page function takes a :class:`Visit` and returns a response; it runs in a worker thread,
as the services block on the database. The pages read and write only through the items
service with the caller's accountability, so what a page shows or changes is exactly what
REST and MCP would let the same person see or change.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tessera.access.accountability import Accountability
from tessera.admin.render import csrf_ok, page
from tessera.admin.session import see_other, session_caller
from tessera.errors import FailedValidationError, ForbiddenError, TesseraError
from tessera.services.items import ItemsService
from tessera.services.server import public_info
from tessera.services.users import collection_access

LOGIN = "/admin/login"
HOME = "/admin"

#: Messages a redirect may ask the next page to show (``?notice=<name>``); by name, so a
#: link cannot make the page say anything else.
NOTICES = {
    "saved": "Saved.",
    "created": "Created.",
    "deleted": "Deleted.",
    "revoked": "The token is revoked: requests carrying it are refused from now on.",
    "client-revoked": "The client is revoked, with every token it held.",
    "prompts": "The prompts collection is ready, and MCP reads its prompts from it.",
    "attached": "The policy is attached: the role's users have its permissions from now on.",
    "detached": "The policy is detached: the role's users no longer have its permissions.",
}

Page = Callable[["Visit"], Response]


@dataclass
class Visit:
    """One request to an admin page by a signed-in caller with app access."""

    request: Request
    caller: Accountability
    form: dict[str, str] = field(default_factory=dict)
    multi: FormData | None = None

    @property
    def state(self) -> Any:
        return self.request.app.state

    def items(self) -> ItemsService:
        """The items service acting as the caller (permissions, rules, activity)."""
        state = self.state
        return ItemsService(
            state.db,
            state.schema,
            state.settings,
            self.caller,
            cache=state.access_cache,
            events=state.flows.events.emitter(),
        )

    def values(self, name: str) -> list[str]:
        """Every value a form field was given (checkboxes, multiple selects)."""
        if self.multi is None:
            return []
        return [value for value in self.multi.getlist(name) if isinstance(value, str)]

    def render(
        self, template: str, status: int = 200, *, section: str = HOME, **context: Any
    ) -> HTMLResponse:
        """A page in the admin shell, with the navigation this caller may use."""
        notice = NOTICES.get(self.request.query_params.get("notice", ""))
        context.setdefault("notice", notice)
        return page(
            self.request,
            template,
            status,
            nav=navigation(self),
            section=section,
            me=self.caller.user,
            project=public_info(self.state.db)["project"]["project_name"],
            **context,
        )

    def done(self, path: str, notice: str) -> Response:
        """After a successful POST: see the page at ``path``, telling what happened."""
        joiner = "&" if "?" in path else "?"
        return see_other(f"{path}{joiner}{urlencode({'notice': notice})}")


def _access(visit: Visit) -> dict[str, dict[str, dict[str, Any]]]:
    cached = getattr(visit, "_access", None)
    if cached is None:
        cached = visit._access = collection_access(visit.items())  # type: ignore[attr-defined]
    return cached


def readable(visit: Visit) -> set[str]:
    """The collections the caller may read (every one, for an admin)."""
    return {name for name, actions in _access(visit).items() if actions["read"]["access"] != "none"}


def readable_fields(visit: Visit, collection: str, wanted: list[str]) -> list[str]:
    """Those of ``wanted`` (dot paths) whose first field the caller may read in
    ``collection``, and whose related collection they may read: a page asks only for those,
    as asking for more is FORBIDDEN. FORBIDDEN when they may read nothing of it."""
    access = _access(visit)
    granted = access.get(collection, {}).get("read", {})
    if granted.get("access", "none") == "none":
        raise ForbiddenError()
    fields = granted["fields"]
    relations = {"role": "directus_roles", "user": "directus_users"}
    shown = []
    for path in wanted:
        head, _, rest = path.partition(".")
        if "*" not in fields and head not in fields:
            continue
        if rest and relations.get(head) not in readable(visit):
            continue
        shown.append(path)
    return shown


def navigation(visit: Visit) -> list[tuple[str, str]]:
    """The sections of the app this caller may open, in the order they are shown."""
    may = readable(visit)
    links = [(HOME, "Home")]
    if any(not name.startswith("directus_") for name in may):
        links.append(("/admin/content", "Content"))
    for href, label, collection in (
        ("/admin/users", "User Directory", "directus_users"),
        ("/admin/roles", "Roles", "directus_roles"),
        ("/admin/policies", "Policies", "directus_policies"),
        ("/admin/activity", "Activity", "directus_activity"),
    ):
        if visit.caller.admin or collection in may:
            links.append((href, label))
    settings = visit.state.settings
    if visit.caller.admin:
        if settings.mcp_enabled and settings.mcp_oauth_enabled:
            links.append(("/admin/oauth-clients", "OAuth clients"))
        links.append(("/admin/settings/mcp", "Settings"))
    if settings.mcp_enabled and settings.mcp_oauth_enabled:
        links.append(("/mcp-oauth/apps", "Connected apps"))
    return links


def admin_page(function: Page) -> Callable[[Request], Awaitable[Response]]:
    """An admin page: signed in, with app access, and a POST only with its CSRF token."""

    @functools.wraps(function)
    async def endpoint(request: Request) -> Response:
        multi = await request.form() if request.method == "POST" else None
        return await run_in_threadpool(_visit, function, request, multi)

    return endpoint


def _visit(function: Page, request: Request, multi: FormData | None) -> Response:
    found = session_caller(request)
    if found is None:
        target = request.url.path
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        return see_other(f"{LOGIN}?{urlencode({'redirect': target})}", 302)
    caller = found[0]
    form = {} if multi is None else {k: v for k, v in multi.items() if isinstance(v, str)}
    if not (caller.app or caller.admin):
        return page(
            request,
            "error.html",
            403,
            title="No access to the app",
            message=(
                "Your account may use the API and MCP, but none of its policies gives access "
                "to the admin app. Ask an administrator for a policy with app access."
            ),
        )
    visit = Visit(request, caller, form, multi)
    if multi is not None and not csrf_ok(request, form):
        return visit.render(
            "refused.html",
            403,
            title="Form expired",
            message="The form expired or did not come from this site. Go back and try again.",
        )
    try:
        return function(visit)
    except ForbiddenError:
        return visit.render(
            "refused.html",
            403,
            title="Not allowed",
            message="You do not have permission to see or change this.",
        )
    except TesseraError as exc:
        return visit.render("refused.html", exc.status, title="Not done", message=exc.message)


def search_and_page(visit: Visit) -> tuple[str, int]:
    """A list page's ``?search=`` text and ``?page=`` number (1 when missing or not one)."""
    params = visit.request.query_params
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    return params.get("search", "").strip(), page


def paging(path: str, search: str, page: int, total: int, size: int) -> dict[str, Any]:
    """What a list page's pager shows: the page, how many, and links to either side that
    keep the search."""
    pages = max(1, -(-total // size))

    def link(number: int) -> str:
        params = {"search": search, "page": number} if search else {"page": number}
        return f"{path}?{urlencode(params)}"

    return {
        "search": search,
        "total": total,
        "page": page,
        "pages": pages,
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }


def field_errors(exc: TesseraError) -> dict[str, str]:
    """A service's refusal as messages by field (``_`` for one about no field)."""
    entries = exc.to_dicts() if isinstance(exc, FailedValidationError) else [exc.to_dict()]
    errors: dict[str, str] = {}
    for entry in entries:
        name = entry["extensions"].get("field")
        errors.setdefault(name if isinstance(name, str) else "_", entry["message"])
    return errors

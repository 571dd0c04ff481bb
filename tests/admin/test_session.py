"""Signing in and out of the admin app, and who may open it."""

from __future__ import annotations

import re

import pytest

from admin_helpers import API_EMAIL, EDITOR_EMAIL, Person, csrf_of, text_of

pytestmark = pytest.mark.anyio


async def test_a_page_asks_for_sign_in_then_comes_back(person: Person):
    asked = await person.get("/admin", search="ada")
    assert asked.status_code == 302
    assert asked.headers["location"] == "/admin/login?redirect=%2Fadmin%3Fsearch%3Dada"
    form = await person.get(asked.headers["location"])
    assert 'name="redirect" value="/admin?search=ada"' in form.text
    assert 'action="/admin/login"' in form.text


async def test_sign_in_opens_the_home_page_and_sets_the_session_cookie(person: Person):
    signed = await person.sign_in()
    assert signed.status_code == 303
    assert signed.headers["location"] == "/admin"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("directus_session_token=")
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie
    home = await person.get("/admin")
    assert home.status_code == 200
    words = text_of(home.text)
    assert "Database SQLite" in words or "Database PostgreSQL" in words
    assert "MCP Off." in words
    # The same session is a REST caller too.
    me = await person.http.get("/users/me")
    assert me.json()["data"]["email"] == "admin@example.com"


async def test_wrong_password_is_said_next_to_the_form(person: Person):
    refused = await person.sign_in(password="wrong password here")
    assert refused.status_code == 401
    assert "Wrong email or password." in refused.text
    assert 'value="admin@example.com"' in refused.text
    assert "set-cookie" not in refused.headers or "session" not in refused.headers["set-cookie"]


async def test_sign_in_without_the_csrf_token_is_refused(person: Person):
    await person.get("/admin/login")
    refused = await person.http.post(
        "/admin/login",
        data={"email": "admin@example.com", "password": "correct horse battery staple"},
    )
    assert refused.status_code == 403
    assert "The form expired" in refused.text
    assert (await person.get("/admin")).status_code == 302


async def test_a_post_from_another_origin_is_refused(person: Person):
    form = await person.get("/admin/login")
    refused = await person.http.post(
        "/admin/login",
        data={"csrf": csrf_of(form.text), "email": "admin@example.com", "password": "x"},
        headers={"origin": "https://evil.example"},
    )
    assert refused.status_code == 403


async def test_sign_in_does_not_redirect_off_the_app(person: Person):
    form = await person.get("/admin/login", redirect="https://evil.example/")
    assert 'name="redirect" value="/admin"' in form.text
    form = await person.get("/admin/login", redirect="//evil.example/")
    assert 'name="redirect" value="/admin"' in form.text


async def test_sign_out_ends_the_session(admin: Person):
    home = await admin.get("/admin")
    token = admin.http.cookies.get("directus_session_token")
    out = await admin.http.post("/admin/logout", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/admin/login"
    assert (await admin.get("/admin")).status_code == 302
    # The session itself is gone, not only the cookie.
    again = await admin.http.get("/users/me", headers={"authorization": f"Bearer {token}"})
    assert again.status_code == 401


async def test_a_user_without_app_access_is_told_so(person: Person):
    await person.sign_in(API_EMAIL)
    home = await person.get("/admin")
    assert home.status_code == 403
    assert "No access to the app" in home.text


async def test_the_navigation_shows_what_the_caller_may_open(person: Person, admin: Person):
    home = await admin.get("/admin")
    admin_links = nav_links(home.text)
    assert admin_links == [
        "/admin",
        "/admin/content",
        "/admin/users",
        "/admin/roles",
        "/admin/policies",
        "/admin/activity",
        "/admin/settings/mcp",
    ]


async def test_an_editor_sees_only_their_sections(person: Person):
    await person.sign_in(EDITOR_EMAIL)
    home = await person.get("/admin")
    assert home.status_code == 200
    # App access brings Directus's "app minimal" reads: their own user and role.
    assert nav_links(home.text) == [
        "/admin",
        "/admin/content",
        "/admin/users",
        "/admin/roles",
        "/admin/activity",
    ]
    assert "articles" in text_of(home.text)
    assert "Database" not in text_of(home.text)


def nav_links(html: str) -> list[str]:
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


async def test_pages_carry_security_headers(admin: Person):
    home = await admin.get("/admin")
    assert home.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert home.headers["cache-control"] == "no-store"
    css = await admin.get("/admin/static/tessera.css")
    assert css.status_code == 200
    assert "--accent" in css.text


async def test_guessing_passwords_is_held_back(person: Person):
    """The auth service's login limits: five failures for one email, then 429 for a while,
    even with the right password."""
    for _ in range(5):
        assert (await person.sign_in(password="not the password")).status_code == 401
    held = await person.sign_in()
    assert held.status_code == 429
    assert int(held.headers["retry-after"]) > 0
    assert "Too many attempts" in text_of(held.text)
    assert (await person.get("/admin")).status_code == 302

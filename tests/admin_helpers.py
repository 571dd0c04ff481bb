"""A person at a browser for the admin pages: a cookie jar that signs in through the form
and sends each form back with the CSRF token the page gave (imported by tests/admin)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx

ADMIN_EMAIL = "admin@example.com"
EDITOR_EMAIL = "editor@example.com"
API_EMAIL = "api@example.com"
PASSWORD = "correct horse battery staple"
BASE_URL = "http://127.0.0.1:8055"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF field on the page"
    return unescape(found.group(1))


def text_of(html: str) -> str:
    """The page's words, without tags, collapsed to single spaces."""
    words = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(words).split())


@dataclass
class Person:
    http: httpx.AsyncClient

    async def sign_in(self, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> httpx.Response:
        form = await self.http.get("/admin/login")
        return await self.http.post(
            "/admin/login",
            data={
                "csrf": csrf_of(form.text),
                "redirect": "/admin",
                "email": email,
                "password": password,
            },
        )

    async def with_token(self, path: str, token: str) -> httpx.Response:
        """GET ``path`` as a program holding ``token`` would: no cookies of this browser."""
        async with httpx.AsyncClient(
            transport=self.http._transport, base_url=self.http.base_url
        ) as program:
            return await program.get(path, headers={"authorization": f"Bearer {token}"})

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params or None)

    async def submit(
        self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None
    ) -> httpx.Response:
        """POST a form the way the browser would: with the CSRF token of ``page`` (or of
        ``path``'s own page)."""
        shown = await self.http.get(page or path)
        fields: dict[str, Any] = {"csrf": csrf_of(shown.text), **(data or {})}
        return await self.http.post(path, data=fields)

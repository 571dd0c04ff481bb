"""The admin app: server-rendered pages under ``/admin`` over the same services as every
other door, and the page machinery (templates, CSRF, sign-in) the OAuth pages share."""

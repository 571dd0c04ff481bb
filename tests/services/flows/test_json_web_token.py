"""json-web-token: sign, verify and decode, failing with jsonwebtoken's error names."""

from __future__ import annotations

import time

import jwt
import pytest

SECRET = "a-secret-of-enough-length-for-hs256!"


def test_sign_then_verify_and_decode(run_op):
    status, token = run_op(
        "json-web-token",
        {
            "operation": "sign",
            "payload": {"sub": "{{ $trigger.user }}"},
            "secret": SECRET,
            "options": {"expiresIn": "1h", "issuer": "tessera"},
        },
        {"user": "u1"},
    )
    assert status == "resolve"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="tessera")
    assert claims["sub"] == "u1"
    assert claims["exp"] - claims["iat"] == 3600
    verified = run_op(
        "json-web-token",
        {"operation": "verify", "token": token, "secret": SECRET, "options": {"issuer": "tessera"}},
    )
    assert verified == ("resolve", claims)
    decoded = run_op("json-web-token", {"operation": "decode", "token": token})
    assert decoded == ("resolve", claims)
    _, complete = run_op(
        "json-web-token", {"operation": "decode", "token": token, "options": {"complete": True}}
    )
    assert complete["header"] == {"alg": "HS256", "typ": "JWT"}
    assert complete["payload"] == claims


@pytest.mark.parametrize(
    ("token", "secret", "name", "message"),
    [
        (
            jwt.encode({"a": 1}, "other-secret-of-enough-length-too!"),
            SECRET,
            "JsonWebTokenError",
            "invalid signature",
        ),
        (
            jwt.encode({"exp": int(time.time()) - 10}, SECRET),
            SECRET,
            "TokenExpiredError",
            "jwt expired",
        ),
        (
            jwt.encode({"nbf": int(time.time()) + 86_400 * 365}, SECRET),
            SECRET,
            "NotBeforeError",
            "jwt not active",
        ),
        ("not-a-token", SECRET, "JsonWebTokenError", "jwt malformed"),
    ],
)
def test_verify_rejects_with_jsonwebtokens_names(run_op, token, secret, name, message):
    status, error = run_op(
        "json-web-token", {"operation": "verify", "token": token, "secret": secret}
    )
    assert (status, error) == ("reject", {"name": name, "message": message})


def test_decode_of_no_token_is_null_and_missing_options_reject(run_op):
    assert run_op("json-web-token", {"operation": "decode", "token": "garbage"}) == (
        "resolve",
        None,
    )
    status, error = run_op("json-web-token", {"operation": "sign", "secret": SECRET})
    assert (status, error["message"]) == ("reject", "Undefined JSON Web Token payload")

"""Passwords, stored as scrypt hashes.

Only the API signs people in, so hashing lives here: the engine stores a hash it is given
(:func:`engine.people.directory.add_user`) and never sees a password.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Mapping

from engine.errors import Invalid

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        again = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32,
                               n=int(n), r=_SCRYPT["r"], p=_SCRYPT["p"])
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again.hex(), digest)


MIN_LENGTH = 8


def new_password_hash(password: str, problems: Mapping[str, list[str]] | None = None) -> str:
    """The hash to store for a new password; refuses one shorter than :data:`MIN_LENGTH`, together
    with the ``problems`` found in the rest of the request (the user's name): one answer, all of them."""
    found = dict(problems or {})
    if not password or len(password) < MIN_LENGTH:
        found["password"] = [f"at least {MIN_LENGTH} characters"]
    if found:
        raise Invalid("invalid user", found)
    return hash_password(password)

"""Closing and reopening accounts: deactivation, new passwords, revoking every token and session.

Each change bumps the user's ``auth_version`` (:func:`directory.bump_auth_version`) and is an event on
the global audit chain, in the caller's transaction: an account closed here is refused by every
server at its next request, and the record says who closed it and when. The engine never sees a
password: callers hand over a hash (``api.auth.passwords``). Tokens are identified by their stored
digest only, so the one a user is changing their password with can be kept.
"""
from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.errors import Conflict, Invalid
from engine.people.directory import bump_auth_version, log_people_event
from engine.store.models import ApiToken, User
from engine.time import clock


def revoke_tokens(session: Session, user: User, by: str, *, keep_token_hash: str | None = None,
                  log: bool = True) -> int:
    """Revoke every live bearer token and page session of ``user`` (but ``keep_token_hash``); how many."""
    where = [ApiToken.user_id == user.id, ApiToken.revoked.is_(False), ApiToken.expires_at > clock.now()]
    if keep_token_hash is not None:
        where.append(ApiToken.token_hash != keep_token_hash)
    count = session.execute(update(ApiToken).where(*where).values(revoked=True)).rowcount or 0
    bump_auth_version(session, user)
    if log:
        log_people_event(session, "tokens_revoked", by, {"username": user.username, "tokens": count})
    return count


def set_active(session: Session, user: User, active: bool, by: str) -> bool:
    """Deactivate (refused at sign-in, every token and session revoked) or reactivate ``user``;
    False when the account already was so. Nobody closes their own account: an admin who did
    could not undo it."""
    if user.active == active:
        return False
    if not active and by == user.username:
        raise Conflict("you cannot deactivate your own account", code="own_account")
    user.active = active
    tokens = revoke_tokens(session, user, by, log=False) if not active else 0
    bump_auth_version(session, user)
    data = {"username": user.username, **({"tokens": tokens} if not active else {})}
    log_people_event(session, "user_deactivated" if not active else "user_reactivated", by, data)
    return True


def set_password(session: Session, user: User, password_hash: str, by: str, *,
                 keep_token_hash: str | None = None) -> int:
    """Store a new password hash and revoke the user's tokens and sessions (but the one they changed it
    with, ``keep_token_hash``): whoever knew the old password is signed out everywhere. An admin's
    reset is ``password_reset``, a user's own change ``password_changed``; the event holds no hash."""
    if not password_hash:
        raise Invalid("invalid password", {"password": ["required"]})
    user.password_hash = password_hash
    tokens = revoke_tokens(session, user, by, keep_token_hash=keep_token_hash, log=False)
    kind = "password_changed" if by == user.username else "password_reset"
    log_people_event(session, kind, by, {"username": user.username, "tokens": tokens})
    return tokens


#: The languages a user may be written to in (the pages' catalogues).
MAIL_LANGUAGES = ("vi", "en")
#: What a user may choose: every message, only the morning digest, or nothing (escalations go anyway).
NOTIFY_CHOICES = ("immediate", "digest", "off")
#: Why an address with letters outside ASCII before the @ is refused (the API's detail; the page says it).
NON_ASCII_LOCAL = "only ASCII (unaccented) characters before the @"
#: A loose, sensible address check: one @, a dot in the domain, no spaces, commas or angle brackets;
#: the part before the @ in ASCII (below), the domain in ASCII once IDNA-encoded.
EMAIL_RE = re.compile(r"^[!-~]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z0-9-]{2,63}$")
_FORBIDDEN = re.compile(r"[@\s<>,;\"]")


def check_email(address: str | None) -> str | None:
    """The address, trimmed, its domain IDNA-encoded (None when empty); :class:`Invalid` on ``email``
    when it is not one. The part before the @ must be ASCII: a city mail server rarely offers
    SMTPUTF8, and an address it cannot carry would only fail at sending, unseen by its owner; a
    domain in Vietnamese letters is fine, as every server carries its ``xn--`` form."""
    address = (address or "").strip()
    if not address:
        return None
    local, at, domain = address.rpartition("@")
    if at and local and not local.isascii():
        raise Invalid("invalid e-mail address", {"email": [NON_ASCII_LOCAL]})
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        ascii_domain = domain
    address = f"{local}@{ascii_domain}" if at else address
    if len(address) > 254 or _FORBIDDEN.search(local) or not EMAIL_RE.match(address):
        raise Invalid("invalid e-mail address", {"email": ["not an e-mail address"]})
    return address


def set_mail_settings(session: Session, user: User, by: str, *, email: str | None = None, language: str | None = None,
                      notify: str | None = None, clear_email: bool = False) -> bool:
    """Change where and how ``user`` gets e-mail (engine/mail): the address (``clear_email``: none, so
    nothing is sent), the language it is written in, and which messages (``immediate``, ``digest``,
    ``off``). Every problem is named before anything changes; an event on the global chain records
    the change. False when nothing changed."""
    problems: dict[str, list[str]] = {}
    try:
        address = check_email(email) if email is not None else user.email
    except Invalid as err:
        problems.update(err.details)
        address = user.email
    if language is not None and language not in MAIL_LANGUAGES:
        problems["language"] = [f"one of {', '.join(MAIL_LANGUAGES)}"]
    if notify is not None and notify not in NOTIFY_CHOICES:
        problems["notify"] = [f"one of {', '.join(NOTIFY_CHOICES)}"]
    if problems:
        raise Invalid("invalid mail settings", problems)
    wanted = {"email": None if clear_email else address, "language": language or user.language,
              "notify": notify or user.notify}
    changed = {key: value for key, value in wanted.items() if getattr(user, key) != value}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(user, key, value)
    session.flush()
    log_people_event(session, "mail_settings_changed", by, {"username": user.username, **changed})
    return True

"""Settings from ``TALENTFLOW_*`` environment variables, with safe defaults."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The instance folder (the secret key file, compiled catalogues, the default SQLite database, the
#: server's control socket): ``TALENTFLOW_INSTANCE_PATH``, so that several servers of one checkout
#: on one host each keep their own; ``instance/`` under the checkout by default.
INSTANCE = Path(os.environ.get("TALENTFLOW_INSTANCE_PATH") or ROOT / "instance").resolve()


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def from_env() -> dict[str, object]:
    return {
        "DATABASE_URL": os.environ.get("TALENTFLOW_DATABASE_URL", f"sqlite:///{INSTANCE / 'talentflow.db'}"),
        "MAX_CONTENT_LENGTH": _int("TALENTFLOW_MAX_BODY_BYTES", 1024 * 1024),
        # Files on cases (engine/files): kept by SHA-256 under this folder, each at most this large;
        # a file upload may be that large plus a little for the form around it (api/resources/files.py).
        "FILES_DIR": os.environ.get("TALENTFLOW_FILES_DIR") or str(INSTANCE / "files"),
        "MAX_FILE_BYTES": _int("TALENTFLOW_MAX_FILE_BYTES", 20 * 1024 * 1024),
        # A deployment request (POST /processes): a bundle of BPMN and DMN files or its zip, which the
        # definitions bound member by member (engine/definitions/archive.py: 16 MiB in all), and the form.
        "MAX_DEPLOY_BYTES": _int("TALENTFLOW_MAX_DEPLOY_BYTES", 17 * 1024 * 1024),
        # Signed PDFs coming back (engine/files/signatures.py): the certificates a signer's must chain to
        # (a PEM/DER file or a folder of them, e.g. the national root CA); none: every signature is refused.
        "SIGNING_TRUST_ROOTS": os.environ.get("TALENTFLOW_SIGNING_TRUST_ROOTS") or None,
        # Revocation (CRL/OCSP) checking of signers' certificates: off, as the city's network cannot reach
        # the authorities' servers; "on" fetches and refuses a signature whose status is unknown.
        "SIGNING_CHECK_REVOCATION": _switch("TALENTFLOW_SIGNING_CHECK_REVOCATION", False),
        # Documents (engine/documents): an installation's edited Word templates, by file name, and the
        # LibreOffice program that makes their PDFs.
        "TEMPLATES_DIR": os.environ.get("TALENTFLOW_TEMPLATES_DIR") or None,
        "SOFFICE": os.environ.get("TALENTFLOW_SOFFICE") or None,
        # Levels a JSON body (or a page's JSON field) may nest: deeper data could be stored but never
        # loaded again (api/blueprint.py).
        "MAX_JSON_DEPTH": _int("TALENTFLOW_MAX_JSON_DEPTH", 32),
        "TOKEN_LIFETIME_HOURS": _int("TALENTFLOW_TOKEN_HOURS", 12),
        "AUTH_CACHE_SECONDS": _int("TALENTFLOW_AUTH_CACHE_SECONDS", 5),
        "SECRET_KEY": os.environ.get("TALENTFLOW_SECRET_KEY") or secrets.token_hex(32),
        "SQL_ECHO": os.environ.get("TALENTFLOW_SQL_ECHO", "") == "1",
        # Timers (engine/time/executor.py): the executor runs in every server process unless "off".
        "SCHEDULER": _switch("TALENTFLOW_SCHEDULER", True),
        "SCHEDULER_SWEEP_SECONDS": _int("TALENTFLOW_SCHEDULER_SWEEP_SECONDS", 30),
        "TIMER_GRACE_SECONDS": _int("TALENTFLOW_TIMER_GRACE_SECONDS", 60),
        "CALENDAR_FILE": os.environ.get("TALENTFLOW_CALENDAR_FILE") or None,
        # E-mail (engine/mail): the city's SMTP server (no host: nothing is sent, messages wait in the
        # outbox), how to reach it, who the mail is from, and the address the links in it point to.
        "SMTP_HOST": os.environ.get("TALENTFLOW_SMTP_HOST") or None,
        "SMTP_PORT": _int("TALENTFLOW_SMTP_PORT", 0) or None,
        "SMTP_SECURITY": _choice("TALENTFLOW_SMTP_SECURITY", ("none", "starttls", "tls"), "starttls"),
        "SMTP_USER": os.environ.get("TALENTFLOW_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("TALENTFLOW_SMTP_PASSWORD") or None,
        "MAIL_FROM": os.environ.get("TALENTFLOW_MAIL_FROM") or "talentflow@localhost",
        "MAIL_DOMAIN": os.environ.get("TALENTFLOW_MAIL_DOMAIN") or None,
        "MAIL_MAX_ATTEMPTS": _int("TALENTFLOW_MAIL_MAX_ATTEMPTS", 8),
        "BASE_URL": os.environ.get("TALENTFLOW_BASE_URL") or "http://127.0.0.1:5000",
        # The programme's rule values (deadlines of exam tasks, the allowance rate): workflows/settings.py.
        "RULES_FILE": os.environ.get("TALENTFLOW_RULES_FILE") or None,
    }


def server_key(instance: Path = INSTANCE, create: bool = True) -> str:
    """The key that signs page sessions and audit checkpoints: ``TALENTFLOW_SECRET_KEY``, or else one
    random key kept in the instance folder, so every server process and CLI command of an
    installation signs and checks alike (``create=False``: "" when there is none yet)."""
    key = os.environ.get("TALENTFLOW_SECRET_KEY", "")
    if key:
        return key
    path = instance / "secret_key"
    if not create:
        return path.read_text().strip() if path.is_file() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if key:
            return key
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name, "").strip().lower() or default
    if raw not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _switch(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "1", "true", "yes"):
        return True
    if raw in ("off", "0", "false", "no"):
        return False
    raise SystemExit(f"{name} must be on or off, got {raw!r}")

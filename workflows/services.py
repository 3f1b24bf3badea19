"""The wiring: one way to build what a talentflow process runs on, from its settings.

The app factory (:func:`api.create_app`), every CLI command, the timer executor (in a server
worker or ``talentflow scheduler``) and the benches call :func:`build_services`, so they all
run on the same pieces put together the same way: SpiffWorkflow's timers reading the service
clock, the business calendar of ``CALENDAR_FILE``, one :class:`Store` over ``DATABASE_URL``,
and the case service and reader bound to this programme's process policies and forms. The
settings are a plain mapping (``api.config.from_env()`` in production, a few keys in tests and
benches), so this module needs nothing of the web side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import workflows
from engine.audit.checkpoints import periodic_checkpoint
from engine.cases import CaseService, Reader
from engine.cases.delegation import personal_pairs, role_limited_pairs
from engine.definitions import form_lookup
from engine.documents import CaseDocuments
from engine.mail import DigestJob, MailSender, OutboxStep
from engine.files import CaseFiles, FileStore, SignatureChecker, load_trust_roots
from engine.sheets import TaskSheets
from engine.store.database import Store
from engine.time import Clock, TimerExecutor, calendar, spiff_patches
from engine.time import clock as service_clock
from workflows import settings
from workflows.form_files import bind_files
from workflows.schedules import CYCLES

#: How often an executor checks whether an audit checkpoint is due (one is taken at most hourly,
#: and only when the log has grown: engine.audit.checkpoints.checkpoint_if_due).
CHECKPOINT_CHECK_SECONDS = 600.0
#: How often an executor sends what is due in the e-mail outbox, and checks whether the morning
#: digest (07:30 on working days) is due (engine/mail).
MAIL_SEND_SECONDS = 15.0
DIGEST_CHECK_SECONDS = 60.0
#: The largest file a case keeps when the settings say nothing (``TALENTFLOW_MAX_FILE_BYTES``).
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class Services:
    """One process's store and the services over it; one set per process, shared by its threads."""

    store: Store
    cases: CaseService
    reader: Reader
    #: The cases' files and comments, their content kept under ``FILES_DIR``.
    files: CaseFiles
    #: The documents generated from cases (numbers, DOCX and PDF), kept in the same file store.
    documents: CaseDocuments
    #: Tasks filled in as spreadsheets (a list form's template out, the sheet in, one step).
    sheets: TaskSheets

    def timer_executor(self, sweep_seconds: float, secret: str, mail: MailSender | None = None) -> TimerExecutor:
        """An executor firing these cases' timers and the programme's cycle starts, and taking
        the audit checkpoints signed with ``secret``; with ``mail`` (SMTP configured), also sending
        the outbox and queueing the morning digests; not started."""
        periodic = [("audit_checkpoint", CHECKPOINT_CHECK_SECONDS, periodic_checkpoint(self.store, secret))]
        if mail is not None and mail.settings.enabled:
            periodic += [("mail_send", MAIL_SEND_SECONDS, mail.run_once),
                         ("mail_digest", DIGEST_CHECK_SECONDS,
                          DigestJob(self.store, personal_pairs(workflows.POLICIES.items()),
                                    role_limited_pairs(workflows.POLICIES.items())))]
        return TimerExecutor(self.cases, self.store, cycles=CYCLES, sweep_seconds=sweep_seconds,
                             periodic=periodic)


def build_service(store: Store) -> CaseService:
    """The case service over an existing store, with the programme's process policies and forms
    (and the forms' file fields bound to the files uploaded for each task), writing the e-mails a
    step causes to the outbox in the step's transaction (``engine.mail``)."""
    service = CaseService(store=store, policy_for=workflows.policy_for, validate_form=workflows.validate_form,
                          bind_files=bind_files, events_written=OutboxStep())
    form_lookup.use_store(store, service.specs)  # a file's own formData forms, found after a restart
    return service


def build_services(config: Mapping[str, Any], clock: Clock | None = None) -> Services:
    """Wire clock, calendar, rules, store and services from ``config`` (``DATABASE_URL``; optional
    ``CALENDAR_FILE``, ``RULES_FILE``, ``SQL_ECHO``, ``FILES_DIR`` (default ``instance/files``
    under the working directory: the app passes its own), ``MAX_FILE_BYTES``, for signed copies
    ``SIGNING_TRUST_ROOTS`` (none: every signature is refused) and ``SIGNING_CHECK_REVOCATION``, and for
    documents ``TEMPLATES_DIR`` (an installation's own Word templates) and ``SOFFICE`` (the LibreOffice program)).

    ``clock``: a clock to install (a bench's manual one); by default the installed clock stays,
    the real one unless a test put its own in first. The calendar, the clock and the rules are
    process-wide, as SpiffWorkflow's timers read them; a bad calendar file raises
    :class:`engine.time.CalendarFileError` and a bad rules file
    :class:`workflows.settings.RulesFileError` and unreadable trust roots
    :class:`engine.files.TrustRootsError` before anything is opened, for the caller to report.
    """
    if clock is not None:
        service_clock.use(clock)
    spiff_patches.install()
    calendar.configure(config.get("CALENDAR_FILE"))
    settings.configure(config.get("RULES_FILE"))
    signatures = SignatureChecker(load_trust_roots(config.get("SIGNING_TRUST_ROOTS")),
                                  check_revocation=bool(config.get("SIGNING_CHECK_REVOCATION", False)))
    store = Store(str(config["DATABASE_URL"]), echo=bool(config.get("SQL_ECHO", False)))
    cases = build_service(store)
    reader = Reader(workflows.policy_for, cases.specs)
    storage = FileStore(config.get("FILES_DIR") or "instance/files",
                        int(config.get("MAX_FILE_BYTES") or DEFAULT_MAX_FILE_BYTES))
    documents = CaseDocuments(cases, reader, storage, templates_dir=config.get("TEMPLATES_DIR") or None,
                              soffice=config.get("SOFFICE") or None)
    return Services(store, cases, reader, CaseFiles(cases, reader, storage, signatures), documents,
                    TaskSheets(cases, reader, storage, workflows.form_schema))

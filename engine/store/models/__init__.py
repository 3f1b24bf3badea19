"""Persistence models: definitions, cases, the task projection, events, people.

Typed SQLAlchemy 2.0 models, one module per concern; everything is imported from here
(``from engine.store.models import Case``), and importing this package registers every table on
``Base.metadata``, the schema Alembic's migrations are checked against.
"""
from engine.store.models.base import ID, Base, UTCDateTime
from engine.store.models.cases import Case, ChildStart, Event, ProcessDefinition, Task, UnitBacklog
from engine.store.models.files import CaseDocument, CaseFile, DocumentNumber
from engine.store.models.operations import (AuditCheckpoint, Notification, OutboxMessage, ScheduledStart,
                                            SchedulerRun)
from engine.store.models.people import ApiToken, LoginThrottle, RoleGrant, Substitute, Unit, User

__all__ = ["ID", "ApiToken", "AuditCheckpoint", "Base", "Case", "CaseDocument", "CaseFile", "ChildStart",
           "DocumentNumber", "Event", "LoginThrottle", "Notification", "OutboxMessage", "ProcessDefinition",
           "RoleGrant", "ScheduledStart", "SchedulerRun", "Substitute", "Task", "UTCDateTime", "Unit",
           "UnitBacklog", "User"]

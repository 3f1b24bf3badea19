"""E-mail that is never lost and never sent twice.

A message is an ``mail_outbox`` row written in the transaction of the event that causes it
(:mod:`engine.mail.outbox`: a task becoming someone's, a reminder, an escalation; the day's digest,
:mod:`engine.mail.digest`), so it exists exactly when its cause was committed. A
:class:`~engine.mail.sender.MailSender` in every timer executor claims rows and sends them over SMTP
with a Message-ID derived from the row (:mod:`engine.mail.messages`): a sender that dies between
sending and marking sent can only make the next one send the *same* message again. Who receives a
message is the worklist's rule (:mod:`engine.cases.worklist`), and what it says is the caller's
``compose`` (the pages' catalogues, in the recipient's language): the engine knows no words.
"""
from engine.mail.digest import DigestJob, queue_digests
from engine.mail.messages import build_message, message_id
from engine.mail.outbox import NOTIFY_CHOICES, OutboxStep, check_email, mail_counts, queue, retry_failed
from engine.mail.sender import MailSender, SmtpSettings

__all__ = ["DigestJob", "NOTIFY_CHOICES", "MailSender", "OutboxStep", "SmtpSettings", "build_message", "check_email", "mail_counts",
           "message_id", "queue", "queue_digests", "retry_failed"]

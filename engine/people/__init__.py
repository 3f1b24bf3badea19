"""People: who a person is, the units they belong to and the roles they hold there.

The directory adds users, units and role grants (each grant an event on the global audit chain);
:mod:`~engine.people.accounts` closes and reopens accounts (deactivation, new password hashes, revoked
tokens), each an event too; an :class:`Actor` is the snapshot of one person's roles that every
command is checked against; :mod:`~engine.people.substitutes` says who stands in for whom over which
city days (``acting_for``), each substitution set or ended an event too.
How a person proves who they are (passwords, tokens, sessions) belongs to ``api.auth``.
"""
from engine.people.accounts import revoke_tokens, set_active, set_password
from engine.people.actors import SYSTEM, Actor, actor_for
from engine.people.directory import (add_unit, add_user, describe_user, get_unit, get_user, grant_role,
                                     revoke_role)

__all__ = ["SYSTEM", "Actor", "actor_for", "add_unit", "add_user", "describe_user", "get_unit", "get_user",
           "grant_role", "revoke_role", "revoke_tokens", "set_active", "set_password"]

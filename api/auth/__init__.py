"""Sign-in: passwords, bearer tokens, page sessions, lock-out and the token cache.

Only the API proves who a caller is; the engine is handed the resulting ``Actor``.
:mod:`api.auth.bearer` guards ``/api/v1`` with bearer tokens, :mod:`api.auth.tokens` issues and
looks up tokens and page sessions, :mod:`api.auth.lockout` refuses a name after repeated failures.
"""
from api.auth.bearer import PUBLIC_ENDPOINTS, current_actor, register, require_roles

__all__ = ["PUBLIC_ENDPOINTS", "current_actor", "register", "require_roles"]

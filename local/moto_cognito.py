"""moto's Cognito given the one call the console needs and moto lacks: RevokeToken (sign-out)."""

from __future__ import annotations

import functools

from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult, EmptyResult


def _revoke_token(self: CognitoIdpResponse) -> ActionResult:
    """Cognito's RevokeToken: the refresh token is refused from now on (as moto does after a global
    sign-out)."""
    token = self._get_param("Token")
    for pool in self.backend.user_pools.values():
        if pool.refresh_tokens.get(token) is not None:
            pool.refresh_tokens[token] = None
    return EmptyResult()


@functools.cache  # once per process
def add_revoke_token() -> None:
    """Install RevokeToken into moto's Cognito (idempotent)."""
    CognitoIdpResponse.revoke_token = _revoke_token  # type: ignore[attr-defined]

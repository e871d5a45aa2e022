"""BearerAuth for httpx (imported only when asked for: httpx is optional)."""

from __future__ import annotations

from typing import Generator, Optional

import httpx

from . import DEFAULT_TIMEOUT, get_token


class HttpxBearerAuth(httpx.Auth):
    """``httpx.Client(auth=tdjwt.HttpxBearerAuth("prod"))``: a bearer token on
    each request, and on a 401 one forced refresh and one retry."""

    def __init__(self, profile: Optional[str] = None, *, min_valid: float = 60, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.profile = profile
        self.min_valid = min_valid
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HttpxBearerAuth(profile={self.profile!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tok = get_token(self.profile, min_valid=self.min_valid, timeout=self.timeout)
        request.headers["Authorization"] = "Bearer " + tok.token
        response = yield request
        if response.status_code == 401:
            tok = get_token(self.profile, min_valid=self.min_valid, force_refresh=True, timeout=self.timeout)
            request.headers["Authorization"] = "Bearer " + tok.token
            yield request

"""Freshly signed Teradata VantageCloud Lake JWTs, from the tdjwt binary.

The binary is the one source of truth: this module runs it
(``tdjwt token --format json``) and speaks its documented JSON contract. It
keeps each token in memory while it stays valid, so that a loop of API calls
starts no process at all.

    import tdjwt
    tok = tdjwt.get_token("prod")                 # a Token
    requests.get(url, auth=tdjwt.BearerAuth("prod"))

Nothing here ever puts a token, the PAT or key material into a message, a
repr or a log: the token carries the PAT.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Tuple

__all__ = [
    "BadInput",
    "BearerAuth",
    "Internal",
    "KeystoreUnavailable",
    "NotConfigured",
    "NotInstalled",
    "TdjwtError",
    "TdjwtTimeout",
    "Token",
    "Usage",
    "find_binary",
    "get_token",
    "set_teradataml_token",
    "token",
]

__version__ = "0.2.0"

#: How long a call waits for the binary. tdjwt bounds its own waits (the
#: keychain at 10 s, a lock at 15 s); this bounds a binary that hangs anyway.
DEFAULT_TIMEOUT = 60.0


class TdjwtError(Exception):
    """tdjwt could not give a token.

    ``code`` is one of tdjwt's stable error codes (usage, not_configured,
    keystore_unavailable, bad_input, internal), ``message`` and ``hint`` are
    tdjwt's words (they never hold a secret), ``exit_code`` the binary's exit
    code (None when it did not run or did not finish).
    """

    code = "internal"

    def __init__(self, message: str, hint: str = "", exit_code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint else "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, exit_code={self.exit_code!r})"


class Usage(TdjwtError):
    """A bad argument (exit code 2)."""

    code = "usage"


class NotConfigured(TdjwtError):
    """Unknown profile, or its secrets are missing (exit code 3)."""

    code = "not_configured"


class KeystoreUnavailable(TdjwtError):
    """No keychain, or an unsafe file keystore (exit code 4)."""

    code = "keystore_unavailable"


class BadInput(TdjwtError):
    """A bad key, PAT, config or request (exit code 5)."""

    code = "bad_input"


class Internal(TdjwtError):
    """Anything else, including an answer that is not tdjwt's JSON."""

    code = "internal"


class NotInstalled(TdjwtError):
    """The tdjwt binary is not there."""

    code = "not_installed"


class TdjwtTimeout(TdjwtError, TimeoutError):
    """The binary did not answer within the timeout."""

    code = "timeout"


_BY_CODE = {cls.code: cls for cls in (Usage, NotConfigured, KeystoreUnavailable, BadInput, Internal)}


class Token:
    """A token and its expiry. Its repr and str never show the token."""

    __slots__ = ("token", "expires_at", "expires_at_unix", "profile")

    def __init__(self, token: str, expires_at_unix: int, profile: str) -> None:
        self.token = token
        self.expires_at_unix = int(expires_at_unix)
        self.expires_at = datetime.fromtimestamp(self.expires_at_unix, tz=timezone.utc)
        self.profile = profile

    def valid_for(self, seconds: float) -> bool:
        """Whether the token stays valid at least that many more seconds."""
        return self.expires_at_unix - time.time() >= seconds

    def __repr__(self) -> str:
        return f"Token(profile={self.profile!r}, expires_at={self.expires_at.isoformat()!r}, token=[redacted])"

    __str__ = __repr__


def _is_script(path: str) -> bool:
    """A console-script wrapper (this package's own `tdjwt` entry), not the binary."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def find_binary() -> str:
    """The binary to run: $TDJWT_BIN, else the one inside this package, else
    `tdjwt` on PATH (never this package's own `tdjwt` wrapper script)."""
    env = os.environ.get("TDJWT_BIN")
    if env:
        return env
    name = "tdjwt.exe" if os.name == "nt" else "tdjwt"
    inside = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", name)
    if os.path.isfile(inside):
        return inside
    for d in os.environ.get("PATH", "").split(os.pathsep):
        cand = shutil.which(name, path=d) if d else None
        if cand and not _is_script(cand):
            return cand
    raise NotInstalled(
        "the tdjwt binary is not installed",
        hint="install the tdjwt wheel for your platform (pip install tdjwt-...whl), or set TDJWT_BIN to the binary's path",
    )


_cache: Dict[Tuple[str, str, str], Token] = {}
_locks: Dict[Tuple[str, str, str], threading.Lock] = {}
_guard = threading.Lock()


def _reset_after_fork() -> None:
    # A forked child must not trust locks its parent held at the fork: they
    # may never be released in the child.
    global _guard
    _guard = threading.Lock()
    _locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _lock_for(key: Tuple[str, str, str]) -> threading.Lock:
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.Lock()
        return lock


def _clip(text: str, n: int = 2000) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _run(args: list, timeout: float) -> Dict[str, Any]:
    binary = find_binary()
    try:
        proc = subprocess.run(
            [binary] + args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise NotInstalled(
            f"the tdjwt binary {binary} is not there",
            hint="install the tdjwt wheel for your platform, or set TDJWT_BIN to the binary's path",
        ) from None
    except PermissionError:
        raise NotInstalled(f"the tdjwt binary {binary} cannot be run", hint="check its executable bit, or set TDJWT_BIN") from None
    except subprocess.TimeoutExpired:
        raise TdjwtTimeout(
            f"tdjwt did not answer within {timeout:g} s",
            hint="run tdjwt doctor to see what it waits for (a locked keychain, a stuck lock)",
        ) from None
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    try:
        out = json.loads(proc.stdout.decode("utf-8"))
        if not isinstance(out, dict):
            raise ValueError("not an object")
    except ValueError:
        # tdjwt's stderr holds no secret; its stdout might (a token), so
        # only its size is reported.
        raise Internal(
            f"tdjwt answered without its JSON (exit {proc.returncode}, {len(proc.stdout)} bytes on stdout): {_clip(stderr) or 'no message'}",
            hint="check that TDJWT_BIN or PATH leads to the tdjwt binary",
            exit_code=proc.returncode,
        ) from None
    err = out.get("error")
    if proc.returncode != 0 or err is not None:
        err = err if isinstance(err, dict) else {}
        cls = _BY_CODE.get(str(err.get("code")), Internal)
        raise cls(str(err.get("message") or stderr or f"tdjwt exited {proc.returncode}"), str(err.get("hint") or ""), proc.returncode)
    return out


def get_token(
    profile: Optional[str] = None,
    *,
    min_valid: float = 300,
    force_refresh: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Token:
    """A token of the profile (None: $TDJWT_PROFILE, else "default") that
    stays valid at least min_valid seconds. While the last one this process
    got stays valid that long, no process is started."""
    binary = os.environ.get("TDJWT_BIN") or ""
    named = profile or os.environ.get("TDJWT_PROFILE") or "default"
    key = (binary, named, os.environ.get("TDJWT_KEYSTORE", ""))
    with _lock_for(key):
        cached = _cache.get(key)
        if cached is not None and not force_refresh and cached.valid_for(min_valid):
            return cached
        args = ["token", "--format", "json", "--min-valid", str(max(0, int(min_valid + 0.999)))]
        if profile:
            args += ["--profile", profile]
        if force_refresh:
            args.append("--force-refresh")
        out = _run(args, timeout)
        tok, exp = out.get("token"), out.get("expiresAt")
        if not isinstance(tok, str) or tok.count(".") != 2 or not isinstance(exp, int):
            raise Internal("tdjwt's JSON lacks a token or its expiry", hint="check that TDJWT_BIN or PATH leads to the tdjwt binary")
        t = Token(tok, exp, str(out.get("profile") or named))
        _cache[key] = t
        return t


def token(profile: Optional[str] = None, *, min_valid: float = 300, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The token string of get_token()."""
    return get_token(profile, min_valid=min_valid, timeout=timeout).token


class BearerAuth:
    """Authorization for requests: ``requests.get(url, auth=BearerAuth("prod"))``.

    Each request carries ``Authorization: Bearer <token>``. When the server
    answers 401, it asks tdjwt for a new token (--force-refresh) and retries
    once; a 401 after that is the caller's.
    """

    def __init__(self, profile: Optional[str] = None, *, min_valid: float = 60, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.profile = profile
        self.min_valid = min_valid
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"BearerAuth(profile={self.profile!r})"

    def _token(self, force: bool = False) -> str:
        return get_token(self.profile, min_valid=self.min_valid, force_refresh=force, timeout=self.timeout).token

    def __call__(self, r: Any) -> Any:
        r.headers["Authorization"] = "Bearer " + self._token()
        r.register_hook("response", self._retry_401)
        return r

    def _retry_401(self, resp: Any, **kwargs: Any) -> Any:
        if resp.status_code != 401 or getattr(resp.request, "_tdjwt_retried", False):
            return resp
        retry = resp.request.copy()
        retry._tdjwt_retried = True
        retry.headers["Authorization"] = "Bearer " + self._token(force=True)
        resp.content  # read and release the first answer's connection
        resp.close()
        new = resp.connection.send(retry, **kwargs)
        new.history.append(resp)
        new.request = retry
        return new


def __getattr__(name: str) -> Any:
    # httpx is optional: its Auth class is built when first asked for.
    if name == "HttpxBearerAuth":
        from ._httpx import HttpxBearerAuth

        return HttpxBearerAuth
    raise AttributeError(name)


class _Renewal:
    """A running renewal of teradataml's token; cancel() stops it."""

    def __init__(self) -> None:
        self._timer: Optional[threading.Timer] = None
        self._stopped = False
        self.token: Optional[Token] = None
        self.error: Optional[BaseException] = None

    def cancel(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()

    def __repr__(self) -> str:
        return f"_Renewal(token={self.token!r}, stopped={self._stopped})"


def set_teradataml_token(
    base_url: str,
    profile: Optional[str] = None,
    *,
    min_valid: float = 300,
    renew: bool = False,
    _set_auth_token: Optional[Callable[..., Any]] = None,
) -> _Renewal:
    """Give teradataml a fresh token: ``teradataml.set_auth_token(base_url=...,
    auth_token=...)``, which needs an open context (create_context) first.

    A token set this way does not renew itself. With renew=True a daemon
    timer sets a new one min_valid seconds before each expiry, until the
    returned handle's cancel(). It uses only teradataml's public
    set_auth_token.
    """
    if _set_auth_token is None:
        from teradataml import set_auth_token as _set_auth_token  # type: ignore
    handle = _Renewal()

    def once() -> None:
        if handle._stopped:
            return
        try:
            tok = get_token(profile, min_valid=min_valid)
            _set_auth_token(base_url=base_url, auth_token=tok.token)
            handle.token, handle.error = tok, None
            delay = tok.expires_at_unix - time.time() - min_valid
        except TdjwtError as e:
            if not renew:
                raise
            handle.error, delay = e, 30.0  # try again soon
        if renew and not handle._stopped:
            handle._timer = threading.Timer(max(1.0, delay), once)
            handle._timer.daemon = True
            handle._timer.start()

    once()
    return handle

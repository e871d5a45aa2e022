"""The tdjwt package against the real binary inside its wheel, the real
gnome-keyring session of .ci/run, local HTTP servers and PyJWT."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import jwt
import pytest

import tdjwt
from conftest import HOST, PAT, PUBLIC_KEY, USER, binary, login, secret_free


def check_with_pyjwt(tok: str, *, lifetime: int = 3600) -> dict:
    """An independent check: PyJWT verifies the signature and the claims."""
    claims = jwt.decode(tok, PUBLIC_KEY, algorithms=["RS256"], audience="td:service:authentication")
    assert jwt.get_unverified_header(tok) == {"alg": "RS256", "kid": "KeyForJwtPy", "typ": "JWT"}
    assert claims["sub"] == USER and claims["pat"] == PAT and claims["org_id"] == "myorg" and claims["multi-use"] is True
    assert abs(claims["exp"] - (time.time() + lifetime)) < 10
    return claims


def test_get_token_and_token(world):
    login(world, "py")
    t = tdjwt.get_token("py")
    claims = check_with_pyjwt(t.token)
    assert t.expires_at_unix == claims["exp"]
    assert t.expires_at.tzinfo is not None and int(t.expires_at.timestamp()) == claims["exp"]
    assert t.profile == "py"
    assert secret_free(repr(t)) and secret_free(str(t)) and t.token not in repr(t) + str(t)
    assert tdjwt.token("py") == t.token  # from the in-process cache


def test_real_keyring(world):
    login(world, "py-keyring", keystore="keyring")
    try:
        check_with_pyjwt(tdjwt.token("py-keyring"))
    finally:
        subprocess.run([sys.executable, "-m", "tdjwt", "logout", "--profile", "py-keyring"], capture_output=True, timeout=60)


def test_repeat_calls_start_no_process(world, counting_bin):
    login(world, "py")
    first = tdjwt.get_token("py")
    for _ in range(5):
        assert tdjwt.get_token("py") is first
    assert len(counting_bin()) == 1


def test_50_threads_start_one_process(world, counting_bin):
    login(world, "py")
    start = threading.Barrier(50)
    got = []

    def call():
        start.wait()
        got.append(tdjwt.get_token("py").token)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(got) == 50 and len(set(got)) == 1
    assert len(counting_bin()) == 1


def test_a_token_near_expiry_is_renewed(world, counting_bin, monkeypatch):
    login(world, "py")
    first = tdjwt.get_token("py", min_valid=300)
    # 3400 s later, the cached token has 200 s left: less than min_valid.
    real = time.time
    monkeypatch.setattr(tdjwt.time, "time", lambda: real() + 3400)
    tdjwt.get_token("py", min_valid=300)
    runs = counting_bin()
    assert len(runs) == 2 and "--min-valid 300" in runs[1]
    monkeypatch.setattr(tdjwt.time, "time", real)
    assert first.valid_for(3000)


def test_a_forked_child_does_not_trust_its_parents_lock(world):
    login(world, "py")
    key = ("", "py", "")
    lock = tdjwt._lock_for(key)
    lock.acquire()  # held while the process forks
    try:
        pid = os.fork()
        if pid == 0:  # the child: a token within the bound, or exit 1
            code = 1
            try:
                result = []
                th = threading.Thread(target=lambda: result.append(tdjwt.token("py")), daemon=True)
                th.start()
                th.join(30)
                code = 0 if result else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0, "the child waited on the lock its parent held"
    finally:
        lock.release()


class Server:
    """A local HTTP server that answers 401 for the first `rejects`
    requests, then 200, and records every Authorization header."""

    def __init__(self, rejects: int) -> None:
        self.rejects = rejects
        self.auths: list = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.auths.append(self.headers.get("Authorization", ""))
                code = 401 if len(outer.auths) <= outer.rejects else 200
                body = b'{"ok":true}' if code == 200 else b"{}"
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep tokens out of the test output
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/accounts/env1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server_factory():
    servers = []

    def make(rejects: int) -> Server:
        s = Server(rejects)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def test_bearer_auth_refreshes_once_on_401(world, counting_bin, server_factory):
    requests = pytest.importorskip("requests")
    login(world, "py")
    srv = server_factory(rejects=1)
    resp = requests.get(srv.url, auth=tdjwt.BearerAuth("py"), timeout=30)
    assert resp.status_code == 200 and len(srv.auths) == 2
    assert all(a.startswith("Bearer eyJ") for a in srv.auths)
    check_with_pyjwt(srv.auths[1][len("Bearer "):])
    runs = counting_bin()
    assert len(runs) == 2 and "--force-refresh" not in runs[0] and "--force-refresh" in runs[1]
    assert [r.status_code for r in resp.history] == [401]


def test_bearer_auth_retries_only_once(world, counting_bin, server_factory):
    requests = pytest.importorskip("requests")
    login(world, "py")
    srv = server_factory(rejects=100)
    resp = requests.get(srv.url, auth=tdjwt.BearerAuth("py"), timeout=30)
    assert resp.status_code == 401 and len(srv.auths) == 2
    assert sum("--force-refresh" in r for r in counting_bin()) == 1


def test_httpx_bearer_auth(world, counting_bin, server_factory):
    httpx = pytest.importorskip("httpx")
    login(world, "py")
    srv = server_factory(rejects=1)
    with httpx.Client(auth=tdjwt.HttpxBearerAuth("py"), timeout=30) as client:
        assert client.get(srv.url).status_code == 200
    srv2 = server_factory(rejects=100)
    with httpx.Client(auth=tdjwt.HttpxBearerAuth("py"), timeout=30) as client:
        assert client.get(srv2.url).status_code == 401
    assert len(srv.auths) == 2 and len(srv2.auths) == 2
    assert sum("--force-refresh" in r for r in counting_bin()) == 2


@pytest.mark.parametrize(
    "case, cls, exit_code",
    [
        ("usage", tdjwt.Usage, 2),
        ("not_configured", tdjwt.NotConfigured, 3),
        ("keystore_unavailable", tdjwt.KeystoreUnavailable, 4),
        ("bad_input", tdjwt.BadInput, 5),
        ("internal", tdjwt.Internal, 1),
    ],
)
def test_each_error_code_has_its_class(world, monkeypatch, case, cls, exit_code):
    login(world, "py")
    profile = "py"
    if case == "usage":
        profile = "not a name!"
    elif case == "not_configured":
        profile = "nope"
    elif case == "keystore_unavailable":
        monkeypatch.setenv("TDJWT_KEYSTORE", "keyring")
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(world))
        monkeypatch.setenv("TDJWT_CACHE_DIR", str(world / "nocache"))
        (world / "nocache").mkdir(mode=0o700)
        subprocess.run([binary(), "cache", "clear"], capture_output=True)
    elif case == "bad_input":
        cfg = Path(os.environ["TDJWT_CONFIG"])
        cfg.write_text("[profiles.py\n")
    elif case == "internal":
        # tdjwt's own JSON error with code internal, from a stand-in.
        fake = world / "fake"
        fake.write_text('#!/bin/sh\necho \'{"error":{"code":"internal","message":"boom","hint":"report it"}}\'\nexit 1\n')
        fake.chmod(0o755)
        monkeypatch.setenv("TDJWT_BIN", str(fake))
    with pytest.raises(cls) as ei:
        tdjwt.get_token(profile)
    e = ei.value
    assert isinstance(e, tdjwt.TdjwtError) and e.code == case and e.exit_code == exit_code
    assert e.message and e.hint, (e.message, e.hint)
    assert secret_free(str(e)) and secret_free(repr(e))


def test_missing_hung_and_garbage_binaries(world, monkeypatch):
    monkeypatch.setenv("TDJWT_BIN", str(world / "no-such-binary"))
    with pytest.raises(tdjwt.NotInstalled) as ei:
        tdjwt.get_token()
    assert ei.value.hint and not isinstance(ei.value, FileNotFoundError)

    hung = world / "hung"
    hung.write_text("#!/bin/sh\nexec sleep 600\n")
    hung.chmod(0o755)
    monkeypatch.setenv("TDJWT_BIN", str(hung))
    start = time.monotonic()
    with pytest.raises(tdjwt.TdjwtTimeout) as ei:
        tdjwt.get_token(timeout=1)
    assert time.monotonic() - start < 10 and isinstance(ei.value, TimeoutError)

    garbage = world / "garbage"
    garbage.write_text("#!/bin/sh\necho 'not json'\necho 'it broke' >&2\n")
    garbage.chmod(0o755)
    monkeypatch.setenv("TDJWT_BIN", str(garbage))
    with pytest.raises(tdjwt.Internal) as ei:
        tdjwt.get_token()
    assert "it broke" in ei.value.message and ei.value.code == "internal"


def test_which_binary(world, monkeypatch, tmp_path):
    # The one inside the wheel, executable.
    inside = binary()
    assert Path(inside).parent.name == "_bin" and os.access(inside, os.X_OK)
    out = subprocess.run([sys.executable, "-m", "tdjwt", "version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("tdjwt ")
    # TDJWT_BIN wins.
    monkeypatch.setenv("TDJWT_BIN", "/x/y")
    assert tdjwt.find_binary() == "/x/y"


def test_console_commands_run_the_binary(world):
    login(world, "py")
    scripts = Path(sys.executable).parent
    out = subprocess.run([str(scripts / "tdjwt"), "token", "--profile", "py"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    check_with_pyjwt(out.stdout.strip())
    # git finds git-credential-tdjwt; argv[0] makes it the git helper.
    req = f"protocol=https\nhost={HOST}\n\n"
    out = subprocess.run([str(scripts / "git-credential-tdjwt"), "--profile", "py", "get"], input=req, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith(f"username={USER}\npassword=eyJ")
    # Exit codes pass through.
    out = subprocess.run([str(scripts / "tdjwt"), "token", "--profile", "nope"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 3 and "tdjwt: error:" in out.stderr


def test_teradataml_token_and_renewal(world, monkeypatch):
    # teradataml is not installable here: a stand-in with set_auth_token's
    # documented signature (base_url, auth_token).
    login(world, "py", "--lifetime", "2h")
    calls = []
    renewed = threading.Event()

    def set_auth_token(base_url=None, auth_token=None):
        calls.append((base_url, auth_token))
        if len(calls) >= 2:
            renewed.set()
        return True

    monkeypatch.setitem(sys.modules, "teradataml", types.SimpleNamespace(set_auth_token=set_auth_token))
    handle = tdjwt.set_teradataml_token("https://" + HOST, "py")
    assert len(calls) == 1 and calls[0][0] == "https://" + HOST
    check_with_pyjwt(calls[0][1], lifetime=7200)
    assert secret_free(repr(handle))
    # Renewal: min_valid seconds before expiry (here, about a second after
    # the first) it sets a token again, by itself.
    calls.clear()
    handle = tdjwt.set_teradataml_token("https://" + HOST, "py", min_valid=7199, renew=True)
    try:
        assert renewed.wait(30), "no renewal within 30 s"
        check_with_pyjwt(calls[1][1], lifetime=7200)
    finally:
        handle.cancel()

"""Fixtures for the tdjwt Python package's tests: a private tdjwt world per
test (HOME, config, cache), a real login, and a watch on every report so
that no test output ever holds the PAT or key material."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import tdjwt

PAT = "PATpyQ7w9Zr4Lk2Mn8Xb5Vc1x"
USER = "alice_Lower"
HOST = "myorg.innovationlabs.teradata.com"

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_PEM = _KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
PUBLIC_KEY = _KEY.public_key()
_KEY_LINE = KEY_PEM.decode().splitlines()[2]


def binary() -> str:
    """The binary inside the installed wheel."""
    return tdjwt.find_binary()


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A private HOME, config and cache; tdjwt's in-process cache empty."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TDJWT_CONFIG", str(tmp_path / "cfg" / "config.toml"))
    monkeypatch.setenv("TDJWT_CACHE_DIR", str(tmp_path / "cache"))
    for v in ("TDJWT_BIN", "TDJWT_PROFILE", "TDJWT_KEYSTORE", "TDJWT_PAT", "TDJWT_PRIVATE_KEY", "TDJWT_DEBUG"):
        monkeypatch.delenv(v, raising=False)
    key = tmp_path / "KeyForJwtPy.pem"
    key.write_bytes(KEY_PEM)
    key.chmod(0o600)
    tdjwt._cache.clear()
    return tmp_path


def login(world: Path, profile: str, *extra: str, keystore: str = "") -> None:
    """tdjwt login through `python -m tdjwt`, the PAT on stdin."""
    args = [sys.executable, "-m", "tdjwt", "login", "--profile", profile, "--pem", str(world / "KeyForJwtPy.pem"),
            "--user", USER, "--base-url", "https://" + HOST, *extra]
    args += ["--keystore", keystore or "file:" + str(world / "secrets")]
    p = subprocess.run(args, input=PAT + "\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


@pytest.fixture
def counting_bin(world, monkeypatch):
    """TDJWT_BIN is a wrapper that logs each run's arguments, then runs the
    real binary: how many processes a call started, and with what."""
    log = world / "runs.log"
    wrapper = world / "tdjwt-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{binary()}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("TDJWT_BIN", str(wrapper))

    def runs() -> list:
        lines = log.read_text().splitlines() if log.exists() else []
        return [l for l in lines if l.startswith("token ")]

    return runs


def secret_free(text: str) -> bool:
    return PAT not in text and _KEY_LINE not in text and "PRIVATE KEY" not in text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    texts = [rep.longreprtext, rep.capstdout, rep.capstderr]
    if not all(secret_free(t) for t in texts):
        # Never print it: fail the test and drop what held it.
        rep.outcome = "failed"
        rep.longrepr = "the test's output held the PAT or key material (hidden)"
        rep.sections = []

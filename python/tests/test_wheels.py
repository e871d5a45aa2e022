"""Each wheel that python/build.sh made ($TDJWT_WHEELS), unpacked: tags,
RECORD, and the binary for its platform, executable and byte for byte the
one a fresh cross-build of this commit gives."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = {  # platform tag prefix -> (GOOS, GOARCH, binary name)
    "manylinux2014_x86_64": ("linux", "amd64", "tdjwt"),
    "manylinux2014_aarch64": ("linux", "arm64", "tdjwt"),
    "macosx_12_0_x86_64": ("darwin", "amd64", "tdjwt"),
    "macosx_12_0_arm64": ("darwin", "arm64", "tdjwt"),
    "win_amd64": ("windows", "amd64", "tdjwt.exe"),
}


def wheels() -> list:
    d = os.environ.get("TDJWT_WHEELS")
    if not d:
        if os.environ.get("CI") == "true":
            pytest.fail("TDJWT_WHEELS is not set: .ci/run builds the wheels and sets it")
        pytest.skip("TDJWT_WHEELS is not set (run through .ci/run)")
    found = sorted(Path(d).glob("*.whl"))
    assert len(found) == len(PLATFORMS), [w.name for w in found]
    return found


def platform_of(whl: Path):
    tags = whl.name[: -len(".whl")].split("-")[4].split(".")
    for prefix, target in PLATFORMS.items():
        if prefix in tags:
            return tags, target
    raise AssertionError(f"{whl.name}: no known platform tag")


_fresh = {}


def fresh_build(goos: str, goarch: str, version: str) -> bytes:
    key = (goos, goarch)
    if key not in _fresh:
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "bin"
            env = dict(os.environ, GOOS=goos, GOARCH=goarch, CGO_ENABLED="0", GOFLAGS="-buildvcs=false")
            subprocess.run(["go", "build", "-trimpath", "-ldflags", f"-s -w -X main.version={version}", "-o", str(out), "."],
                           cwd=ROOT, env=env, check=True, timeout=600)
            _fresh[key] = out.read_bytes()
    return _fresh[key]


def stamped_version(found: list) -> str:
    """The version the build stamped, as the linux x86_64 binary says it."""
    whl = next(w for w in found if "manylinux2014_x86_64" in w.name)
    with zipfile.ZipFile(whl) as z, tempfile.TemporaryDirectory() as d:
        p = Path(d) / "tdjwt"
        p.write_bytes(z.read("tdjwt/_bin/tdjwt"))
        p.chmod(0o755)
        return subprocess.run([str(p), "version"], capture_output=True, text=True, check=True).stdout.split()[1]


def test_each_wheel():
    found = wheels()
    version = stamped_version(found)
    for whl in found:
        tags, (goos, goarch, exe) = platform_of(whl)
        with zipfile.ZipFile(whl) as z:
            names = z.namelist()
            dist = next(n.split("/")[0] for n in names if n.endswith(".dist-info/WHEEL"))
            meta = z.read(f"{dist}/WHEEL").decode()
            assert "Root-Is-Purelib: false" in meta
            assert sorted(l.split(": ")[1] for l in meta.splitlines() if l.startswith("Tag: ")) == sorted(f"py3-none-{t}" for t in tags)
            # RECORD: every file, each with its hash and size.
            record = {}
            for line in z.read(f"{dist}/RECORD").decode().splitlines():
                path, digest, size = line.rsplit(",", 2)
                record[path] = (digest, size)
            assert set(record) == set(names), set(record) ^ set(names)
            for path, (digest, size) in record.items():
                if path.endswith("RECORD"):
                    continue
                data = z.read(path)
                want = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                assert digest == want and int(size) == len(data), path
            info = z.getinfo(f"tdjwt/_bin/{exe}")
            assert stat.S_IMODE(info.external_attr >> 16) & 0o111, f"{whl.name}: the binary is not executable"
            binary = z.read(f"tdjwt/_bin/{exe}")
        assert binary == fresh_build(goos, goarch, version), f"{whl.name}: not the binary this commit builds"

#!/usr/bin/env bash
# Builds tdjwt's Python distributions into OUTDIR: one wheel per platform with
# the cross-built, stripped, reproducible tdjwt binary inside, and an sdist
# (without a binary: installed from it, tdjwt uses the binary on PATH).
#
#   bash python/build.sh OUTDIR
#
# Uses Debian's python3-build, python3-setuptools and python3-wheel with no
# build isolation and no network; the Go toolchain cross-compiles. The wheel
# tool retags each (py3-none-any) wheel for its platform and writes RECORD.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bash python/build.sh OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mkdir -p "$1"
out=$(cd "$1" && pwd)
py=${PYTHON:-/usr/bin/python3}
export PYTHONWARNINGS=ignore
export PATH="/usr/local/go/bin:$PATH" CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# The same stamp as install.sh and .ci/run; the commit time as every file's
# time in the archives, so that two builds of one commit are identical.
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 315532800)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stage() { # a clean copy of the package sources
  rm -rf "$work/pkg"
  mkdir -p "$work/pkg"
  cp -r "$here/pyproject.toml" "$here/README.md" "$here/src" "$work/pkg/"
  find "$work/pkg" -name __pycache__ -prune -exec rm -rf {} +
  rm -rf "$work/pkg/src/tdjwt/_bin"
}

stage
"$py" -m build --no-isolation --sdist --outdir "$out" "$work/pkg" >/dev/null

# GOOS GOARCH platform-tag(s). Go's binaries are static: one Linux wheel
# serves glibc (manylinux) and musl (musllinux) alike. Go's linker marks its
# macOS binaries for macOS 12.0 and later.
targets=(
  "linux amd64 manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64"
  "linux arm64 manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64"
  "darwin amd64 macosx_12_0_x86_64"
  "darwin arm64 macosx_12_0_arm64"
  "windows amd64 win_amd64"
)
for t in "${targets[@]}"; do
  read -r goos goarch tag <<<"$t"
  stage
  exe=tdjwt
  [ "$goos" = windows ] && exe=tdjwt.exe
  mkdir -p "$work/pkg/src/tdjwt/_bin"
  (cd "$root" && GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$work/pkg/src/tdjwt/_bin/$exe" .)
  chmod 0755 "$work/pkg/src/tdjwt/_bin/$exe"
  rm -rf "$work/whl"
  "$py" -m build --no-isolation --wheel --outdir "$work/whl" "$work/pkg" >/dev/null
  # Retag: unpack, write the platform's tags into WHEEL (a binary inside:
  # not purelib), and let the wheel tool repack it, naming the file from
  # those tags and writing RECORD with every file's hash.
  any=("$work"/whl/*-py3-none-any.whl)
  rm -rf "$work/unpacked"
  "$py" -m wheel unpack --dest "$work/unpacked" "${any[0]}" >/dev/null
  meta=("$work"/unpacked/*/*.dist-info/WHEEL)
  { grep -v -e '^Tag:' -e '^Root-Is-Purelib:' "${meta[0]}" | sed '/^$/d'
    echo "Root-Is-Purelib: false"
    for p in ${tag//./ }; do echo "Tag: py3-none-$p"; done
  } > "$work/WHEEL"
  mv "$work/WHEEL" "${meta[0]}"
  # unpack drops file modes; pack records the binary's from the disk.
  chmod 0755 "$work"/unpacked/*/tdjwt/_bin/"$exe"
  "$py" -m wheel pack --dest-dir "$out" "$work"/unpacked/* >/dev/null
  echo "built $(cd "$out" && ls -t ./*.whl | head -n 1)"
done
echo "built $(cd "$out" && ls *.tar.gz)"

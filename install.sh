#!/bin/sh
# Builds tdjwt with this machine's Go and installs it, with the
# git-credential-tdjwt link git looks for, into $PREFIX/bin
# (default ~/.local/bin). Idempotent. ./install.sh --uninstall removes both.
set -eu
cd "$(dirname "$0")"

PREFIX=${PREFIX:-"$HOME/.local"}
BIN="$PREFIX/bin"
GO_NEEDED=1.25

case "${1:-}" in
  --uninstall)
    for f in "$BIN/git-credential-tdjwt" "$BIN/tdjwt"; do
      if [ -e "$f" ] || [ -L "$f" ]; then rm -f "$f" && echo "removed $f"; fi
    done
    echo "tdjwt uninstalled. Your profiles stay in the keychain until: tdjwt logout --profile NAME (before uninstalling)."
    exit 0 ;;
  "") ;;
  -h|--help) echo "usage: ./install.sh [--uninstall]   (PREFIX=$PREFIX)"; exit 0 ;;
  *) echo "install.sh: unknown option $1 (use --uninstall)" >&2; exit 2 ;;
esac

GO=$(command -v go || true)
[ -n "$GO" ] || [ ! -x /usr/local/go/bin/go ] || GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  echo "install.sh: error: Go $GO_NEEDED or newer is needed to build tdjwt and was not found" >&2
  echo "install.sh: hint: install Go from https://go.dev/dl/ (or Debian's golang package if it is $GO_NEEDED or newer), then run ./install.sh again" >&2
  exit 1
fi
have=$("$GO" env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$GO_NEEDED" "$have" | sort -V | head -n1)" != "$GO_NEEDED" ]; then
  echo "install.sh: error: Go $have is too old; tdjwt needs Go $GO_NEEDED or newer" >&2
  exit 1
fi

mkdir -p "$BIN"
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
# Static, reproducible build: no cgo (faster start, no libc loader), no
# local paths in the binary.
CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w -X main.version=$version" -o "$BIN/tdjwt.new" .
mv -f "$BIN/tdjwt.new" "$BIN/tdjwt"
ln -sfn tdjwt "$BIN/git-credential-tdjwt"
echo "installed $BIN/tdjwt ($version, built with Go $have)"
echo "linked    $BIN/git-credential-tdjwt -> tdjwt"
case ":$PATH:" in
  *":$BIN:"*) echo "$BIN is on your PATH." ;;
  *) echo "$BIN is NOT on your PATH: add it, e.g. echo 'export PATH=\"$BIN:\$PATH\"' >> ~/.profile" ;;
esac

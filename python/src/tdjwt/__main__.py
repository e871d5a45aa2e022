"""``python -m tdjwt ARGS`` and the wheel's `tdjwt` and `git-credential-tdjwt`
commands: run the tdjwt binary with the arguments, on this terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import List, NoReturn

from . import NotInstalled, find_binary


def _run(argv0: str, args: List[str]) -> NoReturn:
    try:
        binary = find_binary()
    except NotInstalled as e:
        print(f"tdjwt: error: {e.message}", file=sys.stderr)
        print(f"tdjwt: hint: {e.hint}", file=sys.stderr)
        sys.exit(1)
    sys.stdout.flush()
    if os.name == "posix":
        # The binary takes this process's place: the terminal (for the
        # no-echo PAT prompt), signals and the exit code are its own. argv[0]
        # picks the command (git-credential-tdjwt is the git helper).
        try:
            os.execv(binary, [argv0] + args)
        except OSError as e:
            print(f"tdjwt: error: cannot run {binary}: {e.strerror}", file=sys.stderr)
            print("tdjwt: hint: reinstall the tdjwt wheel for your platform, or set TDJWT_BIN", file=sys.stderr)
            sys.exit(1)
    sys.exit(subprocess.call([argv0] + args, executable=binary))


def main() -> NoReturn:
    _run("tdjwt", sys.argv[1:])


def git_credential() -> NoReturn:
    _run("git-credential-tdjwt", sys.argv[1:])


if __name__ == "__main__":
    main()

"""README's Python example, run as written against the installed package
(with requests' network call answered by a stand-in)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

from conftest import login
from test_tdjwt import check_with_pyjwt

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_example(world, monkeypatch, capsys):
    block = re.search(r"<!-- python-example -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert block, "README has no python-example block"
    login(world, "prod")
    sent = []

    class Prepared:
        def __init__(self):
            self.headers = {}

        def register_hook(self, event, hook):
            self.hook = hook

    def get(url, auth=None, timeout=None):
        r = auth(Prepared())
        sent.append((url, r.headers["Authorization"]))
        return types.SimpleNamespace(status_code=200)

    monkeypatch.setitem(sys.modules, "requests", types.SimpleNamespace(get=get))
    exec(compile(block.group(1), "README.md", "exec"), {})
    assert sent and sent[0][0].endswith("/api/accounts/ENV_ID")
    check_with_pyjwt(sent[0][1][len("Bearer "):])
    out = capsys.readouterr().out
    assert "prod " in out and "not_configured profile nope is not configured" in out
    assert "eyJ" not in out

"""The embedded default: no configuration, messages as .eml files, listed by ``outbox``."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No TRANSFER_ENGINE_ settings at all: the defaults must work on their own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSFER_ENGINE_")}
    result = subprocess.run([sys.executable, "-m", "transfer_engine", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def test_demo_then_a_sweep_leaves_readable_eml_files_that_outbox_lists(tmp_path: Path) -> None:
    _run(tmp_path, "demo")
    swept = _run(tmp_path, "scheduler", "--once", "--as-of", "2022-09-20")
    assert "sent" in swept.stdout

    files = sorted((tmp_path / "outbox").glob("*.eml"))
    rows = json.loads(_run(tmp_path, "outbox", "--json").stdout)
    assert files and len(files) == len(rows)
    assert sorted(str(f.resolve()) for f in files) == sorted(r["where"] for r in rows)

    listing = _run(tmp_path, "outbox").stdout
    assert f"Outbox ({len(rows)} message(s))" in listing
    assert "hr.ld-transfer@example" in listing

    for path in files:
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        row = next(r for r in rows if r["where"] == str(path.resolve()))
        assert message.get_all("To") == [row["to"]] and message["Cc"] is None
        assert message["Message-ID"] == row["message_id"]
        assert message.get_content_type() == "text/plain"
        # Readable as it stands in a text editor: plain 7-bit text, no encoding to undo.
        assert message["Content-Transfer-Encoding"] == "7bit"
        assert message.get_content().strip().encode() in raw.replace(b"\r\n", b"\n")

    eli = [r for r in rows if "Send employee liability information" in r["subject"]]
    assert len(eli) == 1 and eli[0]["to"] == "hr.ld-transfer@example.org"
    text = email.message_from_bytes(Path(eli[0]["where"]).read_bytes(),
                                    policy=email.policy.default).get_content()
    assert "Tuesday 4 October 2022" in text and "TUPE reg 11(6)" in text
    assert "transfer-engine advance ld-to-nct send_eli" in text

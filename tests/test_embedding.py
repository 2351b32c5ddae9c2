"""The engine embedded in another program: the README's example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Embedding the engine"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's embedding section has no Python example"
    return match.group(1)


def test_the_readme_embedding_example_runs_and_prints_what_the_readme_says(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSFER_ENGINE_")}
    result = subprocess.run([sys.executable, "-c", _readme_example()], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    readme = (ROOT / "README.md").read_text()
    printed = result.stdout.strip().splitlines()
    assert len(printed) == 2
    for line in printed:
        assert f"`{line}`" in readme, line
    assert (tmp_path / "catering.db").is_file()

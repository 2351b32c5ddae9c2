"""The engine as a user installs it: a wheel, in a fresh virtual environment, outside the checkout.

The wheel must carry the workflows, the letter templates, the letter fonts and Typst program and
the GOV.UK Frontend files, and the installed engine must find them with no environment variable.
The fresh environment gets the third-party dependencies from the test environment (a path file),
so that the test needs no network; the engine itself comes only from the wheel, which the test
checks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _clean_env(home: Path) -> dict[str, str]:
    """The environment of a user who has configured nothing."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRANSFER_ENGINE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(home)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the engine installed from a freshly built wheel."""
    work = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--wheel-dir", str(work / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("transfer_engine-*.whl")
    target = work / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    # Dependencies from the test environment; a path file appends them after the new
    # environment's own site-packages, and its own path files are not read, so the checkout
    # that the test environment installs in editable mode stays invisible.
    Path(purelib, "dependencies-from-tests.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--disable-pip-version-check", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    return target


def test_the_wheel_carries_workflows_letter_templates_and_govuk_assets(
        installed: Path) -> None:
    (wheel,) = (installed.parent / "dist").glob("transfer_engine-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "transfer_engine/shipped/workflows/tupe-base.yaml" in names
    assert "transfer_engine/shipped/letters/reg13-information.html.j2" in names
    assert "transfer_engine/shipped/govuk/govuk-frontend.min.css" in names
    assert any(n.startswith("transfer_engine/shipped/govuk/assets/fonts/") for n in names)
    assert "transfer_engine/web/templates/layout.html" in names
    assert "transfer_engine/py.typed" in names
    # The PDF letters' Typst program, and the fonts they are typeset in, with their licence.
    assert {"transfer_engine/letters/letter.typ", "transfer_engine/letters/logo.typ"} <= names
    assert {f"transfer_engine/letters/fonts/NotoSans-{face}.ttf"
            for face in ("Regular", "Bold", "Italic", "BoldItalic")} <= names
    assert "transfer_engine/letters/fonts/OFL.txt" in names


_TYPESET = """
from transfer_engine.letters import parse_letter_html, render_pdf
html = ('<header><h1>Cyngor Sir (sample)</h1></header><address>Siân Llŷr</address>'
        '<time datetime="2026-01-12">12 January 2026</time><h2>Subject</h2>'
        '<main><p>Dear Siân,</p></main>')
import sys
sys.stdout.buffer.write(render_pdf(parse_letter_html(html, "wheel-check")))
"""


def test_the_installed_engine_typesets_letters_in_the_fonts_it_ships(
        installed: Path, tmp_path: Path) -> None:
    typeset = subprocess.run([str(installed / "bin" / "python"), "-c", _TYPESET],
                             cwd=tmp_path, env=_clean_env(tmp_path), capture_output=True,
                             timeout=120)
    assert typeset.returncode == 0, typeset.stderr.decode()
    assert typeset.stdout.startswith(b"%PDF-") and b"NotoSans-Regular" in typeset.stdout


def test_the_installed_engine_runs_the_demo_outside_the_checkout(
        installed: Path, tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import transfer_engine; print(transfer_engine.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where

    demo = subprocess.run([str(installed / "bin" / "transfer-engine"), "demo"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "ld-to-nct" in demo.stdout and "send-iass-to-wnc" in demo.stdout
    assert (tmp_path / "transfer_engine.db").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_the_installed_web_app_serves_a_styled_govuk_page(
        installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [str(installed / "bin" / "transfer-engine"), "serve", "--demo", "--no-scheduler",
         "--port", str(port)],
        cwd=tmp_path, env=_clean_env(tmp_path), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/sign-in")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _, err = server.communicate(timeout=10)
                    pytest.fail(f"the installed app did not start: {err}")
                time.sleep(0.3)
        assert status == 200
        assert b'href="/assets/govuk-frontend.min.css"' in page
        status, css = _get(f"http://127.0.0.1:{port}/assets/govuk-frontend.min.css")
        assert status == 200 and b".govuk-header" in css
        status, font = _get(f"http://127.0.0.1:{port}/assets/fonts/light-94a07e06a1-v2.woff2")
        assert status == 200 and font[:4] == b"wOF2"
    finally:
        server.terminate()
        server.communicate(timeout=30)

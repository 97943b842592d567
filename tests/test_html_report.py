"""The HTML report, opened in a real browser: headless Chromium (Debian's, installed by scripts/test) driven by
Playwright. The threat matrix, a chart and a data flow render with JavaScript disabled, the page loads nothing from
outside, and axe-core finds no serious or critical accessibility violation. A screenshot is kept as an artifact
(tests/artifacts/html-report.png)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "tests" / "artifacts"


def _report(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "threatscan.cli", "scan", *args, "--format", "html", "-o", str(out),
                           "--fail-on", "none", "-j", "1", "-q"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


def test_report_is_one_self_contained_file_with_every_untrusted_string_escaped(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    evil = repo / 'x<img src=evil.example onerror=alert(1)>.py'
    evil.write_text("import os\n\ndef view(request):\n    os.system(request.args['cmd'])\n")
    out = _report(tmp_path, str(repo))
    html = out.read_text()
    assert "<img src=evil" not in html and "&lt;img src=evil.example" in html
    for outside in ("<script", "http://", "https://", "@import", "url("):
        assert outside not in html.split("</title>", 1)[1], outside


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is needed for the browser test (scripts/test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.external  # drives Debian's Chromium through Playwright
def test_report_renders_matrix_charts_and_flow_in_chromium(tmp_path, browser):
    out = _report(tmp_path, str(FIXTURES))
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    matrix = page.locator("table.matrix")
    assert matrix.is_visible()
    assert page.locator("table.matrix tbody tr").count() > 10
    assert page.locator("table.matrix td.st-violated").count() >= 1  # the fixtures violate threats
    chart = page.locator("#chart-severity svg")
    assert chart.is_visible() and chart.bounding_box()["height"] > 40
    assert page.locator("#chart-severity rect").count() == 4
    flow = page.locator("div.flow ol.steps").first
    assert flow.is_visible() and flow.locator("li").count() >= 2
    assert page.locator("article.finding").count() > 100
    assert [u for u in requests if not u.startswith("file:")] == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "html-report.png"), full_page=False)
    assert (ARTIFACTS / "html-report.png").stat().st_size > 10_000
    context.close()


@pytest.mark.external  # drives Debian's Chromium through Playwright
def test_report_has_no_serious_accessibility_violations(tmp_path, browser):
    from axe_playwright_python.sync_playwright import Axe

    out = _report(tmp_path, str(FIXTURES / "cloudformation"), str(FIXTURES / "python" / "code_execution"))
    page = browser.new_page()  # axe-core is injected as a script, so this page runs JavaScript
    page.goto(out.as_uri())
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []
    page.close()


def test_markdown_summary_charts_severities_and_threat_status_for_github(tmp_path):
    repo = FIXTURES / "threat-model-repo"
    proc = subprocess.run([sys.executable, "-m", "threatscan.cli", "scan", str(repo), "--format", "markdown",
                           "--threat-model", str(repo / "threatmodel.yaml"), "--format", "json", "-o", str(tmp_path / "s.md"), "-o", str(tmp_path / "s.json"),
                           "--fail-on", "none", "-j", "1", "-q"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    import json
    import re

    md = (tmp_path / "s.md").read_text()
    charts = re.findall(r"```mermaid\npie showData title ([^\n]+)\n((?:    \"[^\"]+\" : \d+\n)+)```", md)
    titles = [t for t, _ in charts]
    assert titles == ["Findings by severity", "Threats by status"]
    severities = {k: int(v) for k, v in re.findall(r'"([^"]+)" : (\d+)', charts[0][1])}
    findings = json.loads((tmp_path / "s.json").read_text())["findings"]
    want: dict[str, int] = {}
    for f in findings:
        if not f.get("suppression"):
            want[f["severity"]] = want.get(f["severity"], 0) + 1
    assert severities == want

"""Untrusted strings (file names, logical ids, threat ids and titles, code) reach the terminal, the CI log and the
Markdown summary escaped for each: no line that starts a workflow command, no terminal escape sequence, no HTML,
image, link, mention or broken table in Markdown. The hostile repository is generated here, in tmp_path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

VULNERABLE = "import os\n\n\ndef handler(event, context):\n    os.system('ping ' + event['host'])\n"
# Names a pull request can give its files: a new line starting workflow commands, a terminal escape, Markdown
# and HTML that would render as an image, a link, a mention, a table break.
NASTY_NAMES = [
    "a\n::error file=x.py,line=1::pwned\n::add-mask::hidden\n::stop-commands::zzz\n.py",
    "b\r::warning::carriage.py",
    "c\x1b[2J\x1b[31mred\x1b]8;;http:evil.example\x07link.py",
    "d ![x](https:evil.example) <img src=x onerror=alert(1)> @acme-corp|col|.py",
    "e `code` ``two`` [link](http:evil.example) www.evil.example.py",
    "f \u202etxt.exe\u202c.py",
]
NASTY_ID = "Bucket<img src=x>`|@acme-corp![i](http:evil.example)"
NASTY_TITLE = "Title <script>alert(1)</script> | ![img](https://evil.example/i.png) @acme-corp/admins [x](https://evil.example)"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile-escape")
    for name in NASTY_NAMES:
        (root / name).write_text(VULNERABLE)
    (root / "g\n::error::binary.py").write_bytes(b"x = 1\0\n")  # unreadable: a notice naming the file
    (root / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        f"  {json.dumps(NASTY_ID)}:\n    Type: AWS::S3::Bucket\n")
    (root / "threatmodel.yaml").write_text(
        "version: 1\nsystem: \"Shop <b>@acme-corp</b>\"\nthreats:\n"
        f"  - id: ORD-1\n    title: {json.dumps(NASTY_TITLE)}\n    stride: [elevation-of-privilege]\n"
        "    controls: [\"family:code-execution\"]\n")
    return root


def scan(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-m", "threatscan.cli", "scan", str(root), *args],
                          cwd=root, capture_output=True, text=True, timeout=600)


def _no_command_or_escape(text: str) -> None:
    for line in re.split(r"\r\n|\r|\n", text):
        assert not line.lstrip().startswith("::"), repr(line)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


def test_terminal_report_and_log_lines_show_control_characters(hostile):
    out = scan(hostile, "--no-color", "--verbose")
    assert out.returncode == 1, out.stderr
    _no_command_or_escape(out.stdout)
    _no_command_or_escape(out.stderr)
    # every file was still scanned and named, visibly
    assert out.stdout.count("PY102") >= len(NASTY_NAMES)
    assert "a\\n::error file=x.py,line=1::pwned\\n::add-mask::hidden" in out.stdout
    assert "c\\x1b[2J\\x1b[31mred" in out.stdout and "f \\u202etxt.exe" in out.stdout
    assert "g\\n::error::binary.py" in out.stderr  # the notice for the unreadable file


def test_coloured_report_colours_only_what_threatscan_styles(hostile):
    out = scan(hostile, "--color")
    # threatscan's own styles (ESC [ digits m) are there; the file's erase-screen and hyperlink sequences are not
    assert "\x1b[1m" in out.stdout
    assert "\x1b[2J" not in out.stdout and "\x1b]8" not in out.stdout


def _outside_code(md: str) -> str:
    """The Markdown with its code spans (where HTML, links and mentions are literal text) blanked out."""
    return re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", "CODE", md)


def _unescaped_pipes(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def test_markdown_summary_has_no_html_links_images_mentions_or_broken_tables(hostile, tmp_path):
    md_path = tmp_path / "summary.md"
    out = scan(hostile, "--format", "markdown", "--output", str(md_path), "--threat-model",
               str(hostile / "threatmodel.yaml"), "--link-base", "https://github.com/acme/shop/blob/abc")
    assert out.returncode in (0, 1), out.stderr
    full = md_path.read_text()
    assert "ORD-1" in full and "Title" in full  # the threat title is there, as text
    md = _outside_code(full)
    assert "Title" in md and "CODE" in md
    assert not re.search(r"<(?!/?details>|/?summary>)[a-z/!]", md, re.I), "raw HTML"
    assert not re.search(r"(?<!\\)!\[", md), "an image"
    assert not re.search(r"(?<!\\)\]\((?!https://github\.com/acme/shop/blob/abc/)", md), "a link not to the blob"
    assert not re.search(r"@[\w-]", md), "a mention"
    assert not re.search(r"https?://(?!github\.com/acme/shop/blob/)", md), "a bare URL GitHub would link"
    assert not re.search(r"(?<![\w.])www\.", md)
    for line in full.splitlines():
        assert "\x1b" not in line and not line.lstrip().startswith("::")
    # every table row has as many cells as its header
    header = None
    for line in full.splitlines():
        if line.startswith("|"):
            if header is None:
                header = _unescaped_pipes(line)
            assert _unescaped_pipes(line) == header, line
        else:
            header = None
    # links point at the files themselves (the path is percent-encoded into the URL)
    assert re.search(r"\]\(https://github\.com/acme/shop/blob/abc/a%0A%3A%3Aerror[^)\s]*\.py#L5\)", full)


def test_code_spans_hold_backticks_literally():
    from threatscan.escape import md_code, md_message

    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert md_code("a|b") == "`a\\|b`" and md_code("a|b", table=False) == "`a|b`"
    assert md_message("bucket `B<i>` has `x|y`") == "bucket `B<i>` has `x\\|y`"


def test_workflow_command_escaping_follows_the_toolkit():
    from threatscan.escape import workflow_data, workflow_property

    assert workflow_data("50% done\r\nnext::x") == "50%25 done%0D%0Anext::x"
    assert workflow_property("a,b:c\n::d") == "a%2Cb%3Ac%0A%3A%3Ad"
    assert workflow_data("\x1b[31mred") == "\\x1b[31mred"

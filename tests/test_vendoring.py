"""Packages of other projects copied into `lib/`: tagged vendored by their own evidence; the project's own `lib/`
code never (vendoring.py, README "Severity pipeline")."""

from __future__ import annotations

from pathlib import Path

import pytest

from threatscan.model import Severity
from threatscan.scan import ScanOptions, run_scan
from threatscan.vendoring import vendored_packages

SHELL = ("import subprocess\n\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
         "@app.route('/run')\ndef run():\n    subprocess.run(request.args['cmd'], shell=True)\n")


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_copied_distributions_in_lib_are_vendored_but_the_projects_own_helpers_are_not(tmp_path, catalog):
    root = _write(tmp_path, {
        "app.py": "import sys\nsys.path.insert(0, 'lib')\n",  # the project's own code, outside lib/
        "requirements.txt": "Some-Server==1.2\nPyWidget>=2\n",
        "setup.py": "setup(name='app', description='helpers for the app', py_modules=['app'])\n",
        "lib/some_server/__init__.py": SHELL,                    # a declared dependency's source
        "lib/widget/__init__.py": SHELL,                         # PyWidget -> widget
        "lib/licensed/LICENSE": "MIT License\n",                 # its own licence
        "lib/licensed/core.py": SHELL,
        "lib/dotted.py": "__version__ = '3.1'\n__author__ = 'Someone Else'\n" + SHELL,
        "lib/packed/__init__.py": SHELL,
        "lib/packed-1.0.dist-info/METADATA": "Name: packed\n",
        "lib/helpers.py": SHELL,                                 # no evidence: the project's own
        "lib/auth/__init__.py": SHELL,
    })
    assert vendored_packages(root) == {"lib/some_server", "lib/widget", "lib/licensed", "lib/dotted.py",
                                       "lib/packed"}
    result = run_scan(ScanOptions(paths=[str(root)], root=root), catalog)
    by_path = {f.location.path: f for f in result.findings if f.rule_id == "PY101"}
    assert {p for p, f in by_path.items() if f.code_kind == "vendored"} == {
        "lib/some_server/__init__.py", "lib/widget/__init__.py", "lib/licensed/core.py", "lib/dotted.py",
        "lib/packed/__init__.py"}
    for own in ("lib/helpers.py", "lib/auth/__init__.py"):
        assert by_path[own].code_kind == "" and by_path[own].severity > Severity.LOW, own
    vendored = by_path["lib/widget/__init__.py"]
    assert "vendored" in vendored.properties["tags"] and vendored.severity == Severity.LOW


def test_a_project_whose_own_package_lives_in_lib_is_not_vendored(tmp_path, catalog):
    src_layout = _write(tmp_path / "a", {
        "setup.py": "from setuptools import setup\nsetup(name='tool', package_dir={'': 'lib'}, packages=['tool'])\n",
        "lib/tool/__init__.py": "__version__ = '1.0'\n__author__ = 'Me'\n" + SHELL,
        "lib/tool/LICENSE": "MIT\n",
    })
    assert vendored_packages(src_layout) == frozenset()
    named = _write(tmp_path / "b", {
        "pyproject.toml": "[project]\nname = \"myproject\"\ndependencies = [\"requests>=2\"]\n",
        "cli.py": "import myproject\n",
        "lib/myproject/__init__.py": "__version__ = '1.0'\n" + SHELL,
        "lib/myproject/LICENSE": "MIT\n",
    })
    assert vendored_packages(named) == frozenset(), "the packaging names it as the project's own"
    package = _write(tmp_path / "c", {
        "requirements.txt": "auth\n",
        "shop/__init__.py": "",
        "shop/lib/__init__.py": "",                              # pkg/lib/ is a package of the project
        "shop/lib/auth/__init__.py": "__version__ = '1'\n" + SHELL,
    })
    assert vendored_packages(package) == frozenset()
    alone = _write(tmp_path / "d", {"lib/tool/__init__.py": "__version__ = '1.0'\n" + SHELL})
    assert vendored_packages(alone) == frozenset(), "metadata alone, and no code of the project elsewhere"
    result = run_scan(ScanOptions(paths=[str(src_layout)], root=src_layout), catalog)
    assert [f.code_kind for f in result.findings if f.rule_id == "PY101"] == [""]



def test_a_custom_libs_directory_holds_copies_only_where_a_package_carries_evidence(tmp_path, catalog):
    root = _write(tmp_path, {
        "server.py": "import sys\nsys.path.insert(0, 'custom_libs')\n",   # the project's own code, outside
        "custom_libs/fetcher/__init__.py": "__version__ = '2.1.0.dev'\n__author__ = 'Someone Else'\n" + SHELL,
        "custom_libs/fetcher_patch/__init__.py": "import fetcher\n" + SHELL,  # the project's patches: its own
        "custom_libs/solver.py": SHELL,                                    # no evidence: not tagged
        "app/bundled-libs/tool/LICENSE.txt": "BSD\n",
        "app/bundled-libs/tool/run.py": SHELL,
        "my_lib/helper/__init__.py": "__version__ = '1'\n" + SHELL,        # `_lib`, singular: a package name
    })
    assert vendored_packages(root) == {"custom_libs/fetcher", "app/bundled-libs/tool"}
    result = run_scan(ScanOptions(paths=[str(root)], root=root), catalog)
    kinds = {f.location.path: f.code_kind for f in result.findings if f.rule_id == "PY101"}
    assert kinds["custom_libs/fetcher/__init__.py"] == "vendored"
    assert kinds["custom_libs/fetcher_patch/__init__.py"] == "" and kinds["custom_libs/solver.py"] == ""
    assert kinds["my_lib/helper/__init__.py"] == ""


def test_copies_in_ext_or_a_top_level_lib_package_are_vendored_by_their_declared_distributions(tmp_path, catalog):
    """An application that ships its dependencies in `ext/` and `lib/` (both on sys.path, `lib/__init__.py` present,
    setup.py listing the folders as packages): the copies are vendored by the distributions the requirements name
    (also where the import name differs: beautifulsoup4 -> bs4, dogpile.cache -> dogpile) or by their own metadata;
    the application's package is not, and neither is a wrapper module a package of its own names after a library."""
    root = _write(tmp_path, {
        "requirements.txt": "beautifulsoup4==4.12\ndogpile.cache==1.3\nTornado==6.4\n",
        "setup.py": "setup(name='tvapp', packages=[f for f in ('tvapp', 'ext', 'lib')])\n",
        "tvapp/__init__.py": "",
        "tvapp/web.py": SHELL,
        "tvapp/lib/__init__.py": "",
        "tvapp/lib/tornado.py": SHELL,                              # the app's own wrapper, named after Tornado
        "ext/bs4/__init__.py": SHELL,
        "ext/dogpile/cache/__init__.py": SHELL,
        "ext/tornado/__init__.py": SHELL,
        "ext/tvapp_helpers.py": SHELL,                             # no evidence: left alone
        "lib/__init__.py": "",
        "lib/guessit/__init__.py": "__version__ = '3.4'\n" + SHELL,
        "lib/boto/__init__.py": "__version__ = '2.48'\n__author__ = 'Someone Else'\n" + SHELL,
    })
    assert vendored_packages(root) == {"ext/bs4", "ext/dogpile", "ext/tornado", "lib/guessit", "lib/boto"}
    result = run_scan(ScanOptions(paths=[str(root)], root=root), catalog)
    kinds = {f.location.path: f.code_kind for f in result.findings if f.rule_id == "PY101"}
    assert kinds["ext/tornado/__init__.py"] == "vendored" and kinds["lib/boto/__init__.py"] == "vendored"
    assert kinds["tvapp/web.py"] == "" and kinds["tvapp/lib/tornado.py"] == "" and kinds["ext/tvapp_helpers.py"] == ""


def test_a_top_level_lib_package_with_one_module_carrying_metadata_is_the_projects_own(tmp_path):
    root = _write(tmp_path, {
        "app.py": "import lib\n",
        "lib/__init__.py": "",
        "lib/version.py": "__version__ = '1.0'\n__author__ = 'Me'\n",
        "lib/views.py": SHELL,
    })
    assert vendored_packages(root) == frozenset()


@pytest.mark.parametrize("directory", ["lib", "custom_libs"])
def test_a_directory_whose_packages_mostly_show_they_are_copies_holds_copies_only(tmp_path, directory):
    """Ten packages of `lib/` carry their own licence, four carry nothing: ten or more, and half or more, show the
    directory holds copies, so all fourteen are vendored. A directory named for customised code (`custom_libs/`, the project's own patches
    beside copies) keeps the per-package judgement; so does a lib directory whose evidenced packages are a minority."""
    files = {"app.py": "import sys\n"}
    for n in range(10):
        files[f"{directory}/copied{n}/__init__.py"] = SHELL
        files[f"{directory}/copied{n}/LICENSE"] = "MIT\n"
    for n in range(4):
        files[f"{directory}/bare{n}/__init__.py"] = SHELL
    root = _write(tmp_path / "a", files)
    copied = {f"{directory}/copied{n}" for n in range(10)}
    bare = {f"{directory}/bare{n}" for n in range(4)}
    assert vendored_packages(root) == (copied | bare if directory == "lib" else copied)
    minority = dict(files)
    for n in range(4, 12):
        minority[f"{directory}/bare{n}/__init__.py"] = SHELL
    assert vendored_packages(_write(tmp_path / "b", minority)) == copied


def test_a_package_whose_header_says_it_is_part_of_another_project_is_a_copy(tmp_path, catalog):
    """§3k (SickGear): `lib/adba/__init__.py` opens with `# This file is part of aDBa.` (GPL's header): a copy of
    another project, vendored; `lib/sg_futures` saying it is part of the repository's own project stays its code."""
    gpl = "#\n# This file is part of {}.\n#\n# {} is free software: you can redistribute it and/or modify\n"
    root = _write(tmp_path / "mediaapp", {
        "mediaapp/__init__.py": "",                              # the project's own package, outside lib/
        "mediaapp/web.py": "import sys\nsys.path.insert(0, 'lib')\n",
        "lib/__init__.py": "",
        "lib/licensed/LICENSE": "MIT License\n",
        "lib/licensed/core.py": SHELL,
        "lib/anidb/__init__.py": gpl.format("aDBa", "aDBa") + SHELL,
        "lib/mediaapp_futures/__init__.py": gpl.format("MediaApp", "MediaApp") + SHELL,
        "lib/webfw/__init__.py": '"""A web framework."""\n\nversion = "6.5.2"\nversion_info = (6, 5, 2, 0)\n',
    })
    assert vendored_packages(root) == {"lib/licensed", "lib/anidb", "lib/webfw"}  # (Tornado's `version = "6.5.2"`)
    result = run_scan(ScanOptions(paths=[str(root)], root=root), catalog)
    kinds = {f.location.path: f.code_kind for f in result.findings if f.rule_id == "PY101"}
    assert kinds["lib/anidb/__init__.py"] == "vendored" and kinds["lib/mediaapp_futures/__init__.py"] == ""

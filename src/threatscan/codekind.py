"""What kind of code a path holds, told by its name alone: test code and example code (one vocabulary for the
findings' tail, the secret rules and the data flow's search for callers).

Test code: a directory named `tests`, `test`, `testing`, `unittests`, `e2e` or `e2etests` (also `e2e_<what>`/
`e2e-<what>`, and `functionaltests`, `integrationtests`, `integtests`, `acceptancetests`, `systemtests`, `loadtest(s)`), or
one whose name ends in `_tests`/`-tests` (`integration_tests/`, `end_to_end_tests/`, `e2e-tests/`) or
`_testing`/`-testing` (`stress_testing/`), or a pytest plug-in's package `pytest_<what>/`; test doubles
and test automation: `mocks/`, a mock server (`mockserver(s)`, `mockservice(s)`, `mock_services`...), nox's
`noxfiles/` and `noxfile.py`; benchmarks: `benchmarks/` and a directory named `<what>-benchmark(s)` or
`<what>_benchmark(s)` (a benchmark package; not a bare `benchmark/`, a feature's name in DefectDojo); a file
`test_*.py`, `*_test.py`, `*_tests.py`, `conftest.py`, a Django app's `tests.py`/`test.py`, or a package's test support
`testing.py`/`testutils.py`; behave's `features/steps/` and `features/environment.py`. Example code: a directory
`examples`, `example`, `docs` or `documentation`, or one named `example_<what>`/`examples_<what>` (a plugin written to show an API,
like ckan's `ckanext/example_*`) or `<what>.examples`/`<what>.example` (`local.d.examples/`, snippets to copy into
`local.d/`), and a file whose name marks it as a copy to edit: `configuration.example.py`,
`settings.sample.py`, `config.dist.py`, `local_settings_example.py`. A Django management command that makes demo or
test data (`management/commands/generate_test_data.py`, `dummy-generator.py`) is test code too.

A `qa/` directory is test code only when it is no Python package (no `qa/__init__.py`: QA scripts and scenarios
run from the source tree), because a Django question-and-answer app is called `qa` too (`in_qa_dir`; the findings'
tail knows the repository's files); so are `sample/` and `samples/` (sample applications, not a samples app). Names left out on purpose, because production code carries them: `ci/`
(pagure's CI API), `benchmark/` (DefectDojo's benchmark feature), `mock/`, `bench/`, `*_examples/`
(aws-sra-examples' deployed solutions)."""

from __future__ import annotations

import posixpath
import re

TEST_DIRS = frozenset({"tests", "test", "testing", "unittests", "e2e", "loadtest", "loadtests", "loadtesting",
                       "e2etests", "e2etest", "functionaltests", "integrationtests", "acceptancetests", "systemtests",
                       "integtests", "integtest",  # (genai-llm-chatbot's integration tests, §3y)
                       "mocks", "mockserver", "mockservers", "mockservice", "mockservices", "mock_server",
                       "mock_servers", "mock_services", "mock-server", "mock-services", "noxfiles", "benchmarks",
                       "testproject", "testapp", "testsite", "testproj",
                       # CI configuration and the scripts and projects it runs (`.github/upgrade-test/...`)
                       ".github", ".gitlab", ".circleci", ".buildkite", ".azure-pipelines"})
TEST_DIR_SUFFIXES = ("_tests", "-tests", "-benchmark", "-benchmarks", "_benchmark", "_benchmarks",
                     "_testing", "-testing")  # (stress_testing/, load-testing/)
# e2e_suite/, e2e-playwright/: end-to-end tests; test_project/, test_utils/: named as test files are (Django's
# convention for the project a reusable app's test suite runs)
# (mock_oidc_provider/: a stand-in identity provider for local runs and end-to-end tests, fecfile's)
TEST_DIR_PREFIXES = ("e2e_", "e2e-", "test_", "test-", "pytest_", "mock_", "mock-")  # (pytest_pootle/: a pytest plug-in)
# (`testing.py`, `testutils.py`: a package's test support, its test server, fixtures and login helpers, which only
# its tests import: Flask's own `flask/testing.py`, King Phisher's, Open Humans' `common/testing.py`)
TEST_FILES = frozenset({"conftest.py", "tests.py", "test.py", "noxfile.py", "testing.py", "testutils.py"})
EXAMPLE_DIRS = frozenset({"examples", "example", "docs", "documentation"})
EXAMPLE_DIR_PREFIXES = ("example_", "examples_")


def is_test_dir(name: str) -> bool:
    name = name.lower()
    return name in TEST_DIRS or name.endswith(TEST_DIR_SUFFIXES) or name.startswith(TEST_DIR_PREFIXES)


def is_test_file(name: str) -> bool:
    stem, ext = posixpath.splitext(name.lower())
    # (a locust script, `locustfile.py`/`locustfile2.py`, drives a load test against a test deployment)
    # (`*_tests.py`: a module of unit tests named for what it tests, `token_authorizer_tests.py`)
    return name.lower() in TEST_FILES or (ext == ".py" and (stem.startswith(("test_", "locustfile"))
                                                            or stem.endswith(("_test", "_tests"))))


def is_test_path(path: str) -> bool:
    """Test code (not example code): a test directory anywhere in the path, a test file name, or a Django management
    command that makes demo or test data."""
    parts = path.split("/")
    return any(is_test_dir(p) for p in parts[:-1]) or is_test_file(parts[-1]) or is_demo_data_command(path) \
        or is_behave_file(parts)


def is_behave_file(parts: list[str]) -> bool:
    """behave's acceptance tests: step definitions in `features/steps/`, hooks in `features/environment.py`
    (mytardis §3x's users created by the steps)."""
    return any(p == "features" and (parts[i + 1:i + 2] == ["steps"] and i + 2 < len(parts)
                                    or parts[i + 1:] == ["environment.py"]) for i, p in enumerate(parts[:-1]))


# A Django management command named for making demo or test data: `generate_test_data`, `create_random_data`,
# `sample_data`, `devdata`, `dummy-generator-users`, `fake`, `import_demo`. Not `seed_basic_data` or
# `load_initial_data` (what a new production site starts with), not `test` alone (DefectDojo's
# `initialize_test_types`: tests are its data), not `createinitialadminuser`.
DEMO_COMMAND_WORDS = frozenset({"demo", "dummy", "fake", "devdata", "testdata", "sampledata"})
DATA_QUALIFIERS = frozenset({"test", "sample", "random", "dev"})


def is_demo_data_command(path: str) -> bool:
    parts = path.lower().split("/")
    if len(parts) < 3 or parts[-3:-1] != ["management", "commands"] or not parts[-1].endswith(".py"):
        return False
    words = set(re.split(r"[_\-.]", parts[-1][:-3]))
    return bool(words & DEMO_COMMAND_WORDS) or ("data" in words and bool(words & DATA_QUALIFIERS))


EXAMPLE_DIR_DOT_SUFFIXES = (".examples", ".example")


def is_example_dir(name: str) -> bool:
    return name in EXAMPLE_DIRS or name.startswith(EXAMPLE_DIR_PREFIXES) or name.lower().endswith(EXAMPLE_DIR_DOT_SUFFIXES)


EXAMPLE_FILE_PARTS = frozenset({"example", "sample", "dist"})  # not "template": `stack.template.yaml` is deployed
EXAMPLE_FILE_SUFFIXES = ("_example", "_sample", "-example", "-sample")


def is_example_file(name: str) -> bool:
    """A file a user copies and edits: `configuration.example.py` (a dot-separated part of the stem is `example`,
    `sample` or `dist`) or `settings_example.py`."""
    stem = posixpath.splitext(name.lower())[0]
    parts = stem.split(".")
    return (len(parts) > 1 and bool(EXAMPLE_FILE_PARTS.intersection(parts[1:]))) or stem.endswith(EXAMPLE_FILE_SUFFIXES)


# directories whose name says test or sample code only when they are no Python package: `qa/` (a Django
# question-and-answer app is one), `sample/`, `samples/` (a laboratory's samples app is one)
QA_DIRS = frozenset({"qa", "sample", "samples"})


def in_qa_dir(path: str, has_file) -> bool:
    """A path below a `qa/`, `sample/` or `samples/` directory that is no Python package (`has_file(rel)`: the
    repository holds that file): QA scripts seeding a local test database or sample applications showing an API
    (Assemblyline's `sample/obo_app.py`), not a question-and-answer or samples app (`qa/__init__.py`, `qa/models.py`)."""
    parts = path.split("/")[:-1]
    return any(p.lower() in QA_DIRS and not has_file("/".join(parts[: i + 1]) + "/__init__.py")
               for i, p in enumerate(parts))


# Copies of other projects kept in the tree (semgrep's default ignore list has the same directories): findings
# there are reported and tagged, but they are the other project's to fix and do not fail the default gate.
VENDORED_DIRS = frozenset({"vendor", "vendors", "_vendor", "vendored", "third_party", "thirdparty", "third-party",
                           "site-packages", "node_modules", "bower_components"})


def is_vendored_code(path: str) -> bool:
    return any(p.lower() in VENDORED_DIRS for p in path.split("/")[:-1])

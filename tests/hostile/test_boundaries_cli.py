"""The command line's boundaries: what a repository's configuration may name (only its own regular files, bounded
resources), file names that look like options, missing paths, a malformed environment, the permissions of the
outputs, and a scan stopped by SIGTERM (no orphaned workers, no new report beside an old one). Everything
hostile is generated here, in tmp_path."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

VULNERABLE = "import os\n\n\ndef handler(event, context):\n    os.system('ping ' + event['host'])\n"
SECRET_LINE = "root:x:0:0:canary-content-7d1f:/root:/bin/bash\n"


def run(cwd: Path, *args: str, env: dict | None = None, umask: int | None = None, timeout: int = 300):
    return subprocess.run([sys.executable, "-I", "-m", "threatscan.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})},
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "handler.py").write_text(VULNERABLE)
    (tmp_path / "outside.yaml").write_text(SECRET_LINE)
    return root


@pytest.mark.parametrize("key, value", [
    ("threat-model", "/etc/passwd"),
    ("threat-model", "../outside.yaml"),
    ("threat-model", "sub/../../outside.yaml"),
    ("baseline", "../outside.yaml"),
    ("baseline", "/etc/passwd"),
    ("threat-model", "~/outside.yaml"),
])
def test_repository_config_cannot_name_files_outside_it(repo, key, value):
    (repo / ".threatscan.toml").write_text(f"{key} = {json.dumps(value)}\n")
    out = run(repo, "scan", ".")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "repository" in out.stderr
    assert "canary-content" not in out.stdout + out.stderr and "root:" not in out.stdout + out.stderr


def test_repository_files_that_link_outside_are_not_read(repo, tmp_path):
    (repo / "threatmodel.yaml").symlink_to(tmp_path / "outside.yaml")
    out = run(repo, "scan", ".")
    assert out.returncode == 2 and "outside the repository" in out.stderr
    assert "canary-content" not in out.stdout + out.stderr
    (repo / "threatmodel.yaml").unlink()
    (repo / "link").symlink_to(tmp_path)
    (repo / ".threatscan.toml").write_text('baseline = "link/outside.yaml"\n')
    out = run(repo, "scan", ".")
    assert out.returncode == 2 and "outside the repository" in out.stderr
    (repo / ".threatscan.toml").unlink()
    (repo / ".threatscan.toml").symlink_to(tmp_path / "outside.yaml")
    out = run(repo, "scan", ".")
    assert out.returncode == 2 and "canary-content" not in out.stdout + out.stderr


def test_command_line_flags_may_point_outside(repo, tmp_path):
    (tmp_path / "model.yaml").write_text("version: 1\nsystem: Shop\nthreats:\n  - id: SHOP-1\n    title: t\n"
                                         "    stride: [tampering]\n    controls: [PY102]\n")
    out = run(repo, "scan", ".", "--threat-model", str(tmp_path / "model.yaml"), "--format", "json")
    assert out.returncode == 1, out.stderr
    assert "SHOP-1" in json.loads(out.stdout)["findings"][0]["threats"]


@pytest.mark.parametrize("how", ["fifo-config", "fifo-threatmodel", "fifo-baseline", "dev-zero-baseline",
                                 "dev-zero-threat-model", "dev-zero-config", "huge-threat-model"])
def test_only_bounded_regular_files_are_read(repo, how):
    """A FIFO would block forever, /dev/zero never ends: each is refused without reading (the subprocess
    timeout guards against a hang)."""
    args = ["scan", "."]
    if how == "fifo-config":
        os.mkfifo(repo / ".threatscan.toml")
    elif how == "fifo-threatmodel":
        os.mkfifo(repo / "threatmodel.yaml")
    elif how == "fifo-baseline":
        os.mkfifo(repo / "base.json")
        (repo / ".threatscan.toml").write_text('baseline = "base.json"\n')
    elif how == "dev-zero-baseline":
        args += ["--baseline", "/dev/zero"]
    elif how == "dev-zero-threat-model":
        args += ["--threat-model", "/dev/zero"]
    elif how == "dev-zero-config":
        args += ["--config", "/dev/zero"]
    elif how == "huge-threat-model":
        with open(repo / "threatmodel.yaml", "wb") as fh:
            fh.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    out = run(repo, *args, timeout=120)
    if how == "fifo-threatmodel":  # not a file: not taken for the threat model (and never opened)
        assert out.returncode == 1, out.stdout + out.stderr
    else:
        assert out.returncode == 2, out.stdout + out.stderr
        assert "not a regular file" in out.stderr or "limit" in out.stderr
    assert "Traceback" not in out.stderr and "MemoryError" not in out.stderr


def test_jobs_in_repository_config_are_capped(repo):
    for i in range(120):
        (repo / f"m{i}.py").write_text("x = 1\n")
    (repo / ".threatscan.toml").write_text("jobs = 100000\n")
    out = run(repo, "scan", ".", "--verbose", "--fail-on", "none")
    assert out.returncode == 0, out.stderr
    processes = int(out.stderr.split(" s with ")[1].split(" process")[0])
    assert 1 <= processes <= len(os.sched_getaffinity(0))


def test_max_file_bytes_in_repository_config_is_capped(repo):
    from threatscan.config import MAX_CONFIG_FILE_BYTES, load_config

    (repo / ".threatscan.toml").write_text("max-file-bytes = 100000000000\n")
    assert load_config(repo).max_file_bytes == MAX_CONFIG_FILE_BYTES


def test_a_file_named_like_an_option_after_double_dash_is_a_file(repo):
    (repo / "--baseline=x.json").write_text(
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"G": {"Type": "AWS::EC2::SecurityGroup", '
        '"Properties": {"GroupDescription": "g", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, '
        '"ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}\n')
    out = run(repo, "scan", "--format", "json", "--", "--baseline=x.json", "handler.py")
    assert out.returncode == 1, out.stderr
    paths = {f["location"]["path"] for f in json.loads(out.stdout)["findings"]}
    assert paths == {"--baseline=x.json", "handler.py"}


def test_a_missing_path_is_a_usage_error_unless_allowed(repo):
    out = run(repo, "scan", "/nonexistent/dir")
    assert out.returncode == 2 and "/nonexistent/dir" in out.stderr
    out = run(repo, "scan", ".", "no-such-file.py")
    assert out.returncode == 2
    out = run(repo, "scan", "/nonexistent/dir", "--allow-missing")
    assert out.returncode == 0, out.stderr
    assert "does not exist" in out.stdout + out.stderr


@pytest.mark.parametrize("value", ["abc", "-5", "0", "1e3", "９"])
def test_a_malformed_peer_timeout_is_a_clear_usage_error(repo, value):
    out = run(repo, "scan", ".", "--engines", "bandit", env={"THREATSCAN_PEER_TIMEOUT": value})
    assert out.returncode == 2, out.stderr
    assert "THREATSCAN_PEER_TIMEOUT" in out.stderr and "Traceback" not in out.stderr
    # a command that runs no peer does not care
    out = run(repo, "scan", ".", "--engines", "native", env={"THREATSCAN_PEER_TIMEOUT": value})
    assert out.returncode == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_respect_the_umask(repo, tmp_path, umask, mode):
    out = run(repo, "scan", ".", "-f", "sarif", "-o", str(tmp_path / "out.sarif"), "-f", "json",
              "-o", str(tmp_path / "out.json"), umask=umask)
    assert out.returncode == 1, out.stderr
    for name in ("out.sarif", "out.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
    base = run(repo, "baseline", "write", str(tmp_path / "base.json"), ".", umask=umask)
    assert base.returncode == 0, base.stderr
    assert stat.S_IMODE((tmp_path / "base.json").stat().st_mode) == mode


def test_outputs_are_written_all_or_none(tmp_path):
    from threatscan.cli import write_outputs

    (tmp_path / "out.sarif").write_text("OLD")
    (tmp_path / "blocker").write_text("a file where a directory should be")
    with pytest.raises(OSError):
        write_outputs([(str(tmp_path / "out.sarif"), "NEW"), (str(tmp_path / "blocker" / "out.json"), "NEW")])
    assert (tmp_path / "out.sarif").read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "out.sarif"]  # no temporary left behind
    write_outputs([(str(tmp_path / "out.sarif"), "NEW"), (str(tmp_path / "out.json"), "NEW")])
    assert (tmp_path / "out.sarif").read_text() == (tmp_path / "out.json").read_text() == "NEW"


def test_a_failed_rename_puts_back_the_outputs_already_replaced(tmp_path, monkeypatch):
    from threatscan import cli

    for name in ("out.sarif", "out.json"):
        (tmp_path / name).write_text("OLD")
    real, calls = os.replace, []

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(cli.os, "replace", second_fails)
    with pytest.raises(OSError):
        cli.write_outputs([(str(tmp_path / "out.sarif"), "NEW"), (str(tmp_path / "out.json"), "NEW")])
    assert (tmp_path / "out.sarif").read_text() == (tmp_path / "out.json").read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.sarif"]


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                out.add(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_workers_and_leaves_old_reports_untouched(repo, tmp_path, signum):
    body = "".join(f"def f{i}(event):\n    import os\n    os.system('x' + event['q{i}'])\n    return eval(event['e'])\n\n"
                   for i in range(150))
    for i in range(160):
        (repo / f"mod{i}.py").write_text(body)
    (tmp_path / "out.sarif").write_text("OLD")
    (tmp_path / "out.json").write_text("OLD")
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err_file:
        proc = subprocess.Popen([sys.executable, "-I", "-m", "threatscan.cli", "scan", ".", "-j", "2", "-f", "sarif",
                                 "-o", str(tmp_path / "out.sarif"), "-f", "json", "-o", str(tmp_path / "out.json")],
                                cwd=repo, stdout=subprocess.DEVNULL, stderr=err_file)
    workers: set[int] = set()
    try:
        for _ in range(6000):  # until the pool has started (bounded by iterations, not by a clock assertion)
            workers = _children(proc.pid)
            if len(workers) >= 2 or proc.poll() is not None:
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            pytest.skip("the scan finished before its workers could be seen")
        proc.send_signal(signum)
        proc.wait(timeout=120)
        for _ in range(500):
            if not any(_alive(w) for w in workers):
                break
            time.sleep(0.01)
        orphans = [w for w in workers if _alive(w)]
    finally:
        for w in workers:  # whatever happened, leave no process of this test behind
            if _alive(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
    err = log.read_text()
    assert proc.returncode == 128 + signum, err
    assert "stopped by a signal" in err
    assert not orphans, "orphaned scan workers"
    assert (tmp_path / "out.sarif").read_text() == "OLD" and (tmp_path / "out.json").read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_signal_whose_exception_is_replaced_while_unwinding_still_exits_as_stopped(repo, tmp_path):
    # The race CI met: SIGTERM arrives while the worker pool starts; the pool's shutdown then fails joining a
    # thread the signal kept from starting, and that RuntimeError replaced the signal's exit (exit 2, "failed").
    (tmp_path / "out.sarif").write_text("OLD")
    script = (
        "import signal, sys\n"
        "import threatscan.cli as cli, threatscan.scan as scan\n"
        "cli._children = lambda: []\n"
        "def failing_scan(options, catalog):\n"
        "    try:\n"
        "        cli._on_signal(signal.SIGTERM, None)\n"
        "    except SystemExit:\n"
        "        raise RuntimeError('cannot join thread before it is started')\n"
        "scan.run_scan = failing_scan\n"
        f"sys.argv = ['threatscan', 'scan', '.', '-f', 'sarif', '-o', {str(tmp_path / 'out.sarif')!r}]\n"
        "cli.main()\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert "stopped by a signal" in proc.stderr and "the scan failed" not in proc.stderr
    assert (tmp_path / "out.sarif").read_text() == "OLD"


def test_a_signal_whose_unwinding_hangs_still_ends_the_scan(tmp_path):
    """A signal raised inside a worker pool's locks can leave the pool's shutdown waiting forever: the handler arms
    a watchdog that ends the process with 128+N and says so, with no report written. Simulated: a process whose main
    thread takes SIGTERM through threatscan's handler, then blocks on a lock it can never get."""
    code = (
        "import os, signal, threading, sys\n"
        "import threatscan.cli as cli\n"
        "cli.UNWIND_SECONDS = 0.5\n"
        "cli._MAIN_PID, cli._SIGNALLED = os.getpid(), None\n"
        "signal.signal(signal.SIGTERM, cli._on_signal)\n"
        "lock = threading.Lock(); lock.acquire()\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "except cli._Terminated:\n"
        "    lock.acquire()  # the unwinding hangs here, as a pool's shutdown can\n"
    )
    import threatscan

    src = str(Path(threatscan.__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": src})
    assert done.returncode == 128 + signal.SIGTERM
    assert "stopped by a signal (exit 143); no report was written" in done.stderr

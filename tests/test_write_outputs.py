"""Reports written to a device or a pipe (`-o /dev/null`, `-o /dev/stdout`) go through it: the atomic rename used for
files would replace the device itself with a regular file (as root: /dev/null for every process on the machine)."""

from __future__ import annotations

import os
import stat
import threading

from threatscan.cli import write_outputs


def test_a_pipe_target_stays_a_pipe_and_receives_the_report_while_files_are_still_written(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_outputs([(str(fifo), '{"findings": []}\n'), (str(tmp_path / "out.sarif"), "sarif\n")])
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received == ['{"findings": []}\n']
    assert (tmp_path / "out.sarif").read_text() == "sarif\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

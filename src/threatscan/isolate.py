"""Run a piece of work where a crash or a hang costs only that piece: a forked child process with a time and an
address-space limit. Used for native parsers, which can overflow their stack (SIGSEGV) on hostile input, leaving
no Python exception to catch.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from typing import Any, Callable


class ChildFailed(Exception):
    """The child died (a signal), ran out of time or memory, or sent nothing back. str() says which."""


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def run_in_child(work: Callable[[], Any], timeout: float, memory: int | None = None) -> Any:
    """work() in a forked child; its (picklable) result, or ChildFailed. An exception work() raises is re-raised."""
    import pickle  # here, before the fork (the child finds it loaded): a scan that never isolates never imports it

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_end)
            _limit_memory(memory)
            payload = _deep(lambda: _outcome(work))
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if timed_out:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise ChildFailed(f"ran past the {timeout:g} s limit")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        raise ChildFailed(f"crashed ({name})")
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:
        raise ChildFailed(f"exited with status {os.WEXITSTATUS(status)} and no result") from None
    if kind == "memory":
        raise ChildFailed("ran out of memory" + (f" (limit {memory // 1048576} MiB)" if memory else ""))
    if kind == "recursion":
        raise ChildFailed("recursed too deeply")
    if kind == "raise":
        raise value
    return value


def _outcome(work: Callable[[], Any]) -> bytes:
    import pickle

    try:
        return pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("memory", None))
    except RecursionError:
        return pickle.dumps(("recursion", None))
    except BaseException as exc:  # sent back to be raised in the parent
        try:
            return pickle.dumps(("raise", exc))
        except Exception:
            return pickle.dumps(("raise", RuntimeError(f"{exc.__class__.__name__}: {exc}")))


# Deep trees (a long expression chain is a deep tree) recurse in the converter and in pickle: in the child, the
# work runs on a thread with a large stack and a recursion limit to match. The child is discarded afterwards.
_CHILD_RECURSION = 60_000
_CHILD_STACK = 512 * 1024 * 1024


def _deep(job: Callable[[], bytes]) -> bytes:
    import pickle
    import threading

    result: list[bytes] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), _CHILD_RECURSION))
    try:
        threading.stack_size(_CHILD_STACK)
    except (ValueError, RuntimeError):  # pragma: no cover - a platform without settable stacks
        return job()
    worker = threading.Thread(target=lambda: result.append(job()), name="threatscan-isolated")
    worker.start()
    worker.join()
    return result[0] if result else pickle.dumps(("recursion", None))


def _limit_memory(extra: int | None) -> None:
    if not extra:
        return
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = current + extra
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ImportError, OSError, ValueError):
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

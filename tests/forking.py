"""Asking a question in a forked child process (what a forked RQ work-horse would see)."""

from __future__ import annotations

import os


def answer_in_child(question) -> bool:
    """Fork, evaluate ``question()`` in the child and return its truth in the parent; the child exits at
    once without running the parent's cleanup (``os._exit``). An exception in the child answers False."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            answer = b"yes" if question() else b"no"
        except BaseException:
            answer = b"no"
        try:
            os.write(write_end, answer)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        return os.read(read_end, 16) == b"yes"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)

"""Drive real Pyodide interpreters in a Node.js child process.

One Node process lives for the whole session; each test gets a fresh
interpreter inside it (about 0.3 s from a snapshot of a booted one: ``pyodide_runner.mjs``), so no state leaks between tests.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import textwrap
import threading
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).with_name("pyodide_runner.mjs")
REPO_ROOT = Path(__file__).resolve().parents[2]


class PyodideError(Exception):
    """Python code raised inside Pyodide; carries the remote type and traceback."""

    def __init__(self, answer: dict) -> None:
        self.type = answer.get("type", "")
        self.qualname = answer.get("qualname", "")
        self.message = answer.get("message", "")
        self.traceback = answer.get("traceback", "")
        super().__init__(f"{self.type}: {self.message}\n{self.traceback}")


class NodeRunner:
    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["node", str(RUNNER)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        hello = self._read()
        if not hello.get("ready"):
            raise RuntimeError(f"pyodide runner did not start: {hello}")

    def _read(self) -> dict:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not result or not result[0]:
            raise RuntimeError(f"pyodide runner gave no answer within {self.timeout} s (exit code {self.proc.poll()})")
        return json.loads(result[0])

    def call(self, **msg: Any) -> dict:
        with self._lock:
            msg["id"] = next(self._ids)
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
            answer = self._read()
            assert answer["id"] == msg["id"], answer
            return answer

    def new_interpreter(self, lock_file: Path, load: list[str] | None = None) -> "Interpreter":
        answer = self.call(op="new", lockFileURL=str(lock_file), load=load if load is not None else ["micropip"])
        if not answer["ok"]:
            raise RuntimeError(f"could not start Pyodide: {answer['message']}")
        return Interpreter(self, answer["interp"])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Interpreter:
    """A fresh Pyodide interpreter; ``run`` returns the last expression's value."""

    def __init__(self, runner: NodeRunner, interp: int) -> None:
        self.runner = runner
        self.interp = interp

    def run(self, code: str) -> Any:
        answer = self.runner.call(op="run", interp=self.interp, code=textwrap.dedent(code))
        if not answer["ok"]:
            raise PyodideError(answer)
        return answer["value"]

    def drop(self) -> None:
        self.runner.call(op="drop", interp=self.interp)


def node_env_ok() -> bool:
    return (REPO_ROOT / "node_modules" / "pyodide" / "pyodide.mjs").exists() and bool(os.environ.get("PATH"))

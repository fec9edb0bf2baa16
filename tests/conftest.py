"""Shared fixtures: the local stack started exactly as a newcomer starts it, with `make dev`."""

import os
import pathlib
import signal
import socket
import subprocess
import itertools
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
READY = "make dev: ready"
# The first `make dev` may build the functions; later ones find them built.
START_TIMEOUT = 900
STOP_TIMEOUT = 30
_runs = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """One `make dev`, in a session of its own so that it can be stopped like Ctrl-C does."""

    def __init__(self, data_dir: pathlib.Path, api_key: str | None, port: int | None = None,
                 store_port: int | None = None, fresh: bool = False, extra_env: dict | None = None):
        self.data_dir = data_dir
        self.api_key = api_key
        self.port = port or free_port()
        self.store_port = store_port or free_port()
        self.fresh = fresh
        self.extra_env = extra_env or {}
        self.log_path = data_dir.parent / f"make-dev-{next(_runs)}.log"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        env.pop("API_KEY", None)
        env.update(DEV_PORT=str(self.port), DEV_STORE_PORT=str(self.store_port),
                   DEV_DATA_DIR=str(self.data_dir), DEV_FRESH="1" if self.fresh else "")
        if self.api_key:
            env["API_KEY"] = self.api_key
        env.update(self.extra_env)
        return env

    def start(self) -> "Stack":
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(["make", "dev"], cwd=ROOT, env=self.env(), stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> "Stack":
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if READY in self.output() and port_open(self.port):
                return self
            if self.process.poll() is not None:
                raise AssertionError(f"make dev exited {self.process.returncode}:\n{self.output()}")
            time.sleep(0.5)
        raise AssertionError(f"make dev was not ready in {START_TIMEOUT}s:\n{self.output()}")

    def wait_exit(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the foreground process group, then wait for everything to stop.
        Returns make's exit status: make ends itself with SIGINT once its recipe has stopped."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if hasattr(self, "log"):
            self.log.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1{path}"

    def leftover_processes(self) -> list[str]:
        """Processes still pointed at this stack's store: the function instances watch started."""
        marker = f"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:{self.store_port}".encode()
        found = []
        for proc in pathlib.Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
        return found


@pytest.fixture
def stack_factory(tmp_path):
    """Starts stacks for one test and stops, for certain, every one of them afterwards."""
    started: list[Stack] = []

    def make(**kwargs) -> Stack:
        kwargs.setdefault("data_dir", tmp_path / "data")
        kwargs.setdefault("api_key", None)
        stack = Stack(**kwargs)
        started.append(stack)
        return stack.start()

    yield make
    for stack in started:
        stack.kill()

"""A real Celery worker process for tests about async behaviour (not eager mode)."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

from portal.celery import app

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    """`beat=True` runs the periodic tasks too (embedded beat with a file schedule in `mail_dir`'s
    folder); `env` adds settings (e.g. METERING_INTERVAL_SECONDS) for the worker process."""

    def __init__(self, mail_dir: Path, *, beat: bool = False, env: dict | None = None, purge: bool = True):
        self.mail_dir = mail_dir
        self.beat = beat
        self.env = env or {}
        self.purge = purge
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []

    def start(self) -> "Worker":
        if self.purge:
            app.control.purge()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": _database_url(),
            "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "TEST_EMAIL_DIR": str(self.mail_dir),
            **self.env,
        }
        beat = (
            [
                "--beat",
                "--scheduler",
                "celery.beat:PersistentScheduler",
                "--schedule",
                str(self.mail_dir.parent / "beat-schedule"),
            ]
            if self.beat
            else []
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--queues",
                "portal-test",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                *beat,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: the embedded beat is a child process
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.output.append(line)
            if "ready." in line:
                threading.Thread(target=self._drain, daemon=True).start()
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("celery worker exited: " + self.proc.stdout.read())
        self.stop()
        raise RuntimeError("celery worker did not start")

    def _drain(self) -> None:
        """Keep reading the worker's output so a chatty worker never blocks on a full pipe."""
        for line in self.proc.stdout:
            self.output.append(line)

    def kill(self) -> None:
        """kill -9 of the worker and its embedded beat: no warm shutdown, unacknowledged tasks stay
        in the broker (killing only the worker would leave beat running as an orphan)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever is left of the group (beat)
        self.proc.wait(timeout=10)

    def wait_for_mail(self, count: int, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = sorted(self.mail_dir.glob("*.log"))
            if len(files) >= count:
                return [f.read_text() for f in files]
            time.sleep(0.2)
        raise AssertionError(f"expected {count} emails, got {len(list(self.mail_dir.glob('*.log')))}")


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"

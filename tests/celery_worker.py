"""A real Celery worker process for tests about async behaviour (not eager mode)."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from portal.celery import app

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    def __init__(self, mail_dir: Path):
        self.mail_dir = mail_dir
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Worker":
        app.control.purge()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": _database_url(),
            "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "TEST_EMAIL_DIR": str(self.mail_dir),
        }
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
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if "ready." in line:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("celery worker exited: " + self.proc.stdout.read())
        raise RuntimeError("celery worker did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

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

"""Settings for `make demo` and local development: works with no database or broker server."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="demo-only-insecure-key-change-me-in-production-0123456789")
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "broker" / "queue").mkdir(parents=True, exist_ok=True)
(VAR_DIR / "broker" / "processed").mkdir(parents=True, exist_ok=True)

"""Settings for `make demo` and local development: works with no database or broker server."""

from .base import *  # noqa: F403
from .base import CONTENT_SECURITY_POLICY, VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="demo-only-insecure-key-change-me-in-production-0123456789")
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "broker" / "queue").mkdir(parents=True, exist_ok=True)
(VAR_DIR / "broker" / "processed").mkdir(parents=True, exist_ok=True)

# Top-ups go to the Stripe stand-in that `make demo` starts (no network needed).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_demo_standin")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_demo_standin")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:12111")
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(STRIPE_API_BASE)  # the stand-in's checkout page
STRIPE_PAYMENT_METHODS = env.list("STRIPE_PAYMENT_METHODS", default=["card", "alipay", "wechat_pay"])

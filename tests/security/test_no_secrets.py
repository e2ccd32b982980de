"""No secret in the repository: every file git would commit is scanned for real-looking credentials.

The demo and the tests use made-up values that cannot be real (`sk_test_demo_standin`,
`whsec_test_standin_secret`, the TOTP secret in the README); real keys are long random strings,
which is what the patterns look for.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "Stripe secret or restricted key": re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{20,}"),
    "Stripe webhook secret": re.compile(r"\bwhsec_[0-9A-Za-z+/]{24,}"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[0-9A-Za-z/+]{40}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}"),
}
SECRET_FILE_NAMES = re.compile(r"(^|/)(\.env(\.[a-z]+)?|id_(rsa|ed25519|ecdsa)|[^/]+\.(pem|key|p12|pfx))$")
# A literal Django SECRET_KEY is allowed only where it is documented as not secret.
SECRET_KEY_LITERAL = re.compile(r"""\bSECRET_KEY\s*=\s*(?:env\([^)]*default=)?(["'])[^"']+\1""")
SECRET_KEY_ALLOWED = {"portal/settings/test.py", "portal/settings/local.py"}


def files_git_would_commit() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


def findings(name: str, text: str) -> list[str]:
    found = [f"{name}: {what}" for what, pattern in SECRETS.items() if pattern.search(text)]
    if SECRET_KEY_LITERAL.search(text) and name not in SECRET_KEY_ALLOWED and not name.startswith("tests/"):
        found.append(f"{name}: literal SECRET_KEY")
    return found


def test_no_file_in_the_repository_holds_a_secret():
    names = files_git_would_commit()
    assert len(names) > 100
    problems = [f"{name}: a secret's file name" for name in names if SECRET_FILE_NAMES.search(name)]
    for name in names:
        data = (ROOT / name).read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images, compiled catalogues)
        problems += findings(name, data.decode("utf-8", errors="replace"))
    assert problems == []


@pytest.mark.parametrize(
    "text",
    [
        "STRIPE_SECRET_KEY = 'sk_" + "live_" + "51HxQmFAKEfake0123456789abcdefABCDEF'",
        "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLSL8",
        "-----BEGIN " + "RSA PRIVATE KEY-----",
        "-----BEGIN " + "OPENSSH PRIVATE KEY-----",
        "AKIA" + "IOSFODNN7EXAMPLE",
        "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "token: ghp_" + "a" * 36,
        "SECRET_KEY = " + "'django-insecure-abc'",
    ],
)
def test_the_scan_finds_real_looking_secrets(text):
    assert findings("portal/settings/production.py", text)


@pytest.mark.parametrize(
    "text",
    [
        'STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_demo_standin")',
        'settings.STRIPE_WEBHOOK_SECRET = "whsec_test_standin_secret"',
        'SECRET_KEY = env("SECRET_KEY")',
        "sk_live_example",
    ],
)
def test_the_documented_test_only_values_pass(text):
    assert findings("portal/settings/base.py", text) == []

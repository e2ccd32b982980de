"""Both languages: the zh_Hans catalogue covers every string, and pages render in Chinese."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from tenants.roles import Role, TenantKind
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def test_zh_hans_catalogue_is_complete_and_current(tmp_path):
    """Extract the strings from a copy of the source and require each to be translated."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "tests", "*.mo"))
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore", "static/*"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings.local"},
    )
    assert result.returncode == 0, result.stderr
    po = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]
    assert not missing, f"untranslated strings (run `make makemessages` and translate): {missing[:20]}"
    for entry in po:
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(text)), entry.msgid


class VisibleText(HTMLParser):
    SKIP = {"script", "style", "code", "pre"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        attrs = dict(attrs)
        for name in ("placeholder", "aria-label", "title"):
            if attrs.get(name):
                self.chunks.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.chunks.append(data)


# Words that are the same in both languages: names, brands, formats.
ALLOWED = {
    "English",
    "API",
    "Api-Key",
    "htmx",
    "Chengdu",
    "Test",
    "Company",
    "Person",
    "example",
    "com",
    "csrfmiddlewaretoken",
}
ENGLISH_WORD = re.compile(r"\b[A-Za-z][a-z]{3,}\b")


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    text = re.sub(r"\S+@\S+", " ", text)  # email addresses
    return {w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED}


@pytest.fixture
def zh_clients(db):
    company = TenantFactory(kind=TenantKind.COMPANY, name_en="Test Company")
    operator = TenantFactory(kind=TenantKind.OPERATOR, name_en="Test Company")
    gov = TenantFactory(kind=TenantKind.GOVERNMENT, name_en="Test Company")
    clients = {}
    for tenant, role in ((company, Role.OWNER), (operator, Role.STAFF), (gov, Role.PROGRAM_MANAGER)):
        client = member_client(MembershipFactory(tenant=tenant, role=role))
        client.cookies["django_language"] = "zh-hans"
        clients[tenant.kind] = client
    anon = member_client(MembershipFactory(tenant=company, role=Role.VIEWER))
    anon.logout()
    anon.cookies["django_language"] = "zh-hans"
    clients["anonymous"] = anon
    return clients


PAGES = [
    ("anonymous", "landing"),
    ("anonymous", "account_login"),
    ("anonymous", "account_signup"),
    ("anonymous", "account_reset_password"),
    ("anonymous", "catalog:browse"),
    ("anonymous", "catalog:partners"),
    ("anonymous", "catalog:compatibility"),
    ("anonymous", "catalog:compare"),
    ("company", "catalog:favourites"),
    ("company", "dashboard"),
    ("company", "tenants:members"),
    ("company", "tenants:api-keys"),
    ("company", "tenants:organisation"),
    ("company", "audit:list"),
    ("company", "notifications:list"),
    ("company", "tenants:onboarding"),
    ("company", "account_email"),
    ("company", "account_change_password"),
    ("company", "mfa_index"),
    ("government", "dashboard"),
    ("operator", "dashboard"),
    ("operator", "tenants:operator-tenants"),
]


@pytest.mark.parametrize("who,name", PAGES)
def test_pages_are_in_chinese(who, name, zh_clients):
    response = zh_clients[who].get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert not english_words(html), f"English left on {name}: {sorted(english_words(html))}"


def test_browser_language_is_respected(db, client):
    response = client.get(reverse("landing"), headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-hans">' in response.content.decode()


def test_language_switch_persists(db, client):
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get(reverse("landing")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get(reverse("landing")).content.decode()

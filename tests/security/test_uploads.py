"""Every way a file comes in has a size and a type check.

The inventory test lists each place in the code that declares or reads an upload; a new one fails it
until its checks are added here. Whole requests over MAX_REQUEST_BYTES are refused unread
(tests/portal/test_upload_limit.py).
"""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.services.imports import MAX_UPLOAD_BYTES as IMPORT_MAX_BYTES
from catalog.services.imports import ImportFileError, parse_listings_file
from jobs.schema_forms import read_upload
from payments.receipts import MAX_RECEIPT_BYTES, receipt_check
from vouchers.forms import MAX_ATTACHMENTS, ApplicationForm

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = re.compile(r"FileField\(|FileInput\(|request\.FILES")
PDF = b"%PDF-1.7\n"
PNG = b"\x89PNG\r\n\x1a\n"
HTML = b"<html><script>alert(1)</script></html>"

# file → (places, what checks them)
KNOWN = {
    "catalog/models.py": (1, "Partner logo: no form, serializer or admin accepts it (operators set it by hand)"),
    "catalog/forms.py": (2, "listing import: parse_listings_file (extension, 2 MB, CSV text or XLSX workbook)"),
    "catalog/views_partner.py": (1, "ImportForm, as above"),
    "catalog/api/partner_serializers.py": (1, "listing import API: parse_listings_upload (2 MB, then as above)"),
    "jobs/schema_forms.py": (5, "launch data files and item files: read_upload (byte limit, decodable text)"),
    "jobs/views.py": (1, "the launch schema form, as above"),
    "vouchers/models.py": (1, "ApplicationForm.clean_attachments"),
    "vouchers/forms.py": (5, "validate_attachments (count, 10 MB, PDF/JPG/PNG signature)"),
    "vouchers/views.py": (1, "ApplicationForm, as above"),
    "vouchers/api/serializers.py": (1, "validate_attachments in the API's application create, as above"),
    "payments/models.py": (1, "receipt_check"),
    "payments/forms.py": (2, "receipt_check (10 MB, PDF/JPG/PNG signature)"),
    "payments/api/serializers.py": (1, "receipt_check in bank_transfer_create"),
    "payments/views.py": (1, "BankTransferForm, as above"),
}


def upload_places() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", "var/", "bench/")) or "/migrations/" in relative:
            continue
        if count := len(UPLOAD.findall(path.read_text())):
            found[relative] = count
    return found


def test_every_upload_in_the_code_is_one_we_check():
    assert upload_places() == {path: places for path, (places, _how) in KNOWN.items()}


def big(name: str, head: bytes, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, head + b"0" * (size - len(head)))


@pytest.mark.parametrize(
    "upload, message",
    [
        (big("receipt.pdf", PDF, MAX_RECEIPT_BYTES + 1), "The receipt is too large; the limit is 10 MB."),
        (SimpleUploadedFile("receipt.html", HTML), "Upload the receipt as a PDF, JPG or PNG file."),
        (SimpleUploadedFile("receipt.pdf", HTML), "This file is not a real PDF file."),
        (SimpleUploadedFile("receipt.png", PDF), "This file is not a real PNG file."),
    ],
)
def test_bank_transfer_receipts(upload, message):
    with pytest.raises(ValidationError) as exc:
        receipt_check(upload)
    assert exc.value.message_dict == {"receipt": [message]}


@pytest.mark.parametrize(
    "files, message",
    [
        ([big("plan.pdf", PDF, MAX_RECEIPT_BYTES + 1)], "plan.pdf is too large; the limit is 10 MB."),
        ([SimpleUploadedFile("licence.pdf", HTML)], "licence.pdf is not a PDF, JPG or PNG file."),
        ([SimpleUploadedFile("licence.svg", b"<svg/>")], "licence.svg is not a PDF, JPG or PNG file."),
        ([SimpleUploadedFile(f"p{n}.png", PNG) for n in range(MAX_ATTACHMENTS + 1)], "Attach at most 5 files."),
    ],
)
def test_voucher_application_attachments(files, message):
    form = SimpleNamespace(cleaned_data={"attachments": files})
    with pytest.raises(ValidationError) as exc:
        ApplicationForm.clean_attachments(form)
    assert exc.value.messages == [message]


def test_voucher_application_attachments_that_pass():
    files = [SimpleUploadedFile("licence.pdf", PDF), SimpleUploadedFile("photo.png", PNG)]
    assert ApplicationForm.clean_attachments(SimpleNamespace(cleaned_data={"attachments": files})) == files


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("listings.exe", b"MZ", "Upload a .csv or .xlsx file."),
        ("listings.csv", b"a," * (IMPORT_MAX_BYTES // 2 + 1), "The file is too large (2.0 MB); the limit is 2 MB."),
        ("listings.csv", b"\x00\x01binary", "This is not a CSV text file."),
    ],
)
def test_listing_imports(name, data, message):
    with pytest.raises(ImportFileError) as exc:
        parse_listings_file(name=name, data=data)
    assert exc.value.message == message


def test_job_data_files():
    with pytest.raises(ValidationError) as too_large:
        read_upload(SimpleUploadedFile("data.csv", b"a,b\n" * 300), limit=1000)
    with pytest.raises(ValidationError) as binary:
        read_upload(SimpleUploadedFile("data.csv", PNG + b"\x00" * 64), limit=1000)
    assert too_large.value.code == "too_large"
    assert binary.value.code == "not_text"

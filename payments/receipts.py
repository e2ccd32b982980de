"""What a bank-transfer receipt may be: a PDF, JPEG or PNG of at most 10 MB.

The extension alone proves nothing, so the first bytes must match the format too."""

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

MAX_RECEIPT_BYTES = 10 * 1024 * 1024
SIGNATURES: dict[str, bytes] = {
    ".pdf": b"%PDF-",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".png": b"\x89PNG\r\n\x1a\n",
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


def receipt_check(upload: UploadedFile) -> None:
    """Raise ValidationError({"receipt": …}) unless the upload is an acceptable receipt."""
    if upload is None:
        raise ValidationError({"receipt": _("Attach the bank's receipt for the transfer.")})
    if upload.size is not None and upload.size > MAX_RECEIPT_BYTES:
        raise ValidationError(
            {"receipt": _("The receipt is too large; the limit is %(mb)d MB.") % {"mb": MAX_RECEIPT_BYTES // 1048576}}
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    signature = SIGNATURES.get(suffix)
    if signature is None:
        raise ValidationError({"receipt": _("Upload the receipt as a PDF, JPG or PNG file.")})
    upload.seek(0)
    head = upload.read(len(signature))
    upload.seek(0)
    if head != signature:
        raise ValidationError({"receipt": _("This file is not a real %(kind)s file.") % {"kind": suffix[1:].upper()}})


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(PurePath(name).suffix.lower(), "application/octet-stream")

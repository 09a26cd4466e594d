"""Receipt uploads: JPEG, PNG or PDF, recognised by their content.

The extension and the browser's content type are not trusted. Pictures are
re-encoded without metadata (GPS position, camera, owner); a PDF is kept as
sent, but one that carries scripts or launch actions is refused. The stored
name is random: the uploader's file name never reaches the disk.
"""

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import ReceiptInvalid

MAX_RECEIPT_BYTES = 10 * 1024 * 1024
MAX_SIDE = 3000
IMAGE_TYPES = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
PDF_TYPE = "application/pdf"
# Active content a receipt never needs.
PDF_REFUSED = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/XFA")


def receipt_clean(upload) -> tuple[SimpleUploadedFile, str]:
    """The file to store and its content type; raises ReceiptInvalid."""
    if upload is None:
        raise ReceiptInvalid(_("Attach the receipt."))
    if upload.size > MAX_RECEIPT_BYTES:
        raise ReceiptInvalid(_("The receipt is larger than 10 MB."))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return _pdf(upload), PDF_TYPE
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image(upload)
    raise ReceiptInvalid(_("Upload the receipt as a JPEG, PNG or PDF file."))


def _name(extension: str) -> str:
    return f"{uuid.uuid4().hex}.{extension}"


def _pdf(upload) -> SimpleUploadedFile:
    data = upload.read()
    if b"%%EOF" not in data[-2048:]:
        raise ReceiptInvalid(_("This PDF is incomplete or damaged."))
    if any(marker in data for marker in PDF_REFUSED):
        raise ReceiptInvalid(
            _("This PDF contains scripts or attachments: print it to a plain PDF.")
        )
    return SimpleUploadedFile(_name("pdf"), data, PDF_TYPE)


def _image(upload) -> tuple[SimpleUploadedFile, str]:
    try:
        with Image.open(upload) as original:
            kind = original.format
            if kind not in IMAGE_TYPES:
                raise ReceiptInvalid(
                    _("Upload the receipt as a JPEG, PNG or PDF file.")
                )
            picture = ImageOps.exif_transpose(original)
            picture.thumbnail((MAX_SIDE, MAX_SIDE))
            if kind == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            out = io.BytesIO()
            # No exif= and no info carried over: the new file has no metadata.
            picture.save(out, format=kind, quality=90)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ReceiptInvalid(_("This picture cannot be read.")) from error
    extension, content_type = IMAGE_TYPES[kind]
    return SimpleUploadedFile(_name(extension), out.getvalue(), content_type), (
        content_type
    )

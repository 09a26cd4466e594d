import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..exceptions import ProcessError

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_SIDE = 2000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def image_strip_metadata(upload) -> SimpleUploadedFile:
    """Re-encode an uploaded picture without EXIF (GPS position, camera, owner).

    The orientation is applied to the pixels first so the picture stays upright;
    large pictures are scaled down. Raises ProcessError for what is not a
    JPEG, PNG or WebP image, or is too large.
    """
    if upload.size > MAX_IMAGE_BYTES:
        raise ProcessError(_("The image is larger than 8 MB."))
    try:
        with Image.open(upload) as original:
            kind = original.format
            if kind not in FORMATS:
                raise ProcessError(_("Upload a JPEG, PNG or WebP image."))
            picture = ImageOps.exif_transpose(original)
            picture.thumbnail((MAX_SIDE, MAX_SIDE))
            if kind == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            out = io.BytesIO()
            # No exif= and no info carried over: the new file has no metadata.
            picture.save(out, format=kind, quality=85)
    except (UnidentifiedImageError, OSError) as error:
        raise ProcessError(_("This file is not an image that can be read.")) from error
    return SimpleUploadedFile(
        f"image.{FORMATS[kind]}", out.getvalue(), f"image/{FORMATS[kind]}"
    )

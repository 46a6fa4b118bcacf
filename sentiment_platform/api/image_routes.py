"""``/images/{name}``: a landed image, by the name a post's ``image_keys`` gives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from sentiment_platform.api.errors import responses
from sentiment_platform.api.parameters import IMAGE_NAME
from sentiment_platform.api.warehouse_reads import Reads
from sentiment_platform.lib.cleansing.image_validation import ImageRules
from sentiment_platform.lib.lake_layout import InvalidLakeKey, landing_image_key

IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
router = APIRouter()


@router.get(
    "/images/{name}",
    summary="A landed image, by the name a post's `image_keys` gives",
    response_class=Response,
    responses={200: {"content": {mime: {} for mime in sorted(set(IMAGE_TYPES.values()))}}, **responses(404, 422)},
)
def image(reads: Reads, name: Annotated[str, Path(pattern=IMAGE_NAME)]) -> Response:
    sha256, extension = name.split(".")
    if reads.storage is None:
        raise HTTPException(404, "this API serves no images (it was started without the lake)")
    key = landing_image_key(sha256, extension)
    try:
        # Only a file of the lake, no larger than an image may be: never a folder, a symlink
        # out of the lake, or a file too large to be one of the posts' images.
        if reads.storage.object_size(key) > ImageRules().max_bytes:
            raise FileNotFoundError(key)
        data = reads.storage.read_bytes(key)
    except (FileNotFoundError, InvalidLakeKey, PermissionError) as error:
        raise HTTPException(404, f"image {name} not found") from error
    # Content-addressed: the bytes behind a name never change.
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return Response(data, media_type=IMAGE_TYPES[extension], headers=headers)

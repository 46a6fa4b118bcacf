import io
import random

from PIL import Image

from sentiment_platform.lib.cleansing.image_validation import ImageRules, validate_image
from sentiment_platform.sources.mock_network.images import (
    HEIGHT,
    WIDTH,
    decompression_bomb_png,
    render_image,
)


def encoded(fmt: str, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_valid_images_pass_with_their_format_and_size():
    data, extension = render_image("positive", random.Random(1), caption="so happy")
    check = validate_image(data)
    assert check.ok and check.format in {"JPEG", "PNG"} and (check.width, check.height) == (WIDTH, HEIGHT)
    assert validate_image(encoded("PNG")).ok


def test_bad_files_get_a_reason():
    jpeg = encoded("JPEG", (256, 256))
    assert validate_image(b"").reason == "empty_file"
    assert validate_image(jpeg[: len(jpeg) // 2]).reason.startswith("corrupt")
    assert validate_image(bytes(range(256)) * 4).reason == "not_an_image"
    assert validate_image(encoded("BMP")).reason == "unsupported_format:BMP"
    assert validate_image(encoded("PNG", (4, 4))).reason == "too_small"
    assert validate_image(jpeg, ImageRules(max_bytes=100)).reason == "file_too_large"


def test_decompression_bomb_header_is_refused_without_decoding():
    check = validate_image(decompression_bomb_png(50_000, 50_000))
    assert check.reason == "decompression_bomb"
    # Under Pillow's own hard limit, our pixel budget still refuses it.
    check = validate_image(decompression_bomb_png(8_000, 8_000))
    assert check.reason == "decompression_bomb" and (check.width, check.height) == (8_000, 8_000)


def test_a_camera_mpo_jpeg_is_accepted_as_jpeg():
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), (10, 200, 30)), Image.new("RGB", (64, 48), (200, 10, 30))
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    check = validate_image(buffer.getvalue())
    assert check.ok and check.format == "JPEG" and (check.width, check.height) == (64, 48)

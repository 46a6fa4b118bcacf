"""Where the weights shipped in the package live (``lib/scoring/weights/``, package data)."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

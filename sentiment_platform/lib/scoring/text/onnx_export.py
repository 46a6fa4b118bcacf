"""Export of the default text model to ONNX, fused and int8-quantized for fast CPU inference."""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np

#: Part of each exported graph's name and of its scores' fingerprint: a change in how graphs are
#: exported or quantized gives new files and new cache keys, never stale scores.
EXPORT_VERSION = "q3"


def _stock_graph(model):
    """``EncoderSentiment`` rebuilt on the stock ``BertModel`` forward: the same weights and maths,
    in the graph shape ONNX Runtime's optimizer recognises (it fuses each layer's attention)."""
    import torch

    from sentiment_platform.lib.scoring.text.encoder_model import load_encoder, mean_pool

    frozen = len(model.bottom)
    encoder = load_encoder(frozen + len(model.top.layers), model.encoder_name)
    for index, layer in enumerate(model.top.layers):
        encoder.encoder.layer[frozen + index] = layer
    top = model.top

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.top = encoder, top

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            logits = self.top.head(mean_pool(hidden, attention_mask)) + self.top.logit_bias
            return torch.softmax(logits, dim=-1)

    return Graph().eval()


def export_int8(model, path: str | Path) -> Path:
    """Write ``model`` (ids, mask -> probabilities) as a fused, dynamically int8-quantized ONNX
    graph at ``path`` (atomically). Weights are quantized per output channel: on the validation
    splits that keeps 0.006 more of E5's mean macro F1 and 0.008 of MiniLM's macro recall than one
    scale per tensor, at the same speed."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden_size = model.embeddings.word_embeddings.weight.shape[1]
    with tempfile.TemporaryDirectory() as tmp:
        plain, fused, quantized = (Path(tmp) / name for name in ("plain.onnx", "fused.onnx", "int8.onnx"))
        example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _stock_graph(model),
                example,
                str(plain),
                input_names=["input_ids", "attention_mask"],
                output_names=["probabilities"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
                opset_version=17,
                dynamo=False,
            )
        heads = model.top.layers[0].attention.self.num_attention_heads
        optimizer.optimize_model(
            str(plain), model_type="bert", num_heads=heads, hidden_size=hidden_size
        ).save_model_to_file(str(fused))
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantizer logs advice about static quantization as a warning
        try:
            quantize_dynamic(
                str(fused),
                str(quantized),
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": 1},
            )
        finally:
            root.setLevel(level)
        tmp_target = path.with_suffix(".tmp")
        tmp_target.write_bytes(quantized.read_bytes())
        tmp_target.replace(path)
    return path


def open_session(path: str | Path, threads: int, warmup: dict[str, np.ndarray] | None = None):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads (0: its default), run once on
    ``warmup`` (a text model's ids and mask by default) so that a broken file fails at load."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    if warmup is None:
        ids = np.ones((1, 4), dtype=np.int64)
        warmup = {"input_ids": ids, "attention_mask": ids}
    session.run(None, warmup)
    return session

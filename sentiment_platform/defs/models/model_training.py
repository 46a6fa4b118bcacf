"""Group ``models``: training the text models (English, multilingual, classical, USE), and evaluating the scorers."""

import json
from collections.abc import Callable
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from sentiment_platform.defs.models.image_model import image_sentiment_model, post_fusion_model
from sentiment_platform.defs.models.published_models import published_result, staging_path
from sentiment_platform.lib.scoring.fitting.confusion_chart import confusion_png
from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts, joined_texts
from sentiment_platform.lib.scoring.fitting.evaluation import (
    evaluate_by_language,
    evaluate_fusion,
    evaluate_image_model,
    evaluate_image_on_sets,
    evaluate_text_model,
)
from sentiment_platform.lib.scoring.fitting.language_chart import language_f1_png
from sentiment_platform.lib.scoring.fitting.training import TrainConfig, train_multilingual_model, train_sentiment_model
from sentiment_platform.lib.scoring.images.image_models import AffectImageModel
from sentiment_platform.lib.scoring.images.image_text import file_texts
from sentiment_platform.lib.scoring.labels import LABELS
from sentiment_platform.lib.scoring.post_fusion import PostFusion
from sentiment_platform.lib.scoring.text.classical import DEFAULT_C_VALUES as DEFAULT_CLASSICAL_C_VALUES
from sentiment_platform.lib.scoring.text.classical import DEFAULT_CHAR_NGRAM_MAX
from sentiment_platform.lib.scoring.text.encoder_model import DEFAULT_WEIGHTS
from sentiment_platform.lib.scoring.text.text_models import VaderTextModel
from sentiment_platform.lib.scoring.text.use_head import DEFAULT_C_VALUES as DEFAULT_USE_C_VALUES
from sentiment_platform.resources.labeled_data import LabeledTweets
from sentiment_platform.resources.labeled_images import ImageDatasets
from sentiment_platform.resources.lake_storage import LakeStorage
from sentiment_platform.resources.scorers import ImageScorer, TextScorer
from sentiment_platform.sources.mock_network.images import held_out_images

EVALUATION_PREFIX = "reports/sentiment_model_evaluation/"


class SentimentModelConfig(Config):
    """Candidates tried on ``train`` and selected on ``val`` (one per learning rate)."""

    trainable_layers: int = Field(
        default=2, description="Top encoder layers fine-tuned (2 keeps the file under 10 MB)."
    )
    encoder_layers: int = Field(
        default=4,
        description="The encoder's first layers the model keeps (of 6): 4 scores "
        "1.5x faster than 6 at the same val macro recall.",
    )
    layer_learning_rates: list[float] = Field(default=[8e-5, 2e-4], description="One candidate per rate.")
    epochs: int = Field(default=3)
    batch_size: int = Field(default=32)
    limit: int | None = Field(default=None, description="Use only the first N rows of each split (smoke tests).")


def _candidates(config: "SentimentModelConfig | MultilingualModelConfig") -> list[TrainConfig]:
    """One training candidate per learning rate of ``config``."""
    return [
        TrainConfig(
            trainable_layers=config.trainable_layers,
            encoder_layers=config.encoder_layers,
            layer_lr=rate,
            epochs=config.epochs,
            batch_size=config.batch_size,
        )
        for rate in config.layer_learning_rates
    ]


def _trained_part_result(storage: LakeStorage, model: str, path: Path, info: dict, scores: dict) -> MaterializeResult:
    """Publish a trained part; its metadata: what it was trained on and chosen by, ``scores``."""
    return published_result(
        storage,
        model,
        path,
        {
            "file_mb": round(path.stat().st_size / 1e6, 2),
            "data": MetadataValue.json(info["data"]),
            "chosen_hyperparameters": MetadataValue.json(info["chosen"]),
            "logit_offsets": MetadataValue.json(info["logit_offsets"]),
            **scores,
            "candidates": MetadataValue.json(info["candidates"]),
            "training_seconds": info["seconds"],
        },
    )


@asset(group_name="models", kinds={"pytorch"})
def sentiment_model(
    context: AssetExecutionContext,
    config: SentimentModelConfig,
    storage: LakeStorage,
    text_scorer: TextScorer,
    labeled_tweets: LabeledTweets,
) -> MaterializeResult:
    """The trained part of the default text model (top MiniLM layers, head, class offsets), trained
    on the TweetEval train split, selected on val, published to the lake (``models/``), from where
    the `minilm` and `multilingual` backends load it. Takes tens of minutes on 2 cores; not part of
    the hourly job."""
    candidates = _candidates(config)
    trained = train_sentiment_model(labeled_tweets.path, candidates, log=context.log.info, limit=config.limit)
    path = trained.save(staging_path(text_scorer.cache_dir, "sentiment_model", DEFAULT_WEIGHTS.suffix))
    info = trained.info
    scores = {"val_macro_recall": info["val"]["macro_recall"], "val_accuracy": info["val"]["accuracy"]}
    return _trained_part_result(storage, "sentiment_model", path, info, scores)


class MultilingualModelConfig(Config):
    """Candidates over multilingual-e5, trained on UMSAB train (+ TweetEval train), selected on UMSAB val."""

    trainable_layers: int = Field(
        default=4,
        description="Top encoder layers fine-tuned. 4 (6 epochs) reach 0.628 mean macro F1 on UMSAB val "
        "against 0.620 for 2 (4 epochs), for twice the training time.",
    )
    encoder_layers: int = Field(default=12, description="The encoder's first layers the model keeps (of 12).")
    layer_learning_rates: list[float] = Field(default=[1e-4], description="One candidate per rate.")
    epochs: int = Field(default=6)
    batch_size: int = Field(default=32)
    tweeteval_rows: int = Field(default=0, description="TweetEval train rows added to the training set.")
    limit: int | None = Field(default=None, description="Use only the first N rows per language (smoke tests).")


@asset(group_name="models", kinds={"pytorch"})
def multilingual_sentiment_model(
    context: AssetExecutionContext,
    config: MultilingualModelConfig,
    storage: LakeStorage,
    text_scorer: TextScorer,
    labeled_tweets: LabeledTweets,
) -> MaterializeResult:
    """The trained part of the multilingual text model (top multilingual-e5 layers, head, class
    offsets), trained on UMSAB train in eight languages, selected on UMSAB val by the mean of the
    languages' macro F1, published to the lake, from where the `multilingual` and `e5` backends load
    it. Takes about half an hour on 2 cores; not part of the hourly job."""
    candidates = _candidates(config)
    trained = train_multilingual_model(
        labeled_tweets.umsab_path,
        candidates,
        labeled_tweets.path,
        config.tweeteval_rows,
        log=context.log.info,
        limit=config.limit,
    )
    path = trained.save(staging_path(text_scorer.cache_dir, "multilingual_sentiment_model", DEFAULT_WEIGHTS.suffix))
    scores = {"val_mean_macro_f1": trained.info["val_score"]}
    return _trained_part_result(storage, "multilingual_sentiment_model", path, trained.info, scores)


class ClassicalGridConfig(Config):
    """The grid searched on the train split (cross-validated macro F1)."""

    c_values: list[float] = Field(
        default=list(DEFAULT_CLASSICAL_C_VALUES), description="Logistic regression's inverse regularisation."
    )
    char_ngram_max: list[int] = Field(
        default=list(DEFAULT_CHAR_NGRAM_MAX), description="Longest character n-gram (from 2)."
    )
    folds: int = Field(default=3)
    limit: int | None = Field(
        default=None, description="Use only the first N rows (of each language on UMSAB; smoke tests)."
    )


class ClassicalModelConfig(ClassicalGridConfig):
    """The grid, and how much of TweetEval train joins UMSAB train."""

    tweeteval_rows: int = Field(
        default=0, description="TweetEval train rows beside UMSAB train (English has its own classical model)."
    )


def _classical_result(
    storage: LakeStorage,
    text_scorer: TextScorer,
    model: str,
    train: LabeledTexts,
    data: str,
    config: ClassicalGridConfig,
    log: Callable[[str], None],
) -> MaterializeResult:
    """Grid-search the classical pipeline on ``train`` and publish it as ``model``."""
    from sentiment_platform.lib.scoring.text.classical import classical_grid, save_classical, train_classical

    grid = classical_grid(config.c_values, config.char_ngram_max)
    pipeline, info = train_classical(train, data, grid, config.folds)
    log(f"{model}: {info['best_params']} cv macro F1 {info['cv_macro_f1']:.4f}")
    path = save_classical(pipeline, info, staging_path(text_scorer.cache_dir, model, ".npz"))
    return published_result(
        storage,
        model,
        path,
        {
            "file_mb": round(path.stat().st_size / 1e6, 2),
            "data": data,
            "best_params": MetadataValue.json(info["best_params"]),
            "cv_macro_f1": info["cv_macro_f1"],
            "grid": MetadataValue.json(info["grid"]),
            "train_rows": info["train_rows"],
            "training_seconds": info["seconds"],
        },
    )


@asset(group_name="models", kinds={"sklearn"})
def classical_sentiment_model(
    context: AssetExecutionContext,
    config: ClassicalModelConfig,
    storage: LakeStorage,
    text_scorer: TextScorer,
    labeled_tweets: LabeledTweets,
) -> MaterializeResult:
    """The classical model (hashed TF-IDF word and character n-grams, logistic regression), its
    hyper-parameters chosen by GridSearchCV on UMSAB train (and TweetEval train rows if configured),
    published to the lake, from where the `classical` backend and the default's multilingual route
    load it."""
    tweeteval = labeled_tweets.split("train")
    rows = min(config.tweeteval_rows, config.limit or config.tweeteval_rows)
    train = joined_texts(
        [
            *labeled_tweets.umsab("train", config.limit).values(),
            LabeledTexts("train", tweeteval.texts[:rows], tweeteval.labels[:rows]),
        ]
    )
    data = "umsab+tweeteval" if rows else "umsab"
    return _classical_result(storage, text_scorer, "classical_sentiment_model", train, data, config, context.log.info)


@asset(group_name="models", kinds={"sklearn"})
def english_classical_sentiment_model(
    context: AssetExecutionContext,
    config: ClassicalGridConfig,
    storage: LakeStorage,
    text_scorer: TextScorer,
    labeled_tweets: LabeledTweets,
) -> MaterializeResult:
    """The classical model of English tweets, its grid searched on TweetEval train, published to
    the lake, from where the default's English route averages it with MiniLM. About 5 minutes on
    2 cores."""
    tweeteval = labeled_tweets.split("train")
    train = LabeledTexts("train", tweeteval.texts[: config.limit], tweeteval.labels[: config.limit])
    model = "english_classical_sentiment_model"
    return _classical_result(storage, text_scorer, model, train, "tweeteval", config, context.log.info)


class UseModelConfig(Config):
    """The inverse regularisations searched on UMSAB train (cross-validated macro F1)."""

    c_values: list[float] = Field(default=list(DEFAULT_USE_C_VALUES))
    folds: int = Field(default=3)
    limit: int | None = Field(default=None, description="Use only the first N rows per language (smoke tests).")


@asset(group_name="models", kinds={"sklearn"})
def use_sentiment_model(
    context: AssetExecutionContext,
    config: UseModelConfig,
    storage: LakeStorage,
    text_scorer: TextScorer,
    labeled_tweets: LabeledTweets,
) -> MaterializeResult:
    """The USE model's head (logistic regression on Universal Sentence Encoder embeddings), its C
    chosen by cross-validation on UMSAB train, published to the lake, from where the `use` backend
    and the default's multilingual route load it."""
    from sentiment_platform.lib.scoring.text.use_head import train_use_head

    train = joined_texts(labeled_tweets.umsab("train", config.limit).values())
    head = train_use_head(train, config.c_values, config.folds, text_scorer.threads)
    info = head.info
    context.log.info(f"USE head: C={info['c']} cv macro F1 {info['cv_macro_f1']:.4f}")
    path = head.save(staging_path(text_scorer.cache_dir, "use_sentiment_model", ".npz"))
    return published_result(
        storage,
        "use_sentiment_model",
        path,
        {
            "c": info["c"],
            "cv_macro_f1": info["cv_macro_f1"],
            "grid": MetadataValue.json(info["grid"]),
            "train_rows": info["train_rows"],
            "training_seconds": info["seconds"],
        },
    )


def _report_table(reports: list[dict]) -> str:
    lines = [
        "| model | macro recall | accuracy | " + " | ".join(f"recall {label}" for label in LABELS) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in LABELS) + " |",
    ]
    for report in reports:
        recalls = " | ".join(f"{report['recall'][label]:.3f}" for label in LABELS)
        lines.append(f"| {report['model']} | {report['macro_recall']:.4f} | {report['accuracy']:.4f} | {recalls} |")
    return "\n".join(lines)


def _language_table(reports: list[dict]) -> str:
    codes = list(reports[0]["languages"])
    lines = [
        "| backend | mean macro F1 | mean macro recall | " + " | ".join(f"{code} F1" for code in codes) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in codes) + " |",
    ]
    for report in reports:
        cells = " | ".join(f"{report['languages'][code]['macro_f1']:.3f}" for code in codes)
        lines.append(
            f"| {report['model']} | {report['mean_macro_f1']:.4f} | {report['mean_macro_recall']:.4f} | {cells} |"
        )
    return "\n".join(lines)


def _compared_backends(text_scorer: TextScorer) -> list:
    """The configured backend, the English-only MiniLM, the classical and USE models and VADER."""

    def other(backend: str) -> TextScorer:
        return TextScorer(
            backend=backend,
            runtime=text_scorer.runtime,
            threads=text_scorer.threads,
            max_length=text_scorer.max_length,
            cache_dir=text_scorer.cache_dir,
            trained=text_scorer.trained,
        )

    models = [text_scorer.load()]
    if text_scorer.backend != "minilm":
        models.append(other("minilm").load())
    for backend in ("classical", "use"):
        if text_scorer.backend != backend:
            models.append(other(backend).load())
    return [*models, VaderTextModel()]


def _image_table(reports: list[dict]) -> str:
    lines = [
        "| image backend | MVSA val macro recall | OASIS val Spearman | Memotion val macro recall |",
        "| --- | --- | --- | --- |",
    ]
    for r in reports:
        lines.append(
            f"| {r['model']} | {r['mvsa_macro_recall']:.4f} | {r['oasis_spearman']:.4f} | "
            f"{r['memotion_macro_recall']:.4f} |"
        )
    return "\n".join(lines)


@asset(
    deps=[
        sentiment_model,
        multilingual_sentiment_model,
        classical_sentiment_model,
        english_classical_sentiment_model,
        use_sentiment_model,
        image_sentiment_model,
        post_fusion_model,
    ],
    group_name="models",
    kinds={"pytorch"},
)
def sentiment_model_evaluation(
    storage: LakeStorage,
    text_scorer: TextScorer,
    image_scorer: ImageScorer,
    labeled_tweets: LabeledTweets,
    image_datasets: ImageDatasets,
) -> MaterializeResult:
    """Each text backend (the configured one, the English-only MiniLM, the classical baseline, USE, VADER)
    on TweetEval test (macro recall, its metric; reporting only) and on UMSAB val per language
    (macro F1, UMSAB's metric, and macro recall); each image backend (the configured one and the
    colour rule) on the val splits of MVSA (macro recall), OASIS (rank correlation with valence)
    and Memotion (macro recall), and on held-out mock images; whole posts (text, image and the text
    read in it fused) against text alone and image alone on MVSA val."""
    test = labeled_tweets.split("test")
    umsab = labeled_tweets.umsab("val")
    text_scorer, image_scorer = text_scorer.with_lake_models(storage), image_scorer.with_lake_models(storage)
    models = _compared_backends(text_scorer)
    text_reports = [evaluate_text_model(model, test) for model in models]
    language_reports = [evaluate_by_language(model, umsab) for model in models]
    image_model = image_scorer.load()
    image_report = evaluate_image_model(image_model, *held_out_images())
    image_models = [image_model] + ([AffectImageModel()] if image_scorer.backend != "affect" else [])
    image_sets = image_datasets.sets()
    real_images = [evaluate_image_on_sets(model, image_sets) for model in image_models]
    mvsa_val, reader = image_sets["mvsa"]["val"], image_scorer.load_text_reader()
    fusion = evaluate_fusion(
        models[0],
        image_model,
        PostFusion.load(image_scorer.fusion_path()),
        mvsa_val,
        file_texts(reader, mvsa_val.paths, image_scorer.cache_dir) if reader else None,
    )
    chart_key, languages_key = f"{EVALUATION_PREFIX}confusion.png", f"{EVALUATION_PREFIX}languages.png"
    storage.write_bytes(
        chart_key,
        confusion_png(
            [(f"{r['model']} (TweetEval test)", r["confusion"]) for r in text_reports[:2]]
            + [(f"{image_report['model']} (mock images)", image_report["confusion"])]
        ),
    )
    storage.write_bytes(languages_key, language_f1_png(language_reports))
    storage.write_bytes(
        f"{EVALUATION_PREFIX}report.json",
        json.dumps(
            {
                "text": text_reports,
                "languages": language_reports,
                "image": image_report,
                "images": real_images,
                "posts": fusion,
            },
            indent=2,
        ).encode(),
    )
    configured, by_language = text_reports[0], language_reports[0]
    return MaterializeResult(
        metadata={
            "macro_recall": configured["macro_recall"],
            "accuracy": configured["accuracy"],
            "umsab_mean_macro_f1": by_language["mean_macro_f1"],
            "umsab_lowest_macro_f1": min(r["macro_f1"] for r in by_language["languages"].values()),
            "vader_macro_recall": text_reports[-1]["macro_recall"],
            "image_macro_recall": image_report["macro_recall"],
            "image_mvsa_macro_recall": real_images[0]["mvsa_macro_recall"],
            "image_oasis_spearman": real_images[0]["oasis_spearman"],
            "image_memotion_macro_recall": real_images[0]["memotion_macro_recall"],
            "image_backends": MetadataValue.md(_image_table(real_images)),
            "mvsa_post_macro_recall": MetadataValue.json(fusion),
            "text_models": MetadataValue.md(_report_table(text_reports)),
            "languages": MetadataValue.md(_language_table(language_reports)),
            "languages_chart": MetadataValue.path(storage.uri(languages_key)),
            "image_model": MetadataValue.md(
                _report_table([image_report]) + f"\n\nData: {image_report['data']} (synthetic; "
                "overstates quality on real photos)."
            ),
            "confusion_chart": MetadataValue.path(storage.uri(chart_key)),
            "test_rows": len(test),
        }
    )

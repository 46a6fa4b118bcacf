"""Group ``models``: the scorers evaluated on the labeled sets' held-out splits."""

import json

from dagster import MaterializeResult, MetadataValue, ResourceParam, asset

from sentiment_platform.defs.models.image_model import image_sentiment_model, post_fusion_model
from sentiment_platform.defs.models.model_training import (
    classical_sentiment_model,
    english_classical_sentiment_model,
    multilingual_sentiment_model,
    sentiment_model,
    use_sentiment_model,
)
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.scoring.fitting.confusion_chart import confusion_png
from sentiment_platform.lib.scoring.fitting.evaluation import (
    evaluate_by_language,
    evaluate_fusion,
    evaluate_image_model,
    evaluate_image_on_sets,
    evaluate_text_model,
)
from sentiment_platform.lib.scoring.fitting.evaluation_tables import image_table, language_table, model_table
from sentiment_platform.lib.scoring.fitting.language_chart import language_f1_png
from sentiment_platform.lib.scoring.images.image_models import AffectImageModel
from sentiment_platform.lib.scoring.images.image_text import file_texts
from sentiment_platform.lib.scoring.post_fusion import PostFusion
from sentiment_platform.lib.scoring.text.text_models import TextModel, VaderTextModel
from sentiment_platform.resources.labeled_data import LabeledTweets
from sentiment_platform.resources.labeled_images import ImageDatasets
from sentiment_platform.resources.scorers import ImageScorer, TextScorer
from sentiment_platform.sources.mock_network.images import held_out_images

EVALUATION_PREFIX = "reports/sentiment_model_evaluation/"


def compared_backends(text_scorer: TextScorer) -> list[TextModel]:
    """The configured backend, the English-only MiniLM, the classical and USE models and VADER."""
    shared = {name: getattr(text_scorer, name) for name in ("runtime", "threads", "max_length", "cache_dir", "trained")}
    backends = [b for b in ("minilm", "classical", "use") if b != text_scorer.backend]
    return [text_scorer.load(), *(TextScorer(backend=b, **shared).load() for b in backends), VaderTextModel()]


def image_reports(image_scorer: ImageScorer, image_datasets: ImageDatasets, text_model: TextModel) -> dict:
    """The configured image backend on held-out mock images; it and the colour rule on the real
    sets' val splits; whole posts fused against text alone and image alone on MVSA val."""
    image_model = image_scorer.load()
    image_models = [image_model] + ([AffectImageModel()] if image_scorer.backend != "affect" else [])
    image_sets = image_datasets.sets()
    mvsa_val, reader = image_sets["mvsa"]["val"], image_scorer.load_text_reader()
    return {
        "image": evaluate_image_model(image_model, *held_out_images()),
        "images": [evaluate_image_on_sets(model, image_sets) for model in image_models],
        "posts": evaluate_fusion(
            text_model,
            image_model,
            PostFusion.load(image_scorer.fusion_path()),
            mvsa_val,
            file_texts(reader, mvsa_val.paths, image_scorer.cache_dir) if reader else None,
        ),
    }


def write_evaluation(storage: LakeStore, report: dict) -> dict[str, str]:
    """The report's JSON and charts under ``EVALUATION_PREFIX``; returns the charts' keys."""
    charts = {"confusion": f"{EVALUATION_PREFIX}confusion.png", "languages": f"{EVALUATION_PREFIX}languages.png"}
    image = report["image"]
    storage.write_bytes(
        charts["confusion"],
        confusion_png(
            [(f"{r['model']} (TweetEval test)", r["confusion"]) for r in report["text"][:2]]
            + [(f"{image['model']} (mock images)", image["confusion"])]
        ),
    )
    storage.write_bytes(charts["languages"], language_f1_png(report["languages"]))
    storage.write_bytes(f"{EVALUATION_PREFIX}report.json", json.dumps(report, indent=2).encode())
    return charts


def evaluation_metadata(storage: LakeStore, report: dict, charts: dict[str, str]) -> dict:
    """The headline figures of the configured backends, and every backend's as tables."""
    configured, by_language = report["text"][0], report["languages"][0]
    image, real_images = report["image"], report["images"]
    return {
        "macro_recall": configured["macro_recall"],
        "accuracy": configured["accuracy"],
        "umsab_mean_macro_f1": by_language["mean_macro_f1"],
        "umsab_lowest_macro_f1": min(r["macro_f1"] for r in by_language["languages"].values()),
        "vader_macro_recall": report["text"][-1]["macro_recall"],
        "image_macro_recall": image["macro_recall"],
        "image_mvsa_macro_recall": real_images[0]["mvsa_macro_recall"],
        "image_oasis_spearman": real_images[0]["oasis_spearman"],
        "image_memotion_macro_recall": real_images[0]["memotion_macro_recall"],
        "image_backends": MetadataValue.md(image_table(real_images)),
        "mvsa_post_macro_recall": MetadataValue.json(report["posts"]),
        "text_models": MetadataValue.md(model_table(report["text"])),
        "languages": MetadataValue.md(language_table(report["languages"])),
        "languages_chart": MetadataValue.path(storage.uri(charts["languages"])),
        "image_model": MetadataValue.md(
            model_table([image]) + f"\n\nData: {image['data']} (synthetic; overstates quality on real photos)."
        ),
        "confusion_chart": MetadataValue.path(storage.uri(charts["confusion"])),
    }


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
    storage: ResourceParam[LakeStore],
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
    models = compared_backends(text_scorer)
    report = {
        "text": [evaluate_text_model(model, test) for model in models],
        "languages": [evaluate_by_language(model, umsab) for model in models],
        **image_reports(image_scorer, image_datasets, models[0]),
    }
    charts = write_evaluation(storage, report)
    return MaterializeResult(metadata={**evaluation_metadata(storage, report, charts), "test_rows": len(test)})

"""docs/configuration.md is generated from the settings and the resources' fields: it is current."""

from pathlib import Path

from sentiment_platform import settings
from sentiment_platform.cli.configuration_page import configuration_markdown

PAGE = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_the_configuration_page_is_generated_from_the_code():
    assert PAGE.read_text() == configuration_markdown(), (
        "regenerate: python -m sentiment_platform.cli.configuration_page > docs/configuration.md"
    )


def test_every_variable_settings_reads_is_on_the_page():
    page = PAGE.read_text()
    names = [value for name, value in vars(settings).items() if name.isupper() and isinstance(value, str)]
    assert names and all(f"`{name}`" in page for name in names if name.startswith(("SENTIMENT_", "X_")))


def test_integer_fields_are_read_as_integers_and_unset_variables_are_not_passed():
    from sentiment_platform.resources.post_sources import MockNetworkSource
    from sentiment_platform.resources.spark_engine import SparkEngine

    direct = settings.Settings({settings.MOCKFEED_SEED: "11", settings.SPARK_MASTER: "local[1]"}, as_env_vars=False)
    assert direct.fields(MockNetworkSource) == {"seed": 11}
    assert direct.fields(SparkEngine) == {"master": "local[1]"}
    referenced = settings.Settings({settings.MOCKFEED_SEED: "11"}).fields(MockNetworkSource)["seed"]
    assert type(referenced).__name__ == "IntEnvVar" and referenced.env_var_name == settings.MOCKFEED_SEED

"""`/docs`, `/redoc` and `/dashboard` in a real headless browser (Debian's chromium driven by Playwright),
offline: every request the page makes goes to the API on 127.0.0.1, and the charts draw data."""

import os
import shutil
from pathlib import Path

import httpx
import pytest

from sentiment_platform_tests.api.test_app import serve

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Where the screenshots go (CI keeps this folder as its artifacts).
ARTIFACTS = Path(os.environ.get("SENTIMENT_TEST_ARTIFACTS", "test-artifacts"))

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("Debian's chromium is not installed (bash .ci/run installs it)", allow_module_level=True)


def served(resources):
    """The API over ``resources``' warehouse and lake on 127.0.0.1, for as long as the fixture lives."""
    server, thread = serve(resources["warehouse"], resources["storage"])
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def base(built):
    yield from served(built)


@pytest.fixture
def page(base):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        outside = []
        # Offline: anything not served by the API is refused, and recorded.
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(base)
                else (outside.append(route.request.url), route.abort())
            ),
        )
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        assert outside == [] and errors == []
        browser.close()


def marks(page, chart: str) -> int:
    """Data marks Vega drew in a chart (SVG paths inside its mark groups)."""
    return page.locator(f"#{chart} svg g[class*='mark-'] path").count()


def test_the_dashboard_draws_every_chart_with_data_and_a_topic_filter_changes_it(page, base):
    page.goto(f"{base}/dashboard")
    page.wait_for_function("Number(document.body.dataset.ready || 0) >= 1", timeout=30_000)
    for chart in ("share", "score", "modalities", "hashtags"):
        assert marks(page, chart) > 0, chart
    assert page.locator("#examples .post").count() >= 3
    # Example posts with images show them, served by the API from the lake.
    page.locator("[data-label='positive']").scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('#examples img')].every(i => i.complete)", timeout=10_000)
    widths = page.eval_on_selector_all("#examples img", "images => images.map(i => i.naturalWidth)")
    assert all(width > 0 for width in widths)
    all_posts = page.locator("[data-kpi='posts'] b").inner_text()
    assert int(all_posts.replace(",", "")) > 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    page.locator("#topics button[data-topic='tech']").click()
    page.wait_for_function("Number(document.body.dataset.ready) >= 2", timeout=30_000)
    tech_posts = page.locator("[data-kpi='posts'] b").inner_text()
    assert 0 < int(tech_posts.replace(",", "")) < int(all_posts.replace(",", ""))
    topics = {t.inner_text().split(" · ")[0] for t in page.locator("#examples .post small").all()}
    assert topics == {"tech"}
    assert marks(page, "share") > 0
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "dashboard-tech.png"), full_page=True)


def test_swagger_ui_renders_the_schema_offline(page, base):
    page.goto(f"{base}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = {e.inner_text() for e in page.locator(".opblock-summary-path").all()}
    assert "/trends" in paths and len(paths) == len(httpx.get(f"{base}/openapi.json").json()["paths"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs.png"))


def test_redoc_renders_the_schema_offline(page, base):
    page.goto(f"{base}/redoc")
    # ReDoc lists every operation in its menu once it has parsed the schema.
    page.wait_for_selector("[role=menuitem]", timeout=30_000)
    menu = " ".join(page.locator("[role=menuitem]").all_inner_texts())
    assert "sentiment per time window" in menu.lower()  # (the fixture checks for script errors)
    page.screenshot(path=str(ARTIFACTS / "redoc.png"))


@pytest.fixture(scope="module")
def hostile_base(hostile_built):
    yield from served(hostile_built)


@pytest.fixture
def browser_page():
    """A page of a fresh headless chromium that may open file:// reports but nothing on a network."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        yield page
        browser.close()


def test_hostile_values_show_as_text_on_the_dashboard_and_run_nothing(browser_page, hostile_base):
    from sentiment_platform_tests.conftest import HOSTILE_TOPICS, IMG_ONERROR, SCRIPT_BREAKOUT

    page = browser_page
    page.goto(f"{hostile_base}/dashboard")
    page.wait_for_function("Number(document.body.dataset.ready || 0) >= 1", timeout=30_000)
    buttons = [b.inner_text() for b in page.locator("#topics button").all()]
    assert sorted(buttons) == sorted(HOSTILE_TOPICS)  # each topic shown as its own text
    alerts = page.locator("#alerts").inner_text()
    assert SCRIPT_BREAKOUT in alerts and IMG_ONERROR in alerts
    examples = page.locator("#examples").inner_text()
    assert "</script><script>" in examples or 'onerror="window' in examples
    # A Unicode topic filters every panel (the API used to refuse it, leaving them empty).
    page.locator("#topics button", has_text="climate change").click()
    page.wait_for_function("Number(document.body.dataset.ready) >= 2", timeout=30_000)
    assert page.locator("[data-kpi='posts'] b").inner_text() == "30"
    assert page.locator("#examples .post").count() > 0
    assert {t.inner_text().split(" · ")[0] for t in page.locator("#examples .post small").all()} == {"climate change"}
    page.locator("#topics button", has_text="climate change").click()
    page.locator("#topics button", has_text="onerror").click()
    page.wait_for_function("Number(document.body.dataset.ready) >= 4", timeout=30_000)
    assert IMG_ONERROR in page.locator("#alerts").inner_text()
    assert page.evaluate("window.__pwned") is None and page.errors == []
    assert page.locator("#topics img, #alerts img, #examples small img").count() == 0


def test_the_report_shows_hostile_values_as_text_and_runs_nothing(browser_page, hostile_built):
    page = browser_page
    report = hostile_built["report"]
    for name in ("index", "text_vs_image", "sentiment_share", "top_hashtags", "sentiment_by_language"):
        page.goto((report / f"{name}.html").as_uri())
        if name != "index":
            page.wait_for_selector("svg g[class*='mark-']", timeout=30_000)
        assert page.evaluate("window.__pwned") is None, name
    # The topics are drawn as axis labels: text in the SVG, never elements.
    page.goto((report / "text_vs_image.html").as_uri())
    page.wait_for_selector("svg g[class*='mark-']", timeout=30_000)
    labels = " ".join(page.locator("svg text").all_text_contents())
    assert "</script><script>" in labels and "<img src=x" in labels
    assert page.evaluate("window.__pwned") is None and page.errors == []

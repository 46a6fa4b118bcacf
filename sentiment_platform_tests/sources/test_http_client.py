"""The outbound HTTP client against a hostile server on 127.0.0.1: where credentials go, which
URLs are opened, body caps while streaming, and the total deadline."""

import time

import pytest

from sentiment_platform.sources.http_client import (
    HttpClient,
    HttpLimits,
    OutboundError,
    seconds_header,
    url_problem,
)
from sentiment_platform_tests.sources.hostile_server import HostileServer

pytestmark = pytest.mark.integration

SECRET = "Bearer not-a-real-token"
LIMITS = HttpLimits(max_bytes=1_000_000, deadline_s=2.0, read_timeout_s=1.0)


@pytest.fixture
def api():
    server = HostileServer().start()
    yield server
    server.stop()


@pytest.fixture
def elsewhere():
    server = HostileServer().start()
    yield server
    server.stop()


def client_for(server: HostileServer) -> HttpClient:
    return HttpClient(server.url, {"Authorization": SECRET})


def test_credentials_go_only_to_their_origin_and_only_when_asked(api, elsewhere):
    client = client_for(api)
    assert client.get(f"{api.url}/ok", LIMITS, authenticated=True).status == 200
    assert client.get(f"{api.url}/ok", LIMITS).status == 200  # a media download: never credentials
    assert api.authorizations("/ok") == [SECRET, None]
    # Another origin, asked directly or through a redirect from the API: no credentials, ever.
    client.get(f"{elsewhere.url}/ok", LIMITS, authenticated=True)
    response = client.get(f"{api.url}/redirect", LIMITS, {"to": f"{elsewhere.url}/ok"}, authenticated=True)
    assert response.status == 200 and response.url == f"{elsewhere.url}/ok"
    assert elsewhere.authorizations("/ok") == [None, None]
    # Back from there to the API: the chain left the origin once, so the token stays behind.
    back = f"{elsewhere.url}/redirect?to={api.url}/ok"
    client.get(f"{api.url}/redirect", LIMITS, {"to": back}, authenticated=True)
    assert api.authorizations("/ok")[-1] is None
    # The same host on another port is another origin.
    other_port = HttpClient(elsewhere.url.rsplit(":", 1)[0] + ":1", {"Authorization": SECRET})
    other_port.get(f"{elsewhere.url}/ok", LIMITS, authenticated=True)
    assert elsewhere.authorizations("/ok")[-1] is None


def test_only_http_and_https_urls_are_opened_even_through_a_redirect(api):
    client = client_for(api)
    userinfo = f"http://{api.url[len('http://') :]}@127.0.0.1:9/"  # names 127.0.0.1:9, not the API
    hostile = ("file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi", "gopher://x", "/relative", "", None)
    for url in (*hostile, userinfo):
        with pytest.raises(OutboundError) as error:
            client.get(url, LIMITS)
        assert error.value.reason == "invalid_url"
        assert url_problem(url) == "invalid_url"
    with pytest.raises(OutboundError) as error:
        client.get(f"{api.url}/redirect", LIMITS, {"to": "file:///etc/passwd"})
    assert error.value.reason == "invalid_url"
    with pytest.raises(OutboundError) as error:
        client.get(f"{api.url}/loop", LIMITS)
    assert error.value.reason == "too_many_redirects" and len(api.seen) == LIMITS.max_redirects + 2
    with pytest.raises(OutboundError, match="invalid_url"):
        HttpClient("file:///etc", {"Authorization": SECRET})


@pytest.mark.parametrize("path", ["/declares-huge", "/endless"])
def test_bodies_are_capped_while_they_stream(api, path):
    import psutil

    before = psutil.Process().memory_info().rss
    started = time.monotonic()
    with pytest.raises(OutboundError) as error:
        client_for(api).get(f"{api.url}{path}", LIMITS)
    assert error.value.reason == "too_large"
    # Never read whole: the endless body is about 650 MB.
    assert psutil.Process().memory_info().rss - before < 40_000_000
    assert time.monotonic() - started < 2.0


def test_a_compression_bomb_is_never_inflated(api):
    import psutil

    bomb = api.bomb
    before = psutil.Process().memory_info().rss
    response = client_for(api).get(f"{api.url}/gzip-bomb", HttpLimits(max_bytes=8_000_000))
    assert api.seen[-1][1]["accept-encoding"] == "identity"
    assert response.body == bomb  # the bytes as sent (a page that fails to parse, an image that fails)
    assert psutil.Process().memory_info().rss - before < 40_000_000


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(api, path):
    started = time.monotonic()
    with pytest.raises(OutboundError) as error:
        client_for(api).get(f"{api.url}{path}", LIMITS)
    elapsed = time.monotonic() - started
    assert error.value.reason == "deadline_exceeded"
    assert LIMITS.deadline_s - 0.1 <= elapsed < LIMITS.deadline_s + 0.5  # each read was well within 1 s


def test_errors_never_carry_the_query_or_the_credentials(api):
    client = HttpClient(api.url, {"Authorization": SECRET})
    with pytest.raises(OutboundError) as error:
        client.get(f"{api.url}/trickle?access_token=hunter2", LIMITS, authenticated=True)
    assert "hunter2" not in str(error.value) and "not-a-real-token" not in str(error.value)


def test_seconds_headers_that_are_not_finite_numbers_are_none():
    assert seconds_header("12.5") == 12.5
    for value in (None, "", "soon", "nan", "inf", "-inf", "1e400"):
        assert seconds_header(value) is None

import dataclasses
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import polars as pl
import pytest

from sentiment_platform.lib.alerts import AlertRules, detect_alerts, robust_z
from sentiment_platform.resources.notifiers import (
    LogNotifier,
    SnsNotifier,
    WebhookNotifier,
)
from sentiment_platform.resources.warehouse import Warehouse

START = datetime(2026, 11, 20, tzinfo=UTC)


def windows(shares, posts, topic="tech", start=START):
    return pl.DataFrame(
        {
            "window_start": [start + timedelta(minutes=15 * i) for i in range(len(shares))],
            "topic": [topic] * len(shares),
            "posts": posts,
            "negative_share": shares,
        }
    )


def test_robust_z_ignores_outliers_in_the_history():
    history = np.array([0.2] * 50 + [0.9])  # one old spike barely moves the baseline
    z, median = robust_z(0.5, history)
    assert median == pytest.approx(0.2) and z > 10


def test_spike_and_volume_anomaly_are_detected_against_the_trailing_day():
    rng = np.random.default_rng(0)
    shares = list(0.2 + rng.normal(0, 0.02, 96))
    posts = list(rng.integers(40, 60, 96))
    history = windows(shares, posts)
    now = windows([0.6, 0.21], [50, 400], start=START + timedelta(hours=24))
    alerts = detect_alerts(now, pl.concat([history, now]), AlertRules())
    assert [(a.kind, a.window_start.hour, a.window_start.minute) for a in alerts] == [
        ("negative_share_spike", 0, 0),
        ("volume_anomaly", 0, 15),
    ]
    assert alerts[0].baseline == pytest.approx(0.2, abs=0.01) and alerts[0].z > 3.5


def test_thresholds_per_topic_and_minimum_history():
    history = windows([0.2] * 96, [50] * 96, topic="politics")
    now = windows([0.4], [50], topic="politics", start=START + timedelta(hours=24))
    assert detect_alerts(now, history, AlertRules()) != []
    assert detect_alerts(now, history, AlertRules(negative_share_z_by_topic={"politics": 1000})) == []
    assert detect_alerts(now, history.tail(5), AlertRules()) == []  # no baseline yet
    assert (
        detect_alerts(windows([0.9], [3], topic="politics", start=now["window_start"][0]), history, AlertRules()) == []
    )


HOSTILE = "<!channel> <img src=x onerror=alert(1)> & <http://evil.example|click>"


def one_alert():
    history = windows([0.2] * 96, [50] * 96)
    return detect_alerts(windows([0.7], [50], start=START + timedelta(hours=24)), history, AlertRules())


def test_log_notifier_sends_each_alert_once(tmp_path):
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    notifier = LogNotifier(log_path=str(tmp_path / "alerts.log"))
    for _ in range(2):
        with warehouse.write() as connection:
            sent = notifier.notify(one_alert(), connection)
    lines = (tmp_path / "alerts.log").read_text().splitlines()
    assert len(lines) == 1 and sent == []
    payload = json.loads(lines[0])
    assert payload["topic"] == "tech" and payload["value"] == 0.7 and payload["threshold"] == 3.5
    assert payload["window_start"].startswith("2026-11-21T00:00")


def test_failed_send_is_retried_next_time(tmp_path):
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    broken = WebhookNotifier(webhook_url="http://127.0.0.1:9/unreachable", timeout_s=1)
    with pytest.raises(OSError):
        with warehouse.write() as connection:
            broken.notify(one_alert(), connection)
    with warehouse.write() as connection:
        assert len(LogNotifier(log_path=str(tmp_path / "a.log")).notify(one_alert(), connection)) == 1


@pytest.mark.integration
def test_webhook_notifier_posts_json_to_a_local_server(tmp_path):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        notifier = WebhookNotifier(webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
        with Warehouse(database=str(tmp_path / "w.duckdb")).write() as connection:
            notifier.notify(one_alert(), connection)
            notifier.notify([dataclasses.replace(one_alert()[0], topic=HOSTILE)], connection)
    finally:
        server.shutdown()
    assert len(received) == 2 and received[0]["kind"] == "negative_share_spike"
    # The message names a hostile topic as text: no chat markup (a channel ping, a link), no tags.
    hostile = received[1]
    assert hostile["topic"] == HOSTILE and "negative share" in hostile["message"] and HOSTILE in hostile["message"]
    assert "<" not in hostile["text"] and ">" not in hostile["text"]
    assert "&lt;!channel&gt;" in hostile["text"] and "&lt;img src=x onerror=alert(1)&gt;" in hostile["text"]


def test_sns_notifier_publishes_to_a_local_sns_endpoint(tmp_path, s3_endpoint, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=s3_endpoint)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=s3_endpoint)
    topic = sns.create_topic(Name=f"alerts-{tmp_path.name}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"alerts-{tmp_path.name}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    notifier = SnsNotifier(sns_topic_arn=topic, region_name="us-east-1", endpoint_url=s3_endpoint)
    with Warehouse(database=str(tmp_path / "w.duckdb")).write() as connection:
        assert len(notifier.notify(one_alert(), connection)) == 1
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"])["topic"] == "tech"

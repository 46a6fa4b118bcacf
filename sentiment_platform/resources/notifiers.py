"""Sends alerts, each once: to a log file (default), a webhook, or an SNS topic."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.lib.alerts import Alert, chat_text
from sentiment_platform.lib.warehouse_schema import ALERTS_SENT

ALERTS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {ALERTS_SENT} (
    alert_id VARCHAR PRIMARY KEY, kind VARCHAR, topic VARCHAR, window_start TIMESTAMPTZ,
    value DOUBLE, baseline DOUBLE, z DOUBLE, threshold DOUBLE, sent_at TIMESTAMPTZ DEFAULT now()
)
"""


class AlertNotifier(ConfigurableResource):
    """Where alerts go: :class:`LogNotifier`, :class:`WebhookNotifier` or :class:`SnsNotifier`."""

    @abstractmethod
    def send(self, payload: dict) -> None:
        """Deliver one alert (its JSON form); raises when it could not be delivered."""

    def notify(self, alerts: Sequence[Alert], connection) -> list[Alert]:
        """Send the alerts not sent before and record them in ``alerts_sent`` (in the caller's
        warehouse transaction: if a send fails the records roll back and the alert is retried)."""
        connection.execute(ALERTS_TABLE)
        sent = []
        for alert in alerts:
            new = connection.execute(
                f"INSERT INTO {ALERTS_SENT} (alert_id, kind, topic, window_start, value, baseline, z, threshold) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING alert_id",
                [
                    alert.alert_id,
                    alert.kind,
                    alert.topic,
                    alert.window_start,
                    alert.value,
                    alert.baseline,
                    alert.z,
                    alert.threshold,
                ],
            ).fetchall()
            if new:
                self.send(alert.as_dict())
                sent.append(alert)
        return sent


class LogNotifier(AlertNotifier):
    """Alerts as JSON lines appended to a file (the default: works with nothing configured)."""

    log_path: str = Field(default="data/alerts.log", description="File the alerts are appended to.")

    def send(self, payload: dict) -> None:
        path = Path(self.log_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(payload) + "\n")


class WebhookNotifier(AlertNotifier):
    """Alerts as a JSON POST to a webhook (Slack, Teams, any HTTP receiver), through the platform's
    outbound HTTP client: the alert's fields, and ``text``, its message escaped for chat markup."""

    webhook_url: str = Field(description="URL the alerts are POSTed to (http or https).")
    timeout_s: float = Field(default=10.0, description="Seconds the whole POST may take.")

    def send(self, payload: dict) -> None:
        from sentiment_platform.sources.http_client import HttpClient, HttpLimits

        body = json.dumps(payload | {"text": chat_text(payload["message"])}).encode()
        client = HttpClient()
        try:
            limits = HttpLimits(max_bytes=64 * 1024, deadline_s=self.timeout_s, max_redirects=0)
            status = client.post_json(self.webhook_url, body, limits).status
        finally:
            client.close()
        if status >= 300:
            raise RuntimeError(f"webhook answered {status}")


class SnsNotifier(AlertNotifier):
    """Alerts published to an SNS topic (boto3; credentials from the environment)."""

    sns_topic_arn: str = Field(description="ARN of the topic.")
    region_name: str | None = Field(default=None, description="AWS region of the topic.")
    endpoint_url: str | None = Field(default=None, description="For SNS-compatible endpoints in tests.")
    profile_name: str | None = Field(default=None, description="AWS profile (default: AWS_PROFILE, else default).")
    max_attempts: int = Field(default=5, description="Attempts per call (retries back off exponentially).")

    def send(self, payload: dict) -> None:
        import boto3
        from dagster_aws.utils import construct_boto_client_retry_config

        # The same session settings as the S3 lake: profile, region, retries with backoff.
        session = boto3.session.Session(profile_name=self.profile_name or None)
        client = session.client(
            "sns",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            config=construct_boto_client_retry_config(self.max_attempts),
        )
        client.publish(
            TopicArn=self.sns_topic_arn,
            Subject=f"sentiment alert: {payload['kind']}"[:100],
            Message=json.dumps(payload),
        )

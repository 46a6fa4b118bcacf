"""Sends alerts: to a log file (default), a webhook, or an SNS topic; each alert once."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Sequence

from dagster import ConfigurableResource
from pydantic import Field

from sentiment_platform.alerts import Alert

ALERTS_TABLE = """
CREATE TABLE IF NOT EXISTS alerts_sent (
    alert_id VARCHAR PRIMARY KEY, kind VARCHAR, topic VARCHAR, window_start TIMESTAMPTZ,
    value DOUBLE, baseline DOUBLE, z DOUBLE, threshold DOUBLE, sent_at TIMESTAMPTZ DEFAULT now()
)
"""


class AlertNotifier(ConfigurableResource):
    """Where alerts go. ``log``: JSON lines appended to ``log_path``; ``webhook``: a JSON POST to
    ``webhook_url``; ``sns``: a publish to ``sns_topic_arn`` (boto3, credentials from the environment)."""

    kind: str = Field(default="log", description="log, webhook or sns.")
    log_path: str = Field(default="data/alerts.log")
    webhook_url: str | None = Field(default=None)
    sns_topic_arn: str | None = Field(default=None)
    region_name: str | None = Field(default=None)
    endpoint_url: str | None = Field(default=None, description="For SNS-compatible endpoints in tests.")
    timeout_s: float = Field(default=10.0)

    def _send(self, alert: Alert) -> None:
        payload = alert.as_dict()
        if self.kind == "log":
            path = Path(self.log_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(payload) + "\n")
        elif self.kind == "webhook":
            if not self.webhook_url:
                raise ValueError("the webhook notifier needs webhook_url")
            request = urllib.request.Request(self.webhook_url, data=json.dumps(payload).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                if response.status >= 300:
                    raise RuntimeError(f"webhook answered {response.status}")
        elif self.kind == "sns":
            import boto3

            if not self.sns_topic_arn:
                raise ValueError("the sns notifier needs sns_topic_arn")
            client = boto3.client("sns", region_name=self.region_name, endpoint_url=self.endpoint_url)
            client.publish(TopicArn=self.sns_topic_arn, Subject=f"sentiment alert: {alert.kind}"[:100],
                           Message=json.dumps(payload))
        else:
            raise ValueError(f"unknown notifier kind {self.kind!r}; expected log, webhook or sns")

    def notify(self, alerts: Sequence[Alert], connection) -> list[Alert]:
        """Send the alerts not sent before and record them in ``alerts_sent`` (in the caller's
        warehouse transaction: if a send fails the records roll back and the alert is retried)."""
        connection.execute(ALERTS_TABLE)
        sent = []
        for alert in alerts:
            new = connection.execute(
                "INSERT INTO alerts_sent (alert_id, kind, topic, window_start, value, baseline, z, threshold) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING alert_id",
                [alert.alert_id, alert.kind, alert.topic, alert.window_start, alert.value, alert.baseline, alert.z,
                 alert.threshold],
            ).fetchall()
            if new:
                self._send(alert)
                sent.append(alert)
        return sent

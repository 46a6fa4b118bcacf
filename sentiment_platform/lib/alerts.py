"""Alert rules over the 15-minute trend windows: robust z-scores against the trailing 24 hours."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import polars as pl

TRAILING_WINDOWS = 96  # 24 hours of 15-minute windows


@dataclass(frozen=True)
class AlertRules:
    """Thresholds: a window alerts when its robust z-score exceeds the threshold."""

    negative_share_z: float = 3.5
    negative_share_z_by_topic: dict[str, float] = field(default_factory=dict)
    volume_z: float = 4.0
    min_history_windows: int = 16  # fewer trailing windows than this: no baseline, no alert
    min_posts: int = 10  # windows with fewer posts are too noisy to alert on

    def negative_threshold(self, topic: str) -> float:
        return self.negative_share_z_by_topic.get(topic, self.negative_share_z)


@dataclass(frozen=True)
class Alert:
    kind: str  # negative_share_spike | volume_anomaly
    topic: str
    window_start: datetime
    value: float
    baseline: float
    z: float
    threshold: float

    @property
    def alert_id(self) -> str:
        """Stable id: the same alert found twice (re-runs, overlapping checks) is sent once."""
        return hashlib.sha256(f"{self.kind}|{self.topic}|{self.window_start.isoformat()}".encode()).hexdigest()[:24]

    @property
    def message(self) -> str:
        """The alert for a person, in plain text (the topic quoted as data, never as markup)."""
        what = "negative share" if self.kind == "negative_share_spike" else "post volume"
        value = f"{self.value:.1%}" if self.kind == "negative_share_spike" else f"{self.value:g} posts"
        return (
            f"{what} of topic {self.topic!r} at {self.window_start:%Y-%m-%d %H:%M} UTC: {value}, "
            f"{self.z:.1f} sigma above its trailing 24 h (median {self.baseline:.3g}, threshold {self.threshold:g})"
        )

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "window_start": self.window_start.isoformat(),
            "alert_id": self.alert_id,
            "message": self.message,
        }


def chat_text(text: str) -> str:
    """``text`` for a chat webhook (Slack, Mattermost, Teams' Slack-compatible hooks): ``&``, ``<``
    and ``>`` escaped as those formats require, so ``<!channel>``, ``<http://x|click>`` or a tag in
    a topic shows as text instead of pinging a channel, making a link or markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def robust_z(value: float, history: np.ndarray) -> tuple[float, float]:
    """(z, median): distance of ``value`` from the history's median in units of its scaled MAD
    (1.4826 * MAD estimates the standard deviation); the MAD is floored so a flat history does
    not turn every wobble into an alert."""
    median = float(np.median(history))
    mad = 1.4826 * float(np.median(np.abs(history - median)))
    scale = max(mad, 0.05 * abs(median), 1e-3)
    return (value - median) / scale, median


def detect_alerts(windows: pl.DataFrame, history: pl.DataFrame, rules: AlertRules) -> list[Alert]:
    """Alerts for each window of ``windows`` (rows of ``sentiment_trends_15m``) against the
    ``TRAILING_WINDOWS`` windows of the same topic before it (taken from ``history``)."""
    alerts: list[Alert] = []
    for row in windows.sort("window_start", "topic").iter_rows(named=True):
        if row["posts"] < rules.min_posts:
            continue
        past = (
            history.filter((pl.col("topic") == row["topic"]) & (pl.col("window_start") < row["window_start"]))
            .sort("window_start")
            .tail(TRAILING_WINDOWS)
        )
        if past.height < rules.min_history_windows:
            continue
        checks = [("volume_anomaly", float(row["posts"]), past["posts"].cast(pl.Float64).to_numpy(), rules.volume_z)]
        if row["negative_share"] is not None:
            shares = past["negative_share"].drop_nulls().to_numpy()
            if len(shares) >= rules.min_history_windows:
                checks.append(
                    (
                        "negative_share_spike",
                        float(row["negative_share"]),
                        shares,
                        rules.negative_threshold(row["topic"]),
                    )
                )
        for kind, value, series, threshold in checks:
            z, median = robust_z(value, series)
            if z > threshold:
                alerts.append(Alert(kind, row["topic"], row["window_start"], value, median, round(z, 3), threshold))
    return alerts

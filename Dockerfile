# The platform's webserver and daemon: Python 3.11 with a JRE (for the Spark engine).
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless tini \
    && rm -rf /var/lib/apt/lists/*

ENV DAGSTER_HOME=/opt/dagster/home \
    SENTIMENT_LAKE_ROOT=/opt/dagster/data/lake \
    PYTHONUNBUFFERED=1
WORKDIR /opt/dagster/app

COPY pyproject.toml README.md workspace.yaml ./
COPY sentiment_platform ./sentiment_platform
RUN pip install --no-cache-dir . \
    && mkdir -p "$DAGSTER_HOME" /opt/dagster/data

EXPOSE 3000
ENTRYPOINT ["tini", "--"]
# `dagster dev` runs the webserver and the daemon (schedules, sensors, automation) together.
CMD ["dagster", "dev", "-h", "0.0.0.0", "-p", "3000", "-w", "workspace.yaml"]

# The platform's webserver and daemon: Python 3.11 with a JRE (for the Spark engine).
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless tini \
    && rm -rf /var/lib/apt/lists/*

ENV DAGSTER_HOME=/opt/dagster/home \
    SENTIMENT_LAKE_ROOT=/opt/dagster/data/lake \
    SENTIMENT_WAREHOUSE_PATH=/opt/dagster/data/warehouse.duckdb \
    SENTIMENT_MODEL_CACHE_DIR=/opt/dagster/data/models \
    PYTHONUNBUFFERED=1
WORKDIR /opt/dagster/app

COPY pyproject.toml README.md workspace.yaml ./
COPY sentiment_platform ./sentiment_platform
# Installed in place (-e): `dg` and the definitions read the project's pyproject.toml beside the code.
# The CPU build of torch first, so the package's torch==2.13.0 pin does not pull CUDA libraries.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install --no-cache-dir -e . \
    && mkdir -p "$DAGSTER_HOME" /opt/dagster/data \
    && printf 'concurrency:\n  pools:\n    default_limit: 1\nrun_retries:\n  enabled: true\n  max_retries: 2\n' > "$DAGSTER_HOME/dagster.yaml"

EXPOSE 3000
ENTRYPOINT ["tini", "--"]
# `dagster dev` runs the webserver and the daemon (schedules, sensors, automation) together.
CMD ["dagster", "dev", "-h", "0.0.0.0", "-p", "3000", "-w", "workspace.yaml"]

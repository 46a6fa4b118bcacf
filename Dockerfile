# The platform's image: the Dagster webserver and the daemon, as two commands of it (see
# docker-compose.yaml). Python 3.11 with a JRE for the Spark engine.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 dagster

ENV DAGSTER_HOME=/opt/dagster/home \
    SENTIMENT_LAKE_ROOT=/opt/dagster/data/lake \
    SENTIMENT_WAREHOUSE_PATH=/opt/dagster/data/warehouse.duckdb \
    SENTIMENT_MODEL_CACHE_DIR=/opt/dagster/data/models \
    PYTHONUNBUFFERED=1
WORKDIR /opt/dagster/app

# Dependencies in their own layer, before the source: a code change rebuilds only the layers below.
# The CPU build of torch first, so the package's torch==2.13.0 pin does not pull CUDA libraries.
COPY pyproject.toml ./
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md workspace.yaml ./
COPY sentiment_platform ./sentiment_platform
# Installed in place (-e): `dg` and the definitions read the project's pyproject.toml beside the code.
# The instance settings are the demo's (pools, run retries): one definition, in the package.
RUN pip install --no-cache-dir --no-deps -e . \
    && mkdir -p "$DAGSTER_HOME" /opt/dagster/data \
    && python -c "from sentiment_platform.cli.demo import INSTANCE_SETTINGS; print(INSTANCE_SETTINGS, end='')" \
        > "$DAGSTER_HOME/dagster.yaml" \
    && chown -R dagster:dagster /opt/dagster

USER dagster
EXPOSE 3000
ENTRYPOINT ["tini", "--"]
# The webserver by default; the daemon container runs `dagster-daemon run -w workspace.yaml`.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/server_info', timeout=8)"
CMD ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "workspace.yaml"]

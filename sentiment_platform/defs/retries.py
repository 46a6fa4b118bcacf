"""How the assets that talk to networks retry (the X API pull, the landing zone and images on S3)."""

from dagster import Backoff, Jitter, RetryPolicy

#: Up to three more attempts, about 2, 4 and 8 s apart: a throttled API or a dropped S3 connection
#: recovers on its own, a real fault still fails the step within half a minute. Safe because
#: re-running an hour never changes a row.
NETWORK_RETRY = RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)

"""The lake resource: the store it opens is configured by it, with dagster-aws's S3 client."""


def test_the_s3_lake_uses_dagster_aws_and_the_standard_aws_variables(s3_lake, s3_endpoint, monkeypatch):
    import pickle

    from dagster_aws.s3 import S3Resource

    from sentiment_platform.lib.lake_store import S3LakeStore
    from sentiment_platform.resources.lake_storage import S3LakeStorage

    # The client is dagster-aws's, with its retry settings.
    patient = S3LakeStorage(root=s3_lake.root, endpoint_url=s3_endpoint, max_attempts=7).store()
    assert patient.client.meta.config.retries == {"mode": "standard", "total_max_attempts": 8}
    expected = S3Resource(endpoint_url=s3_endpoint, max_attempts=7).get_client().meta.config.retries
    assert patient.client.meta.config.retries == expected
    # With no endpoint configured, AWS_ENDPOINT_URL_S3 points it at the same server.
    s3_lake.write_bytes("landing/a.json", b"{}")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    from_environment = S3LakeStorage(root=s3_lake.root, max_attempts=3).store()
    assert from_environment.read_bytes("landing/a.json") == b"{}"
    assert from_environment.client.meta.endpoint_url == s3_endpoint
    # A Spark task rebuilds the plain store from its settings, which travel pickled.
    rebuilt = S3LakeStore(**pickle.loads(pickle.dumps(patient.settings())))
    assert rebuilt.read_bytes("landing/a.json") == b"{}"

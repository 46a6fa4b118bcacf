"""The landing contract: its JSON Schemas agree with the rules cleansing applies, the docs render
them, and `check-landing` reports each line a run would refuse."""

import json
from pathlib import Path

import jsonschema
import pytest

from sentiment_platform.cli.main import main
from sentiment_platform.lib.cleansing.cleaning import INTERACTION_SCHEMA, POST_SCHEMA, USER_SCHEMA
from sentiment_platform.lib.cleansing.landing_contract import check_landing_file, contract_markdown, landing_schema

DOCS = Path(__file__).parents[3] / "docs" / "landing_contract.md"
_JSON_TYPES = {"string": "string", "int": "integer", "object_list": "array"}


@pytest.mark.parametrize("record_schema", [POST_SCHEMA, USER_SCHEMA, INTERACTION_SCHEMA], ids=lambda s: s.dataset)
def test_each_json_schema_names_the_fields_cleansing_reads_with_their_types(record_schema):
    schema = landing_schema(record_schema.dataset)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == [item.name for item in record_schema.fields]
    assert schema["required"] == [item.name for item in record_schema.fields if item.required]
    for item in record_schema.fields:
        spec = schema["properties"][item.name]
        assert _JSON_TYPES[item.kind] in spec["type"] and spec["description"]
        assert ("null" in spec["type"]) is (not item.required)


def test_the_docs_render_the_shipped_schemas():
    assert DOCS.read_text() == contract_markdown(), "regenerate docs/landing_contract.md (see its first lines)"


def test_the_schema_accepts_a_mock_network_record_and_refuses_a_broken_one():
    from datetime import UTC, datetime

    from sentiment_platform.sources.mock_network import MockFeedConfig
    from sentiment_platform.sources.mock_network.generator import generate_hour

    batch = generate_hour(datetime(2026, 11, 20, 13, tzinfo=UTC), MockFeedConfig())
    for dataset in ("posts", "users", "interactions"):
        for record in batch.records(dataset)[:20]:
            jsonschema.validate(json.loads(record.line), landing_schema(dataset))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "1", "text": "no author or time"}, landing_schema("posts"))


def _landing_file(tmp_path) -> Path:
    folder = tmp_path / "lake" / "landing" / "posts" / "2026" / "01" / "01" / "00"
    folder.mkdir(parents=True)
    good = {"id": "1", "author_id": "a", "created_at": "2026-01-01T00:10:00Z", "text": "a fine post"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "2", "created_at": "2026-01-01T01:10:00Z"}),
        json.dumps({**good, "id": "3", "like_count": "7"}),
        json.dumps(good),
        json.dumps({key: value for key, value in good.items() if key != "author_id"} | {"id": "4"}),
    ]
    path = folder / "mine.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_landing_lists_each_refused_line_with_its_reason(tmp_path):
    result = check_landing_file(_landing_file(tmp_path))
    assert (result.dataset, result.lines, result.kept, result.duplicates) == ("posts", 6, 1, 1)
    assert [(p.line_no, p.reason) for p in result.problems] == [
        (2, "invalid_json"),
        (3, "outside_partition"),  # the path names the hour 00:00
        (4, "wrong_type:like_count"),
        (6, "missing_field:author_id"),
    ]


def test_check_landing_on_the_command_line(tmp_path, capsys):
    path = _landing_file(tmp_path)
    assert main(["check-landing", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:2: invalid_json" in out and "6 lines, 1 would be kept, 1 duplicates" in out
    elsewhere = tmp_path / "users.jsonl"
    elsewhere.write_text(json.dumps({"user_id": "u1", "handle": "h"}) + "\n")
    with pytest.raises(SystemExit):
        main(["check-landing", str(elsewhere)])  # no dataset in its path, none given
    assert main(["check-landing", str(elsewhere), "--dataset", "users"]) == 0

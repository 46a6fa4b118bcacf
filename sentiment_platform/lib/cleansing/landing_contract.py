"""The landing contract: the JSON Schema of each landing dataset (shipped in the package, rendered
in ``docs/landing_contract.md``), and the check of a file against it with the rules cleansing
applies, so a user pushing their own files knows before a run what a run would keep."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path

from sentiment_platform.lib.cleansing.cleaning import CleaningResult, clean_interactions, clean_posts, clean_users
from sentiment_platform.lib.lake_layout import LANDING_DATASETS

_CLEANERS = {"posts": clean_posts, "users": clean_users, "interactions": clean_interactions}
#: ``landing/<dataset>/YYYY/MM/DD/HH/`` in a file's path: its dataset and hour.
_LANDING_PATH = re.compile(r"(?:^|/)landing/(posts|users|interactions)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")


@cache
def landing_schema(dataset: str) -> dict:
    """The JSON Schema of a landing dataset's records."""
    if dataset not in LANDING_DATASETS:
        raise ValueError(f"no landing dataset {dataset!r}; the datasets are {', '.join(LANDING_DATASETS)}")
    return json.loads((files(__package__) / "landing_schemas" / f"{dataset}.schema.json").read_text("utf-8"))


@dataclass(frozen=True)
class Problem:
    line_no: int
    reason: str


@dataclass(frozen=True)
class LandingCheck:
    """What cleansing would make of a landing file."""

    dataset: str
    hour: datetime | None
    lines: int
    kept: int
    duplicates: int
    problems: list[Problem]

    def summary(self) -> str:
        where = f" for the hour {self.hour:%Y-%m-%d %H}:00 UTC" if self.hour else ""
        return (
            f"{self.dataset}{where}: {self.lines} lines, {self.kept} would be kept, {self.duplicates} duplicates "
            f"or retweets, {len(self.problems)} refused"
        )


def dataset_and_hour(path: Path) -> tuple[str | None, datetime | None]:
    """The dataset and hour a file's place in a landing zone names (None, None elsewhere)."""
    match = _LANDING_PATH.search(path.resolve().as_posix())
    if not match:
        return None, None
    year, month, day, hour = (int(part) for part in match.groups()[1:])
    return match.group(1), datetime(year, month, day, hour, tzinfo=UTC)


def check_landing_file(path: Path, dataset: str | None = None) -> LandingCheck:
    """Check ``path`` as a landing batch of ``dataset`` (default: the one its path names), with the
    rules cleansing applies; where the path names an hour, records outside it are refused too."""
    found, hour = dataset_and_hour(path)
    dataset = dataset or found
    if dataset is None:
        raise ValueError(f"{path}: not under landing/<dataset>/YYYY/MM/DD/HH/; name the dataset with --dataset")
    if dataset not in _CLEANERS:
        raise ValueError(f"no landing dataset {dataset!r}; the datasets are {', '.join(_CLEANERS)}")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    result: CleaningResult = _CLEANERS[dataset]([(path.name, path.read_bytes())], hour=hour)
    rows = result.quarantined.sort("line_no").select("line_no", "reason").iter_rows()
    return LandingCheck(
        dataset,
        hour,
        result.records_in,
        result.cleaned.height,
        result.duplicates,
        [Problem(line_no, reason) for line_no, reason in rows],
    )


def contract_markdown() -> str:
    """The landing contract as Markdown: each dataset's fields, types, which are required, and what
    each source puts there (``docs/landing_contract.md`` is this text)."""
    out = [
        "# The landing contract",
        "",
        "Generated from the JSON Schemas shipped in `sentiment_platform/lib/cleansing/landing_schemas/` "
        "(`python -m sentiment_platform.lib.cleansing.landing_contract > docs/landing_contract.md`). "
        "`sentiment-platform check-landing FILE` checks a file with the rules cleansing applies.",
        "",
        "Every batch is UTF-8 JSON lines: one object per line, blank lines ignored. A line that is not "
        "JSON, not an object, lacks a required field or has a field of the wrong type goes to the quarantine "
        "with its line number and reason; the rest of the batch is processed. Fields not listed are ignored.",
    ]
    for dataset in LANDING_DATASETS:
        schema = landing_schema(dataset)
        out += ["", f"## {dataset}", "", schema["description"], "", "| field | type | required | what goes there |"]
        out.append("| --- | --- | --- | --- |")
        for name, spec in schema["properties"].items():
            types = [t for t in spec["type"] if t != "null"]
            kind = "list of objects" if types == ["array"] else " ".join(types)
            required = "yes" if name in schema["required"] else ""
            out.append(f"| `{name}` | {kind} | {required} | {spec['description']} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(contract_markdown(), end="")

"""The typed result of an evaluation and its JSON form, `eval_results.json` in the model folder.

Cards, releases and the next release's comparison all read this file, so it is one explicit schema
(`FORMAT` bumps on incompatible changes) rather than whatever a run happened to collect.
"""

from __future__ import annotations

import json
from dataclasses import field
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasPath, ConfigDict, Field, TypeAdapter, ValidationError, model_serializer, model_validator
from pydantic.dataclasses import dataclass

from hubtools._validation import format_validation_error
from hubtools.errors import HubtoolsError
from hubtools.paths import EVAL_RESULTS_FILE

FORMAT = 1
# Answer roles in a probe row, in table order.
ROLES = ("base", "fine_tuned", "previous")
Role = Literal["base", "fine_tuned", "previous"]
LossOn = Literal["assistant", "all"]


@dataclass(frozen=True)
class ModelRef:
    """Where a model came from: a local folder (`path`) or a Hub repo at a revision (and its resolved sha)."""

    repo_id: str | None = None
    revision: str | None = None
    commit: str | None = None
    path: str | None = None

    @model_serializer(mode="wrap")
    def _set_fields_only(self, handler: Any) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}

    def to_json(self) -> dict[str, str]:
        return TypeAdapter(type(self)).dump_python(self)

    def __str__(self) -> str:
        if self.repo_id:
            return f"{self.repo_id}@{self.revision or 'main'}"
        return self.path or "?"


@dataclass(frozen=True)
class DatasetRef(ModelRef):
    """The evaluation data: a Hub dataset at a revision (and sha) or a local `save_to_disk` folder, and a split."""

    split: str = "test"


@dataclass(frozen=True)
class Answer:
    """One model's greedy answer to a probe and what is wrong with it (`echo`, `empty`, `loop`)."""

    text: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeResult:
    """A fixed prompt and the answers of the models that were asked (keys from `ROLES`)."""

    prompt: str
    answers: dict[Role, Answer]

    @model_serializer(mode="wrap")
    def _answers_in_table_order(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        data["answers"] = {role: data["answers"][role] for role in ROLES if role in data["answers"]}
        return data

    def to_json(self) -> dict[str, Any]:
        return _PROBE.dump_python(self)


# Built in code by field name; read from the file, where the model references sit under `models`.
@dataclass(frozen=True, config=ConfigDict(validate_by_name=True, validate_by_alias=True))
class EvalReport:
    """Held-out perplexity of the fine-tuned model plus the probe table of base / fine-tuned / previous.

    The file starts with `format` and nests the three model references under `models`: the aliases and the
    serializer map that layout to these fields (errors name the file's fields), and pydantic checks every type.
    """

    perplexity: float
    mean_loss: float
    num_tokens: int
    num_sequences: int
    loss_on: LossOn
    eval_dataset: DatasetRef
    model: ModelRef = Field(validation_alias=AliasPath("models", "fine_tuned"))
    base_model: ModelRef | None = Field(default=None, validation_alias=AliasPath("models", "base"))
    previous: ModelRef | None = Field(default=None, validation_alias=AliasPath("models", "previous"))
    probes: list[ProbeResult] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    hubtools_version: str = ""
    arena: dict[str, Any] | None = None  # `ArenaResult.to_json()`: the Space's arena votes, when computed

    @model_validator(mode="before")
    @classmethod
    def _known_format(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("format") != FORMAT:  # a file (code builds with arguments)
            raise HubtoolsError(f"eval results format {data.get('format')!r} is not supported (expected {FORMAT})")
        return data

    @model_serializer(mode="wrap")
    def _to_file_layout(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        layout = {
            "format": FORMAT,
            **{key: data[key] for key in ("perplexity", "mean_loss", "num_tokens", "num_sequences", "loss_on")},
            "eval_dataset": data["eval_dataset"],
            "models": {"fine_tuned": data["model"], "base": data["base_model"], "previous": data["previous"]},
            "settings": data["settings"],
            "probes": data["probes"],
            "hubtools_version": data["hubtools_version"],
        }
        if data["arena"] is not None:  # only when computed: reports without votes read as before
            layout["arena"] = data["arena"]
        return layout

    def to_json(self) -> dict[str, Any]:
        return _REPORT.dump_python(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalReport:
        """The report in `data` (the file's layout); a ValidationError names the field that is wrong."""
        return _REPORT.validate_python(data)

    def write(self, path: Path) -> Path:
        """Write the JSON (stable key order, trailing newline) and return its path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> EvalReport:
        """Read `eval_results.json` (or the one inside a model folder); errors name the file."""
        path = Path(path)
        if path.is_dir():
            path = path / EVAL_RESULTS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HubtoolsError(f"no eval results at {path} (run `hubtools eval` first)") from None
        except (OSError, ValueError) as error:
            raise HubtoolsError(f"{path}: invalid eval results: {error}") from None
        try:
            return cls.from_json(data)
        except HubtoolsError as error:
            raise HubtoolsError(f"{path}: {error}") from None
        except ValidationError as error:
            raise HubtoolsError(format_validation_error(path, error)) from None


_PROBE = TypeAdapter(ProbeResult)
_REPORT = TypeAdapter(EvalReport)

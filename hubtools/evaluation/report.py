"""The typed result of an evaluation and its JSON form, `eval_results.json` in the model folder.

Cards, releases and the next release's comparison all read this file, so it is one explicit schema
(`FORMAT` bumps on incompatible changes) rather than whatever a run happened to collect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hubtools.errors import HubtoolsError

FORMAT = 1
EVAL_RESULTS_FILE = "eval_results.json"
# Answer roles in a probe row, in table order.
ROLES = ("base", "fine_tuned", "previous")
LossOn = Literal["assistant", "all"]


@dataclass(frozen=True)
class ModelRef:
    """Where a model came from: a local folder (`path`) or a Hub repo at a revision (and its resolved sha)."""

    repo_id: str | None = None
    revision: str | None = None
    commit: str | None = None
    path: str | None = None

    def to_json(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelRef:
        return cls(**{key: data.get(key) for key in ("repo_id", "revision", "commit", "path")})

    def __str__(self) -> str:
        if self.repo_id:
            return f"{self.repo_id}@{self.revision or 'main'}"
        return self.path or "?"


@dataclass(frozen=True)
class DatasetRef(ModelRef):
    """The evaluation data: a Hub dataset at a revision (and sha) or a local `save_to_disk` folder, and a split."""

    split: str = "test"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetRef:
        return cls(**{key: data.get(key) for key in ("repo_id", "revision", "commit", "path")}, split=data["split"])


@dataclass(frozen=True)
class Answer:
    """One model's greedy answer to a probe and what is wrong with it (`echo`, `empty`, `loop`)."""

    text: str
    flags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "flags": list(self.flags)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(text=data["text"], flags=tuple(data.get("flags", ())))


@dataclass(frozen=True)
class ProbeResult:
    """A fixed prompt and the answers of the models that were asked (keys from `ROLES`)."""

    prompt: str
    answers: dict[str, Answer]

    def to_json(self) -> dict[str, Any]:
        ordered = {role: self.answers[role].to_json() for role in ROLES if role in self.answers}
        return {"prompt": self.prompt, "answers": ordered}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeResult:
        return cls(data["prompt"], {role: Answer.from_json(answer) for role, answer in data["answers"].items()})


@dataclass(frozen=True)
class EvalReport:
    """Held-out perplexity of the fine-tuned model plus the probe table of base / fine-tuned / previous."""

    perplexity: float
    mean_loss: float
    num_tokens: int
    num_sequences: int
    loss_on: LossOn
    eval_dataset: DatasetRef
    model: ModelRef
    base_model: ModelRef | None = None
    previous: ModelRef | None = None
    probes: list[ProbeResult] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    hubtools_version: str = ""
    arena: dict[str, Any] | None = None  # `ArenaResult.to_json()`: the Space's arena votes, when computed

    def to_json(self) -> dict[str, Any]:
        data = {
            "format": FORMAT,
            "perplexity": self.perplexity,
            "mean_loss": self.mean_loss,
            "num_tokens": self.num_tokens,
            "num_sequences": self.num_sequences,
            "loss_on": self.loss_on,
            "eval_dataset": self.eval_dataset.to_json(),
            "models": {
                "fine_tuned": self.model.to_json(),
                "base": self.base_model.to_json() if self.base_model else None,
                "previous": self.previous.to_json() if self.previous else None,
            },
            "settings": self.settings,
            "probes": [probe.to_json() for probe in self.probes],
            "hubtools_version": self.hubtools_version,
        }
        if self.arena is not None:  # only when computed: reports without votes read as before
            data["arena"] = self.arena
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalReport:
        if data.get("format") != FORMAT:
            raise HubtoolsError(f"eval results format {data.get('format')!r} is not supported (expected {FORMAT})")
        models = data["models"]
        return cls(
            perplexity=float(data["perplexity"]),
            mean_loss=float(data["mean_loss"]),
            num_tokens=int(data["num_tokens"]),
            num_sequences=int(data["num_sequences"]),
            loss_on=data["loss_on"],
            eval_dataset=DatasetRef.from_json(data["eval_dataset"]),
            model=ModelRef.from_json(models["fine_tuned"]),
            base_model=ModelRef.from_json(models["base"]) if models.get("base") else None,
            previous=ModelRef.from_json(models["previous"]) if models.get("previous") else None,
            probes=[ProbeResult.from_json(probe) for probe in data.get("probes", [])],
            settings=dict(data.get("settings", {})),
            hubtools_version=data.get("hubtools_version", ""),
            arena=data.get("arena"),
        )

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
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise HubtoolsError(f"no eval results at {path} (run `hubtools eval` first)") from None
        except (ValueError, KeyError, TypeError) as error:
            raise HubtoolsError(f"{path}: invalid eval results: {error!r}") from None

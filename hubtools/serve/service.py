"""The chat service the Space's UI talks to: models loaded per revision, replies streamed, errors made friendly.

Every problem a visitor can cause or meet (an empty or huge message, a missing repo or revision, a model
that does not load) surfaces as a `HubtoolsError` whose message is fit to show as is; anything unexpected is
logged with its traceback and shown as a short apology. A few models stay loaded (least recently used
first out), so switching between a release and a checkpoint does not reload each time.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubtools.errors import HubtoolsError
from hubtools.serve.backends import Backend, SamplingParams, context_window, load_backend
from hubtools.serve.batching import Batcher, generate_alone
from hubtools.serve.config import ServeConfig
from hubtools.serve.prompt import CharacterCard, PromptBuilder
from hubtools.serve.resolve import ModelChoice, ResolvedModel, download_model, list_choices, resolve_model
from hubtools.serve.streaming import GenerationSettings, stream_text

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger(__name__)
EMPTY_REPLY = "(The model ended its turn without a word. Try again, or raise the temperature.)"


@dataclass
class LoadedModel:
    """A model ready to chat: tokenizer, prompt builder, engine and the batcher feeding it."""

    resolved: ResolvedModel
    tokenizer: Any
    builder: PromptBuilder
    backend: Backend
    batcher: Batcher
    end_ids: tuple[int, ...]
    stop_strings: tuple[str, ...]

    def status(self) -> str:
        return f"Serving **{self.resolved.describe()}** · engine `{self.backend.name}`"


class ChatService:
    """Resolves, loads and serves models of one repo; safe to call from many request threads at once."""

    def __init__(
        self, config: ServeConfig, *, api: HfApi | None = None, max_loaded: int = 3, cache_dir: Path | None = None
    ) -> None:
        from huggingface_hub import HfApi

        from hubtools.paths import hubtools_home

        self.config = config
        self.api = api or HfApi()
        self.max_loaded = max_loaded
        self.cache_dir = cache_dir or hubtools_home() / "serve"
        self._loaded: OrderedDict[tuple[str, str, str], LoadedModel] = OrderedDict()
        self._chosen: dict[str, tuple[str, str, str]] = {}  # choice -> key it was pinned to
        self._loading: dict[tuple[str, str, str], threading.Lock] = {}
        self._lock = threading.RLock()
        self.default: LoadedModel | None = None
        self.startup_error: str | None = None

    # -- start-up and model selection -------------------------------------------------------------
    def start(self) -> ServeConfig:
        """Load the configured model; a failure is kept as `startup_error` for the UI, never raised."""
        try:
            if not self.config.model_repo:
                raise HubtoolsError("No model is configured: set the MODEL_REPO variable of this Space.")
            self.default = self.select(self.config.model_revision)
            self.startup_error = None
        except HubtoolsError as error:
            self.startup_error = str(error)
        except Exception as error:
            log.exception("start-up failed")
            self.startup_error = f"The model could not be loaded ({type(error).__name__})."
        return self.config

    def select(self, choice: str | None) -> LoadedModel:
        """Resolve `choice` again (a branch may have moved) and return that commit loaded.

        None means the configured revision (default: the newest release, else main).
        """
        choice = (choice or "").strip() or None
        model = self._load(resolve_model(self._repo(), choice or self.config.model_revision, api=self.api))
        with self._lock:
            self._chosen[choice or ""] = (model.resolved.repo_id, model.resolved.commit, model.resolved.subfolder)
        return model

    def model_for(self, choice: str | None) -> LoadedModel:
        """The model a session picked, as pinned when it picked it; loaded again if it was unloaded since."""
        if not choice:
            if self.default is None:
                raise HubtoolsError(self.startup_error or "No model is loaded.")
            return self.default
        with self._lock:
            key = self._chosen.get(choice)
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        return self.select(choice)

    def _repo(self) -> str:
        if not self.config.model_repo:
            raise HubtoolsError("No model is configured: set the MODEL_REPO variable of this Space.")
        return self.config.model_repo

    def _cached(self, key: tuple[str, str, str], resolved: ResolvedModel) -> LoadedModel | None:
        with self._lock:
            model = self._loaded.get(key)
            if model is None:
                return None
            self._loaded.move_to_end(key)
        if model.resolved != resolved:  # the same commit reached through another name (main = v0.2.0)
            model = LoadedModel(**{**model.__dict__, "resolved": resolved})
        return model

    def _load(self, resolved: ResolvedModel) -> LoadedModel:
        """Load once per commit; other sessions keep chatting while a model loads (only its loaders wait)."""
        key = (resolved.repo_id, resolved.commit, resolved.subfolder)
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            model = self._cached(key, resolved)
            if model is not None:
                return model
            try:
                model = self._build(resolved)
            except HubtoolsError as error:
                raise HubtoolsError(f"Could not load {resolved.describe()}: {error}") from error
            except Exception as error:
                log.exception("loading %s failed", resolved)
                detail = re.sub(r"'?(?:/[^\s'/]+)+/([^\s'/]+)'?", r"\1", str(error))[:200]  # no cache paths
                raise HubtoolsError(
                    f"Could not load {resolved.describe()}: {type(error).__name__}: {detail}"
                ) from error
            with self._lock:
                self._loaded[key] = model
                self._evict()
            return model

    def _evict(self) -> None:
        """Unload the least recently used models beyond `max_loaded`, never the start-up default."""
        for old_key in list(self._loaded):
            if len(self._loaded) <= self.max_loaded:
                return
            if self._loaded[old_key] is not self.default:
                self._loaded.pop(old_key).batcher.close()

    def _build(self, resolved: ResolvedModel) -> LoadedModel:
        from transformers import AutoTokenizer

        files = download_model(resolved, api=self.api)
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(files.path))
        except Exception:
            if not (resolved.subfolder and self.default):
                raise
            tokenizer = self.default.tokenizer  # a checkpoint saved without its tokenizer: the release's one
        convert_dir = self.cache_dir / resolved.repo_id / resolved.commit / (resolved.subfolder or "_root") / "ct2"

        def ensure_weights() -> Path:
            return files.path if files.has_weights else download_model(resolved, api=self.api, weights=True).path

        backend = load_backend(
            files.path,
            fast_dir=files.fast_dir,
            prefer=self.config.backend,
            convert_dir=convert_dir,
            ensure_weights=ensure_weights,
            device=self.config.device,
        )
        builder = PromptBuilder(tokenizer, context_window(files.path))
        end_ids, stops = builder.stops()
        log.info("loaded %s with %s", resolved.describe(), backend.name)
        return LoadedModel(resolved, tokenizer, builder, backend, Batcher(backend), tuple(end_ids), tuple(stops))

    def choices(self, *, maintainer: bool = False) -> list[ModelChoice]:
        """Releases and main (and the training checkpoints for maintainers); [] when the repo is unreachable."""
        if not self.config.model_repo:
            return []
        try:
            return list_choices(
                self.config.model_repo,
                api=self.api,
                with_checkpoints=maintainer or self.config.show_checkpoints,
                branch=self.config.checkpoints_branch,
            )
        except HubtoolsError as error:
            log.warning("listing revisions failed: %s", error)
            return []

    def is_checkpoint(self, choice: str | None) -> bool:
        """Whether a choice points into the training checkpoints (shown to maintainers only)."""
        revision = (choice or "").split(":", 1)[0].strip()
        return ":" in (choice or "") or revision == self.config.checkpoints_branch

    def status(self, model: LoadedModel | None) -> str:
        if model is not None:
            return model.status()
        return f"⚠️ {self.startup_error or 'No model is loaded.'}"

    # -- chatting ---------------------------------------------------------------------------------
    def reply(
        self,
        message: str,
        history: list[dict] | None,
        *,
        card: CharacterCard | None = None,
        settings: GenerationSettings | None = None,
        model: LoadedModel | None = None,
    ) -> Iterator[str]:
        """Yield the reply as it grows. Raises `HubtoolsError` (a message fit for the visitor) on any failure."""
        model = model or self.default
        if model is None:
            raise HubtoolsError(self.startup_error or "No model is loaded.")
        card = card or CharacterCard()
        settings = (settings or GenerationSettings()).clamped()
        prompt = model.builder.build(card, history, message, settings.max_new_tokens)
        params = SamplingParams(
            temperature=settings.temperature,
            top_p=settings.top_p,
            top_k=settings.top_k,
            repetition_penalty=settings.repetition_penalty,
            end_ids=model.end_ids,
            static_prefix=tuple(prompt.ids[: prompt.prefix_len]),
        )
        stops = model.stop_strings + settings.stop_sequences + (f"\n{card.user_name or 'User'}:",)
        if self.config.device == "cpu":
            request = model.batcher.submit(prompt.ids, params, prompt.max_new_tokens)
        else:  # inside the `@spaces.GPU` call that holds the GPU
            request = generate_alone(model.backend, prompt.ids, params, prompt.max_new_tokens)
        said = False
        for text in stream_text(request, model.tokenizer, stops):
            said = said or bool(text)
            yield text
        if not said:
            yield EMPTY_REPLY

"""Generation settings as the UI offers them, and the token stream turned into growing reply text.

Text is decoded from all ids so far (byte-level BPE splits characters across tokens), and any tail that
could be the start of a stop sequence is held back, so a stop string is never shown and then taken away.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from hubtools.errors import HubtoolsError


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling knobs a visitor can turn; `temperature=0` means greedy."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_new_tokens: int = 128
    repetition_penalty: float = 1.1
    stop_sequences: tuple[str, ...] = ()
    top_k: int = 50

    def clamped(self) -> GenerationSettings:
        """Out-of-range values (from the API, where sliders do not bound them) brought into range; a value that is
        no finite number (NaN, infinity, text) is refused, naming the setting, since no range holds it."""
        return GenerationSettings(
            temperature=_bounded("temperature", self.temperature, 0.0, 2.0),
            top_p=_bounded("top_p", self.top_p, 0.05, 1.0),
            max_new_tokens=int(_bounded("max_new_tokens", self.max_new_tokens, 1, 1024)),
            repetition_penalty=_bounded("repetition_penalty", self.repetition_penalty, 1.0, 2.0),
            stop_sequences=tuple(s for s in self.stop_sequences if s)[:8],
            top_k=int(_bounded("top_k", self.top_k, 0, 1000)),
        )


def _bounded(name: str, value: object, low: float, high: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise HubtoolsError(f"{name}: expected a number from {low:g} to {high:g}, got {value!r}")
    return min(max(number, low), high)


def parse_stop_sequences(text: str | None) -> tuple[str, ...]:
    """One stop sequence a line; `\\n` and `\\t` escapes are understood, so `\\nUser:` can be typed."""
    out = []
    for line in (text or "").splitlines():
        if line.strip():
            try:
                out.append(codecs.decode(line, "unicode_escape") if "\\" in line else line)
            except UnicodeDecodeError:
                out.append(line)
    return tuple(out)


class TokenStream(Protocol):
    """What the batcher hands back: token ids as they come; `close()` stops generating them."""

    def __iter__(self) -> Iterator[int]: ...

    def close(self) -> None: ...


def _held_back(text: str, stops: Iterable[str]) -> int:
    """Length of the longest tail of `text` that begins some stop sequence."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if stop.startswith(text[-size:]):
                longest = size
                break
    return longest


def stream_text(tokens: TokenStream, tokenizer: Any, stops: Iterable[str] = ()) -> Iterator[str]:
    """Yield the reply so far each time it grows; stop (and close `tokens`) at the first stop sequence."""
    stops = [s for s in stops if s]
    ids: list[int] = []
    shown = ""
    try:
        for token_id in tokens:
            ids.append(token_id)
            text = tokenizer.decode(ids, skip_special_tokens=True)
            if text.endswith("\ufffd"):  # a character split across tokens: wait for the rest
                continue
            text = text.replace("\ufffd", "").lstrip()  # bytes that never formed a character are dropped
            cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
            if cut >= 0:
                final = text[:cut].rstrip()
                if final != shown:
                    yield final
                return
            visible = text[: len(text) - _held_back(text, stops)]
            if visible != shown:
                shown = visible
                yield shown
        final = tokenizer.decode(ids, skip_special_tokens=True).replace("\ufffd", "").strip()
        if final != shown:
            yield final
    finally:
        tokens.close()

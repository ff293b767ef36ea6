"""What the CLI does with an error nobody anticipated: a bug, or a situation hubtools does not handle yet.

The user sees one line (the command, the input when the error names one, the exception) and where the full
traceback went, so a bug report can attach it; the traceback goes to a log file, never to the screen unless
`HUBTOOLS_DEBUG=1`. Tokens are redacted from everything written or printed.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path

from hubtools import __version__

DEBUG_ENV = "HUBTOOLS_DEBUG"
REDACTED = "<redacted>"
# A Hugging Face access token: `hf_` and 30+ letters or digits (API names such as hf_hub_download have `_`s).
_HF_TOKEN = re.compile(r"hf_[A-Za-z0-9]{30,}")
_TOKEN_OPTION = re.compile(r"(--token(?:=|\s+))(?!<redacted>)([^\s`'\"]+)")
_TOKEN_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
# Shorter "tokens" (the embedded Hub takes any) are not secrets worth garbling every line of a traceback for.
_MIN_SECRET = 6


def report_unexpected(error: BaseException, argv: Sequence[str]) -> int:
    """Print one line about `error` and log its traceback (or print it with HUBTOOLS_DEBUG=1); the exit status."""
    secrets = _known_tokens(argv)
    command = redact(shlex.join(["hubtools", *argv]), secrets)
    details = redact("".join(traceback.format_exception(error)), secrets)
    line = redact(f"hubtools: unexpected error in `{command}`{_input_of(error)}: {_describe(error)}", secrets)
    if debugging():
        print(details, end="", file=sys.stderr)
        print(line, file=sys.stderr)
        return 1
    log, why = _write_log(command, details)
    if log is None:  # nowhere to write: the traceback is better on screen than lost
        print(details, end="", file=sys.stderr)
        print(f"{line} (no log file could be written: {why})", file=sys.stderr)
    else:
        print(f"{line} (traceback in {log}; {DEBUG_ENV}=1 prints it)", file=sys.stderr)
    return 1


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given secrets, anything shaped like an HF token, or the value of a `--token` option."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _HF_TOKEN.sub(REDACTED, text)
    return _TOKEN_OPTION.sub(lambda match: match.group(1) + REDACTED, text)


def _known_tokens(argv: Sequence[str]) -> set[str]:
    """Every token this process may hold: `--token`, the environment, and the file `hf auth login` saves."""
    found = {os.environ.get(name, "") for name in _TOKEN_ENV}
    for index, arg in enumerate(argv):
        if arg == "--token" and index + 1 < len(argv):
            found.add(argv[index + 1])
        elif arg.startswith("--token="):
            found.add(arg.split("=", 1)[1])
    hf_home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    try:
        found.add(Path(os.environ.get("HF_TOKEN_PATH") or hf_home / "token").read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        pass
    return {token for token in found if len(token) >= _MIN_SECRET}


def _describe(error: BaseException) -> str:
    """The exception's type and first line, then its notes (the CLI adds one saying where it stopped)."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    text = text if len(text) <= 300 else text[:299] + "…"
    notes = "; ".join(getattr(error, "__notes__", ()))
    return f"{text} ({notes})" if notes else text


def _input_of(error: BaseException) -> str:
    """` (on PATH)` for the innermost file an error in the chain names, as OSErrors do."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        filename = getattr(current, "filename", None)
        if isinstance(filename, (str, bytes, os.PathLike)) and str(filename):
            return f" (on {os.fsdecode(filename)})"
        current = current.__cause__ or current.__context__
    return ""


def _log_dirs() -> list[Path]:
    from hubtools.paths import hubtools_home

    return [hubtools_home() / "logs", Path(tempfile.gettempdir()) / "hubtools-logs"]


def _write_log(command: str, details: str) -> tuple[Path | None, str]:
    """A new file, readable by the user only (paths in a traceback are private too), under the first usable dir."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    text = (
        f"hubtools {__version__}, Python {platform.python_version()} on {platform.platform()}\n"
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\ncommand: {command}\n\n{details}"
    )
    why = ""
    for folder in _log_dirs():
        path = folder / f"crash-{stamp}-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            return path, ""
        except OSError as error:
            why = f"{path}: {error.strerror or error}"
    return None, why

"""Output files that lose nothing: atomic writes and checks that an output is never one of the inputs.

`atomic_write` writes to a temporary file in the target's folder, fsyncs it and renames it over the target,
so a crash, Ctrl-C or a full disk leaves an existing file exactly as it was; a failed write is a one-line
`HubtoolsError` naming the target. `check_output_file` and `refuse_overlaps` run before anything is
written: an output that is a folder, sits under a file, or is (through `./`, symlinks or hard links) an
input or another output is refused.

It also names what the stages share on disk: `hubtools_home()` (hubtools' own state) and the file names one stage
writes and a later one reads, so no stage imports another (or the Hub target) for a path.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from hubtools.errors import HubtoolsError

TRAIN_RECORD_FILE = "hubtools_train.json"  # written by train next to the model; read by eval, cards and release
EVAL_RESULTS_FILE = "eval_results.json"  # written by eval in the model folder; read by cards and the next release
LOSS_CURVE_FILE = "loss_curve.png"  # drawn by train from the log; shown on the model card
SPACE_VARIABLES_FILE = "space_variables.json"  # the Space's variables, committed beside app.py by the deploy
# The card templates (`model_cards/` at the repository root, through a symlink so wheels ship them): the data
# stage renders the dataset card, the cards stage the model card.
TEMPLATES_DIR = Path(__file__).parent / "cards" / "templates"


def hubtools_home() -> Path:
    """Where hubtools keeps its own state (embedded Hub data, caches): `HUBTOOLS_HOME` or the user cache."""
    env = os.environ.get("HUBTOOLS_HOME")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hubtools"


def check_output_file(path: Path, label: str = "output") -> None:
    """`path` can be created or replaced as a file: it is not a folder and no folder above it is a file."""
    path = Path(path)
    if path.is_dir():
        raise HubtoolsError(f"{label} {path} is a folder: give a file path")
    check_parent_folders(path, label)


def check_parent_folders(path: Path, label: str = "output") -> None:
    """Every existing path above `path` is a folder, so the missing ones can be made."""
    for parent in Path(path).absolute().parents:
        if parent.is_dir():
            return
        if parent.exists() or parent.is_symlink():
            raise HubtoolsError(f"{label} {path}: {parent} is a file, not a folder")


def is_within(path: Path, folder: Path) -> bool:
    """Whether `path`, symlinks resolved, is `folder` or inside it."""
    resolved, base = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return resolved == base or base in resolved.parents


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same inode (symlinks, hard links) or the same resolved path."""
    first, second = _identity(a), _identity(b)
    if first is not None and first == second:
        return True
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def refuse_overlaps(outputs: Sequence[tuple[str, Path]], inputs: Iterable[Path]) -> None:
    """Raise if an output (`(label, path)`) is one of `inputs` or the same file as an earlier output."""
    inputs = list(inputs)
    by_identity = {identity: path for path in inputs if (identity := _identity(path)) is not None}
    by_name = {os.path.normcase(os.path.realpath(path)): path for path in inputs}
    for index, (label, path) in enumerate(outputs):
        identity = _identity(path)
        found = by_identity.get(identity) if identity is not None else None
        found = found or by_name.get(os.path.normcase(os.path.realpath(path)))
        if found is not None:
            raise HubtoolsError(f"{label} {path} is the input {found}: refusing to overwrite an input")
        for other_label, other in outputs[:index]:
            if same_file(path, other):
                raise HubtoolsError(f"{label} {path} is the same file as {other_label} {other}: give another path")


class _Staged:
    """One output being written: a temporary file next to the target, renamed over it on `commit`."""

    def __init__(self, path: Path, binary: bool) -> None:
        self.path = Path(path)
        self.temp: Path | None = None
        target = Path(os.path.realpath(self.path)) if self.path.is_symlink() else self.path
        try:
            existing = os.stat(target)
        except OSError:
            existing = None
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        self.target = target
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            # a device or pipe (/dev/stdout, /dev/full, a FIFO): nothing on disk to keep, write straight to it
            self.file: IO = open(target, mode, encoding=encoding)  # noqa: SIM115 - closed by finish/discard
            return
        check_parent_folders(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        while self.temp is None:
            candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            self.temp = candidate
        if existing is not None:
            os.chmod(fd, stat.S_IMODE(existing.st_mode))
        self.file = open(fd, mode, encoding=encoding)  # noqa: SIM115 - closed by finish/discard

    def finish(self) -> None:
        self.file.flush()
        if self.temp is not None:
            os.fsync(self.file.fileno())
        self.file.close()

    def commit(self) -> None:
        if self.temp is None:
            return
        os.replace(self.temp, self.target)
        self.temp = None
        with contextlib.suppress(OSError):  # make the rename itself durable, where the platform allows
            folder = os.open(self.target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        if self.temp is not None:
            with contextlib.suppress(OSError):
                self.temp.unlink()


class _Writer:
    """The handle callers write to; a failed write names the output, not the temporary file."""

    def __init__(self, staged: _Staged) -> None:
        self._staged = staged

    def write(self, data: str | bytes) -> int:
        try:
            return self._staged.file.write(data)
        except OSError as error:
            raise write_error(self._staged.path, error) from None

    def writelines(self, lines: Iterable[str | bytes]) -> None:
        for line in lines:
            self.write(line)


def write_error(path: Path, error: OSError) -> HubtoolsError:
    """The one-line error for an output that could not be written (full disk, no permission, …)."""
    reason = error.strerror or str(error)
    return HubtoolsError(f"cannot write {path}: {reason}")


@contextlib.contextmanager
def atomic_writes(paths: Sequence[Path], *, binary: bool = False) -> Iterator[list[_Writer]]:
    """Write several files all-or-nothing: each goes to a temporary file, renamed over its target only once
    every file was written and synced. Text handles write UTF-8."""
    staged: list[_Staged] = []
    try:
        for path in paths:
            with _naming(path):
                staged.append(_Staged(Path(path), binary))
        yield [_Writer(item) for item in staged]
        for item in staged:
            with _naming(item.path):
                item.finish()
        for item in staged:
            with _naming(item.path):
                item.commit()
    finally:
        for item in staged:
            item.discard()


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise write_error(Path(path), error) from None


@contextlib.contextmanager
def atomic_write(path: Path, *, binary: bool = False) -> Iterator[_Writer]:
    """Write one file atomically: an existing file stays as it was unless the whole new content is in place."""
    with atomic_writes([path], binary=binary) as (handle,):
        yield handle


def write_text_atomic(path: Path, text: str) -> None:
    """`Path.write_text`, atomically (UTF-8)."""
    with atomic_write(path) as handle:
        handle.write(text)


@contextlib.contextmanager
def atomic_folder(target: Path, *, prefix: str, failure: str) -> Iterator[Path]:
    """A hidden staging folder beside `target`, swapped in for it when the block ends; on any error the staging
    folder goes and `target` stays as it was. Errors other than `HubtoolsError` become one `failure: ...` line."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield staging
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except Exception as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, HubtoolsError):
            raise
        raise HubtoolsError(f"{failure}: {type(error).__name__}: {error}") from error

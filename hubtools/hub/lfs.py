"""Large files: a sha256-addressed object store, git-lfs pointer files and the "lfs or regular" rule.

Large and binary files never enter git: git holds a small pointer (the git-lfs spec) and the content lives
once under `root/lfs/objects/ab/cd/<sha256>`, whichever repos reference it. Uploads arrive on a URL the
client PUTs to without credentials (that is how the Hub's LFS batch API works), so the URL is signed and the
body is hashed while it is written: only content matching the announced oid and size is ever stored.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hubtools.hub._errors import HubError, bad_request

LFS_THRESHOLD = 10 * 1024 * 1024
POINTER_MAX_SIZE = 200
_OID = re.compile(r"[0-9a-f]{64}")
# An upload being received is `lfs/tmp/upload-<pid of the server process>-<random>`.
_UPLOAD = re.compile(r"upload-([0-9]+)-")
_UNNAMED_UPLOAD_STALE_AFTER = 3600.0
_POINTER = re.compile(rb"version https://git-lfs\.github\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize ([0-9]+)\n")

# Stored as LFS whatever their size: the binary formats the Hub's default .gitattributes lists.
LFS_EXTENSIONS = frozenset(
    ".7z .arrow .avro .bin .bz2 .ckpt .flac .gguf .gif .gz .h5 .jpeg .jpg .joblib .lz4 .mlmodel .model .mp3 .mp4"
    " .msgpack .npy .npz .ogg .onnx .ot .parquet .pb .pickle .pkl .png .pt .pth .rar .safetensors .tar .tflite"
    " .tgz .wasm .wav .webm .webp .xz .zip .zst".split()
)

DEFAULT_GITATTRIBUTES = "".join(f"*{ext} filter=lfs diff=lfs merge=lfs -text\n" for ext in sorted(LFS_EXTENSIONS))
DEFAULT_GITATTRIBUTES += "*tfevents* filter=lfs diff=lfs merge=lfs -text\n"


@dataclass(frozen=True)
class Pointer:
    """What a git-lfs pointer file says: the content's sha256 and size."""

    oid: str
    size: int

    def encode(self) -> bytes:
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.oid}\nsize {self.size}\n".encode()


def parse_pointer(content: bytes) -> Pointer | None:
    """The pointer a blob holds, or None when the blob is ordinary content."""
    if len(content) > POINTER_MAX_SIZE:
        return None
    match = _POINTER.fullmatch(content)
    return Pointer(match.group(1).decode(), int(match.group(2))) if match else None


def check_oid(oid: object) -> str:
    if not isinstance(oid, str) or not _OID.fullmatch(oid):
        raise bad_request(f"Invalid LFS oid {oid!r}: expected 64 lowercase hex characters (sha256)")
    return oid


def _looks_binary(sample: bytes, size: int) -> bool:
    if b"\0" in sample:
        return True
    # The sample is cut at 512 bytes, possibly inside a multi-byte character.
    cuts = range(4) if len(sample) < size else range(1)
    for cut in cuts:
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return False
        except UnicodeDecodeError:
            continue
    return True


def lfs_patterns(gitattributes: str) -> list[str]:
    """The patterns a `.gitattributes` routes to LFS (`filter=lfs`)."""
    patterns = []
    for line in gitattributes.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return patterns


def _matches(path: str, pattern: str) -> bool:
    if "/" in pattern.strip("/"):
        return fnmatch.fnmatchcase(path, pattern.lstrip("/"))
    return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def upload_mode(path: str, size: int, sample: bytes, patterns: Iterable[str] = ()) -> str:
    """`lfs` for large, binary or LFS-tracked files, `regular` for small text, as the Hub decides."""
    if size == 0:
        return "regular"
    if size > LFS_THRESHOLD:
        return "lfs"
    if os.path.splitext(path)[1].lower() in LFS_EXTENSIONS:
        return "lfs"
    if any(_matches(path, pattern) for pattern in patterns):
        return "lfs"
    return "lfs" if _looks_binary(sample, size) else "regular"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # another user's process: assume it is busy
    return True


class LfsStore:
    """Content-addressed large-file storage under `root/lfs`, shared by all repos of one Hub."""

    def __init__(self, root: Path, secret: bytes | None = None) -> None:
        self.objects = root / "lfs" / "objects"
        self.tmp = root / "lfs" / "tmp"
        self._secret = secret or secrets.token_bytes(32)

    def path(self, oid: str) -> Path:
        oid = check_oid(oid)
        return self.objects / oid[:2] / oid[2:4] / oid

    def size(self, oid: str) -> int | None:
        """The stored size of an object, or None when it is not stored."""
        try:
            return self.path(oid).stat().st_size
        except FileNotFoundError:
            return None

    def has(self, oid: str, size: int | None = None) -> bool:
        stored = self.size(oid)
        return stored is not None and (size is None or stored == size)

    def remove_stale_uploads(self) -> list[Path]:
        """Delete half-received uploads whose server process is gone (killed mid-upload); return what went.

        Another live server on the same root may be receiving into `lfs/tmp` right now: its files are kept.
        """
        removed = []
        for path in self.tmp.glob("upload-*") if self.tmp.is_dir() else ():
            match = _UPLOAD.match(path.name)
            try:
                if match and _process_alive(int(match.group(1))):
                    continue
                if not match and time.time() - path.stat().st_mtime < _UNNAMED_UPLOAD_STALE_AFTER:
                    continue
                path.unlink()
            except FileNotFoundError:
                continue  # finished (or cleaned) meanwhile
            removed.append(path)
        return removed

    def receive(self, oid: str, size: int, chunks: Iterable[bytes]) -> None:
        """Store an upload, hashing while writing; refuse (400) a body whose sha256 or size does not match."""
        target = self.path(oid)
        self.tmp.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        received = 0
        handle, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix=f"upload-{os.getpid()}-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    received += len(chunk)
                    if received > size:
                        raise bad_request(f"LFS upload is larger than the announced size {size}")
                    digest.update(chunk)
                    out.write(chunk)
            if received != size:
                raise bad_request(f"LFS upload has {received} bytes, expected {size}")
            if digest.hexdigest() != oid:
                raise bad_request(f"LFS upload does not match its oid: sha256 is {digest.hexdigest()}, expected {oid}")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def sign(self, oid: str, size: int, ttl: int = 3600) -> str:
        """Query string granting one upload of exactly (oid, size) until it expires."""
        expires = int(time.time()) + ttl
        return f"size={size}&expires={expires}&sig={self._signature(oid, size, expires)}"

    def check_signature(self, oid: str, size: str, expires: str, signature: str) -> int:
        """The size a signed upload URL allows; 403 when the signature is wrong or expired."""
        try:
            size_value, expires_value = int(size), int(expires)
        except ValueError:
            raise HubError(403, "Invalid upload URL") from None
        expected = self._signature(oid, size_value, expires_value)
        if not hmac.compare_digest(expected, signature) or expires_value < time.time():
            raise HubError(403, "Invalid or expired upload URL: ask the LFS batch endpoint for a new one")
        return size_value

    def _signature(self, oid: str, size: int, expires: int) -> str:
        return hmac.new(self._secret, f"{oid}:{size}:{expires}".encode(), hashlib.sha256).hexdigest()

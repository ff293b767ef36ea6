"""Concurrent chat requests grouped into batches, so several visitors are served at once.

One decode step costs nearly the same for 1 row as for a few (weights are read once per step either way),
and the CTranslate2 backend runs one batch per core side by side. The scheduler therefore waits a moment
for simultaneous arrivals, then spreads the waiting requests that share sampling options evenly over the
free slots. A request that arrives while every slot is busy starts when the first batch ends.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Iterator

from hubtools.errors import HubtoolsError
from hubtools.serve.backends import Backend, SamplingParams

log = logging.getLogger(__name__)
_END = object()


class Request:
    """One prompt's token stream; iterate to receive ids as they are generated, `close()` to stop early."""

    def __init__(self, prompt: list[int], params: SamplingParams, max_new_tokens: int) -> None:
        self.prompt = prompt
        self.params = params
        self.max_new_tokens = max_new_tokens
        self.generated = 0
        self.cancelled = threading.Event()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def __iter__(self) -> Iterator[int]:
        while not self.cancelled.is_set():
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.cancelled.set()

    def _deliver(self, token: int) -> bool:
        """Called from the engine thread; True stops this row."""
        if self.cancelled.is_set():
            return True
        self._queue.put(token)
        self.generated += 1
        return self.generated >= self.max_new_tokens

    def _finish(self, error: BaseException | None = None) -> None:
        if error is not None:
            self._queue.put(error)
        self._queue.put(_END)


class Batcher:
    """Feeds one backend: at most `backend.slots` batches at once, each up to `backend.max_batch` rows."""

    def __init__(self, backend: Backend, *, gather_seconds: float = 0.02) -> None:
        self.backend = backend
        self.gather_seconds = gather_seconds
        self._pending: list[Request] = []
        self._running = 0
        self._closed = False
        self._cond = threading.Condition()
        self._scheduler = threading.Thread(target=self._schedule, name="hubtools-batcher", daemon=True)
        self._scheduler.start()

    def submit(self, prompt: list[int], params: SamplingParams, max_new_tokens: int) -> Request:
        request = Request(prompt, params, max_new_tokens)
        with self._cond:
            if self._closed:
                raise HubtoolsError("This model was unloaded; please send your message again.")
            self._pending.append(request)
            self._cond.notify_all()
        return request

    @property
    def active_batches(self) -> int:
        """Batches the backend is generating now (0 once every stream has ended or been closed)."""
        with self._cond:
            return self._running

    def close(self) -> None:
        """Stop taking requests; running batches finish, waiting ones are told to retry."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _schedule(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._pending or self._running >= self.backend.slots):
                    self._cond.wait()
                if self._closed:
                    for request in self._pending:
                        request._finish(HubtoolsError("This model was unloaded; please send your message again."))
                    self._pending.clear()
                    return
            time.sleep(self.gather_seconds)  # let requests sent at the same moment share the batch
            batches = []
            with self._cond:
                self._pending = [r for r in self._pending if not r.cancelled.is_set()]
                while self._pending and self._running < self.backend.slots:
                    free = self.backend.slots - self._running
                    head = self._pending[0].params
                    group = [r for r in self._pending if r.params == head]
                    batch = group[: min(self.backend.max_batch, math.ceil(len(group) / free))]
                    self._pending = [r for r in self._pending if r not in batch]
                    self._running += 1
                    batches.append(batch)
            for batch in batches:
                threading.Thread(target=self._run, args=(batch,), name="hubtools-batch", daemon=True).start()

    def _run(self, batch: list[Request]) -> None:
        try:
            _generate(self.backend, batch)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


def _generate(backend: Backend, batch: list[Request]) -> None:
    """Run one batch to its end; every request in it is finished, with the error if generation failed."""
    error: BaseException | None = None
    try:
        backend.generate(
            [r.prompt for r in batch],
            batch[0].params,
            max(r.max_new_tokens for r in batch),
            lambda row, token: batch[row]._deliver(token),
        )
    except Exception as exc:  # reported to every waiting visitor, logged with its traceback here
        log.exception("generation failed")
        error = HubtoolsError(f"Generation failed ({type(exc).__name__}); please try again.")
    finally:
        for request in batch:
            request._finish(error)


def generate_alone(backend: Backend, prompt: list[int], params: SamplingParams, max_new_tokens: int) -> Request:
    """One request generated on a new thread of this very process, started now.

    For ZeroGPU: the GPU belongs to the process running the `@spaces.GPU` call, so generation cannot wait
    for the batcher's scheduler thread, which lives elsewhere.
    """
    request = Request(prompt, params, max_new_tokens)
    threading.Thread(target=_generate, args=(backend, [request]), name="hubtools-alone", daemon=True).start()
    return request

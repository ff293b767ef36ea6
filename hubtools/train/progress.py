"""A progress bar that shows what matters for throughput: real (non-padding) tokens per second, and the loss."""

from __future__ import annotations

import sys
import time

from transformers.trainer_callback import ProgressCallback


class TokensPerSecondProgress(ProgressCallback):
    """The Trainer's tqdm bar, with `tok/s` (this session's tokens / wall time) and the last logged loss."""

    def on_train_begin(self, args, state, control, **kwargs):
        super().on_train_begin(args, state, control, **kwargs)
        self._start = time.perf_counter()
        self._start_tokens = state.num_input_tokens_seen
        self._loss: float | None = None
        if self.training_bar is not None and state.global_step:
            self.training_bar.update(state.global_step)  # resumed: start the bar where the run is
            self.current_step = state.global_step

    def on_step_end(self, args, state, control, **kwargs):
        super().on_step_end(args, state, control, **kwargs)
        if self.training_bar is None:
            return
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        rate = (state.num_input_tokens_seen - self._start_tokens) / elapsed
        postfix = f"{rate:,.0f} tok/s" + (f", loss {self._loss:.3f}" if self._loss is not None else "")
        self.training_bar.set_postfix_str(postfix, refresh=False)

    def on_log(self, args, state, control, logs=None, **kwargs):
        """One compact line per log on stderr (stdout is for the command's result), above the bar."""
        if not logs or self.training_bar is None:
            return
        if "loss" in logs:
            self._loss = float(logs["loss"])
        shown = [f"{key} {_fmt(logs[key])}" for key in _SHOWN if key in logs]
        if shown:
            self.training_bar.write(f"step {state.global_step}: " + ", ".join(shown), file=sys.stderr)


_SHOWN = ("loss", "eval_loss", "learning_rate", "grad_norm", "mean_token_accuracy", "train_tokens_per_second")


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)

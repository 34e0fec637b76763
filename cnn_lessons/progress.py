"""Progress a person can watch while a model trains, and the one line per epoch it leaves.

In a Jupyter notebook the live line is a display updated in place, so the saved notebook keeps
one readable line per epoch (GitHub's view and nbval stay clean); on a terminal the line is
redrawn with a carriage return; elsewhere (logs, CI) only the epoch lines are printed.
"""

import sys
import time

from ._keras import keras


def epoch_line(epoch, epochs, logs, seconds):
    """The one line an epoch leaves behind: its losses and accuracies, and how long it took."""
    parts = [f"epoch {epoch + 1}/{epochs}"]
    # training metrics before validation ones, losses before accuracies, the total loss and the
    # main output before an auxiliary head's (whose names are longer: aux1_linear_loss)
    order = sorted(
        logs, key=lambda key: (key.startswith("val_"), not key.endswith("loss"), len(key), key)
    )
    for key in order:
        value = logs[key]
        if key.endswith(("loss", "accuracy")) and isinstance(value, (int, float)):
            parts.append(f"{key} {value:.2%}" if key.endswith("accuracy") else f"{key} {value:.4f}")
    parts.append(f"({seconds:.1f} s)")
    return "  ".join(parts)


def duration(seconds):
    """'42 s' or '3:05'."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def display_kind():
    """ "notebook" in a Jupyter kernel, "terminal" on a TTY, else "lines". (`Progress` also
    takes "silent", which shows nothing.)"""
    try:
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is not None:
            return "notebook"
    except ImportError:
        pass
    return "terminal" if sys.stdout.isatty() else "lines"


class Progress(keras.callbacks.Callback):
    """Within each epoch, the batch count and the time left (of the epoch and of the run),
    refreshed at most every `every` seconds; at the end of each epoch, `epoch_line`.

    The trainer runs one `fit` call per epoch, so it tells this callback which epoch of how many
    it is (`start_epoch`). It hooks the start of each batch, which carries no metrics: reading
    the loss every batch would make the backend wait for every step to finish.
    """

    def __init__(self, epochs, every=0.5, kind=None):
        super().__init__()
        self.epochs, self.every, self.kind = epochs, every, kind or display_kind()
        self.epoch, self.handle, self.width = 0, None, 0

    def start_epoch(self, epoch, steps):
        self.epoch, self.steps = epoch, steps
        self.started = self.shown = time.perf_counter()
        self.first = None
        self.handle = None
        self.show(f"epoch {epoch + 1}/{self.epochs}  starting", final=False)

    def on_train_batch_begin(self, batch, logs=None):
        now = time.perf_counter()
        if self.first is None:
            # the first call also traces or compiles the step: time from the next one (with
            # several steps per execution, `batch` moves on by that many)
            if batch > 0:
                self.first = (now, batch)
            return
        if now - self.shown < self.every:
            return
        per_batch = (now - self.first[0]) / (batch - self.first[1])
        left = per_batch * (self.steps - batch)
        total_left = left + per_batch * self.steps * (self.epochs - self.epoch - 1)
        width = 20
        done = round(width * batch / self.steps)
        self.show(
            f"epoch {self.epoch + 1}/{self.epochs}  [{'=' * done}{'.' * (width - done)}] "
            f"batch {batch}/{self.steps}  {duration(left)} left in the epoch, "
            f"{duration(total_left)} in all",
            final=False,
        )

    def on_test_begin(self, logs=None):
        self.show(f"epoch {self.epoch + 1}/{self.epochs}  validating", final=False)

    def end_epoch(self, logs):
        seconds = time.perf_counter() - self.started
        self.show(epoch_line(self.epoch, self.epochs, logs, seconds), final=True)

    def show(self, text, final):
        self.shown = time.perf_counter()
        if self.kind == "notebook":
            from IPython.display import display

            if self.handle is None:
                self.handle = display({"text/plain": text}, raw=True, display_id=True)
            else:
                self.handle.update({"text/plain": text}, raw=True)
        elif self.kind == "terminal":
            print(f"\r{text:<{self.width}}", end="\n" if final else "", flush=True)
            self.width = 0 if final else len(text)
        elif final and self.kind == "lines":
            print(text, flush=True)

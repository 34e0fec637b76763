"""A training recipe is data: one frozen value that says how a model is trained.

`training.train(model, dataset, recipe)` runs any recipe; `course.CHAPTERS` holds each chapter's
recipes, one per run mode. A recipe holds no sizes of its own: the trainer sizes the schedule from
the images it trains on. No framework is imported here, so the course table (and `cnn-lessons
--help`) can read recipes without Keras.
"""

import dataclasses
import math
from dataclasses import dataclass

from .validation import is_integer, positive_int

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "steps", "constant")


def _number(argument, value, low=0.0, high=math.inf, low_open=False, high_open=False):
    """A finite real number in [low, high] (or open at either end), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"`{argument}` must be a finite number. Received: {argument}={value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"`{argument}` must be in {interval}. Received: {argument}={value!r}")
    return float(value)


@dataclass(frozen=True)
class Recipe:
    """How to train: optimizer, learning-rate schedule, regularization, batches, augmentation.

    Attributes:
        optimizer: "adam", "adamw" or "sgd" (with momentum).
        learning_rate: the peak learning rate, reached after the warm-up.
        momentum, nesterov: SGD's momentum (ignored by Adam, which has its own moments).
        weight_decay: decoupled weight decay (each step shrinks every weight by learning rate
            times this share, apart from the gradient); 0 for none.
        schedule: "cosine" (from the peak to 0 over the run), "steps" (the peak divided by 10 at
            each of `milestones`, shares of the run, as in the ResNet paper) or "constant".
        warmup: the share of the run spent rising linearly from 0 to the peak.
        milestones: for "steps", where the learning rate drops, as shares of the run.
        label_smoothing: the share of each one-hot target spread over all classes.
        batch_size, epochs: images per step and passes over the training images.
        flip: mirror each training image left-right with probability 1/2.
        shift: move each training image by up to this many pixels in each direction, filling
            with zeros (the same as padding by `shift` and cropping at random).
        validation_split: the share of the training images held out to choose recipes on.
        output_weights: the loss weight of each output of a model with several (GoogLeNet's
            auxiliary heads: (1.0, 0.3)); empty for one output.
        bn_momentum: the momentum of every batch-normalization layer's moving statistics during
            this run (None keeps the model's own; Keras's default 0.99 averages over ~100
            batches, too slow for a run of a few hundred: 0.9 follows the last ~10).
        steps_per_execution: training steps the backend runs per call from Python. The steps are
            the same, so is the result; several per call save the per-step overhead that
            dominates small models (LeNet-5) on a CPU.
    """

    optimizer: str = "adam"
    learning_rate: float = 2e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup: float = 0.0
    milestones: tuple = (0.5, 0.75)
    label_smoothing: float = 0.0
    batch_size: int = 128
    epochs: int = 4
    flip: bool = False
    shift: int = 0
    validation_split: float = 0.1
    output_weights: tuple = ()
    bn_momentum: float = None
    steps_per_execution: int = 1

    def __post_init__(self):
        def choice(argument, allowed):
            value = getattr(self, argument)
            if value not in allowed:
                raise ValueError(
                    f"`{argument}` must be one of {', '.join(map(repr, allowed))}. "
                    f"Received: {argument}={value!r}"
                )

        def flag(argument):
            if not isinstance(getattr(self, argument), bool):
                raise ValueError(
                    f"`{argument}` must be True or False. Received: {argument}={getattr(self, argument)!r}"
                )

        choice("optimizer", OPTIMIZERS)
        choice("schedule", SCHEDULES)
        _number("learning_rate", self.learning_rate, low=0.0, low_open=True)
        _number("momentum", self.momentum, high=1.0, high_open=True)
        _number("weight_decay", self.weight_decay)
        _number("warmup", self.warmup, high=1.0, high_open=True)
        _number("label_smoothing", self.label_smoothing, high=1.0, high_open=True)
        _number("validation_split", self.validation_split, high=1.0, high_open=True)
        flag("nesterov")
        flag("flip")
        object.__setattr__(self, "batch_size", positive_int("batch_size", self.batch_size))
        object.__setattr__(self, "epochs", positive_int("epochs", self.epochs))
        steps = positive_int("steps_per_execution", self.steps_per_execution)
        object.__setattr__(self, "steps_per_execution", steps)
        if not is_integer(self.shift) or self.shift < 0:
            raise ValueError(
                f"`shift` must be an integer >= 0 pixels. Received: shift={self.shift!r}"
            )
        object.__setattr__(self, "shift", int(self.shift))
        milestones = tuple(self.milestones)
        for value in milestones:
            _number("milestones", value, high=1.0, low_open=True, high_open=True)
        if list(milestones) != sorted(milestones):
            raise ValueError(f"`milestones` must increase. Received: milestones={milestones!r}")
        object.__setattr__(self, "milestones", milestones)
        if self.bn_momentum is not None:
            _number("bn_momentum", self.bn_momentum, high=1.0, high_open=True)
        weights = tuple(_number("output_weights", w) for w in self.output_weights)
        object.__setattr__(self, "output_weights", weights)

    def replace(self, **changes):
        """A copy with some fields changed (and checked again), e.g. `recipe.replace(epochs=2)`;
        a value of None keeps the recipe's own, so a notebook's `EPOCHS = None` changes nothing."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            names = ", ".join(f.name for f in dataclasses.fields(self))
            raise ValueError(f"A Recipe has no field {unknown[0]!r}; its fields: {names}.")
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def learning_rate_at(self, step, steps):
        """The learning rate at `step` (0-based) of `steps`: the schedule as plain arithmetic, to
        plot or check by hand; the trainer's Keras schedule computes the same numbers."""
        warmup = round(self.warmup * steps)
        if step < warmup:
            return self.learning_rate * (step + 1) / warmup
        if self.schedule == "constant":
            return self.learning_rate
        if self.schedule == "steps":
            drops = sum(step >= round(m * steps) for m in self.milestones)
            return self.learning_rate * 0.1**drops
        progress = (step - warmup) / max(1, steps - warmup)
        return self.learning_rate * 0.5 * (1 + math.cos(math.pi * progress))

    def describe(self):
        """One line a learner can read, e.g. 'SGD (momentum 0.9), peak 0.1, cosine, ...'."""
        name = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}[self.optimizer]
        if self.optimizer == "sgd":
            name += f" (momentum {self.momentum:g}{', Nesterov' if self.nesterov else ''})"
        parts = [name, f"peak learning rate {self.learning_rate:g}"]
        schedule = {"cosine": "cosine decay to 0", "constant": "constant"}.get(
            self.schedule, f"divided by 10 at {', '.join(f'{m:.0%}' for m in self.milestones)}"
        )
        parts.append(f"{self.warmup:.0%} warm-up, then {schedule}" if self.warmup else schedule)
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g}")
        if self.label_smoothing:
            parts.append(f"label smoothing {self.label_smoothing:g}")
        if self.bn_momentum is not None:
            parts.append(f"batch-norm momentum {self.bn_momentum:g}")
        augment = [
            name
            for name, on in (("flips", self.flip), (f"shifts of {self.shift} px", self.shift))
            if on
        ]
        parts.append(f"augmentation: {' and '.join(augment)}" if augment else "no augmentation")
        parts.append(f"batch {self.batch_size}, {self.epochs} epoch{'s' * (self.epochs != 1)}")
        return "; ".join(parts)

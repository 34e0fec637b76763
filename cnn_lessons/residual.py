"""Chapter 5's experiments on residual blocks, small enough to read in one sitting.

- `zero_residual_block`: one basic block whose residual branch F is switched off (its last
  batch norm scaled by 0), to show that relu(F(x) + x) is then the identity on the non-negative
  inputs a block receives, so a deeper ResNet can always copy a shallower one.
- `training_errors`: the paper's Figure 6 measure, the training error of every batch just before
  its update, for plain and residual networks trained on the same batches in the same order.
- `window_band`, `training_error_figure`: those curves as moving means with a band of one
  standard error. (Where a trained network looks is `explain.occlusion`, shared with chapter 3.)
"""

import numpy as np

from . import resnet
from ._keras import keras
from .precision import policy
from .validation import check_choice, positive_int


def zero_residual_block(filters=16, input_shape=(8, 8, 16), mistake=None, seed=0):
    """A model of one `resnet.basic_block` (`filters`, stride 1, identity shortcut) whose
    residual branch outputs 0: its last batch norm, `block_2_bn`, has scale and shift 0, the
    initialization that later papers (e.g. Goyal et al. 2017) use for every block. `mistake` as
    `resnet.MISTAKES` (or None, the paper's block)."""
    if mistake is not None:  # resnet.basic_block would build the paper's block for a typo
        check_choice("mistake", mistake, resnet.MISTAKES)
    keras.utils.set_random_seed(seed)
    with policy("float32"):  # bfloat16 would round x on its way
        inputs = keras.Input(input_shape, name="input")
        outputs = resnet.basic_block(inputs, filters, 1, "A", name="block", mistake=mistake)
        model = keras.Model(inputs, outputs, name=f"zero_residual_{mistake or 'paper'}")
    bn = model.get_layer("block_2_bn")
    gamma, beta, mean, variance = bn.get_weights()
    bn.set_weights([np.zeros_like(gamma), np.zeros_like(beta), mean, variance])
    return model


def training_errors(
    model, x, y, batch_size=32, learning_rate=0.025, passes=1, warmup=0, milestones=(), seed=0,
    flip=False, shift=0,
):  # fmt: skip
    """Train `model` with the paper's SGD (momentum 0.9; Keras's weight decay 1e-4, which is a
    tenth of the paper's L2 of 1e-4 under momentum: see `course.decoupled`) on `passes` passes
    over (x, y), the batches drawn in an order fixed by `seed`, and return the training error of
    every batch, measured on that batch just before its update (`train_on_batch`).

    The learning rate rises linearly from `learning_rate / warmup` to `learning_rate` over the
    first `warmup` iterations (0: no warm-up), then stays constant, as in the paper's first
    32,000 iterations; `milestones`, shares of the run, divide it by 10 where they fall (the
    paper's 32,000 and 48,000 of 64,000 iterations are (0.5, 0.75)). Batch norm uses the batch's
    own statistics here, so its momentum plays no part in the result.

    `flip` and `shift` augment each batch as the paper's CIFAR runs did (`augment.flip_and_shift`:
    mirrored with probability 1/2, moved by up to `shift` pixels); the error is then measured on
    the augmented batch, as the paper's training error was.
    """
    from .augment import flip_and_shift
    from .training import RecipeSchedule

    batch_size, passes = positive_int("batch_size", batch_size), positive_int("passes", passes)
    if len(x) < batch_size:
        raise ValueError(
            f"Need at least one full batch: {len(x)} images for batches of {batch_size}. "
            f"Received: len(x)={len(x)}, batch_size={batch_size}"
        )
    warmup = positive_int("warmup", warmup, minimum=0)
    shift = positive_int("shift", shift, minimum=0)
    steps = passes * (len(x) // batch_size)
    shares = tuple(milestones)
    if not all(isinstance(m, (int, float)) and 0 < m < 1 for m in shares):
        raise ValueError(
            f"`milestones` must be shares of the run, each in (0, 1). Received: milestones={milestones!r}"
        )
    rate = RecipeSchedule(
        learning_rate, steps, warmup, "steps" if shares else "constant",
        [round(m * steps) for m in shares],
    )  # fmt: skip
    model.compile(
        keras.optimizers.SGD(rate, momentum=0.9, weight_decay=1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(passes):
        order = rng.permutation(len(x))
        for batch in order[: len(x) // batch_size * batch_size].reshape(-1, batch_size):
            model.reset_metrics()  # Keras 3.13 and older keep a running mean across calls
            images = x[batch]
            if flip or shift:  # no random numbers drawn without augmentation: the same batches
                images = flip_and_shift(images, rng, bool(flip), shift, in_place=True)
            result = model.train_on_batch(images, y[batch], return_dict=True)
            errors.append(1.0 - float(result["accuracy"]))
    return errors


def window_band(values, window=20):
    """The trailing moving mean of `values` over `window` iterations (fewer at the start), and
    its standard error, the spread of the batches in the window over sqrt(their number): arrays
    (mean, error) of the length of `values`. A batch's error is noisy (32 images); the band says
    how far apart two curves must be before the gap is more than that noise."""
    window = positive_int("window", window)
    values = np.asarray(values, dtype=float)
    mean, error = np.empty_like(values), np.empty_like(values)
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        mean[i] = chunk.mean()
        error[i] = chunk.std(ddof=1) / np.sqrt(len(chunk)) if len(chunk) > 1 else 0.0
    return mean, error


def training_error_figure(panels, window=20):
    """Figure 6 of the paper in small: {panel title: {label: per-iteration training errors}},
    each curve the moving mean over `window` iterations with a band of one standard error."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.4), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        for label, values in curves.items():
            mean, error = window_band(values, window)
            steps = np.arange(1, len(mean) + 1)
            (line,) = ax.plot(steps, mean, label=label)
            ax.fill_between(steps, mean - error, mean + error, color=line.get_color(), alpha=0.2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("iteration")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel(f"training error ({window}-iteration mean ± 1 s.e.)")
    for ax in axes[0, 1:]:
        ax.sharey(axes[0, 0])
    fig.tight_layout()
    plt.close(fig)
    return fig

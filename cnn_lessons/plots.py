"""Figures for the chapters. Each function returns a closed matplotlib Figure: a notebook shows
it once (as the cell's value), a script can `savefig` it, and no figure lingers in memory."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from .validation import positive_int


def _finish(fig):
    fig.tight_layout()
    plt.close(fig)
    return fig


def learning_curves(runs, metrics=("loss", "accuracy")):
    """Training and validation curves per epoch, one panel per metric.

    Args:
        runs: {label: history dict} (a `training.train(...).history` or `model.fit(...).history`).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.4))
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics):
        for (label, history), color in zip(runs.items(), plt.rcParams["axes.prop_cycle"]):
            epochs = np.arange(1, len(history[metric]) + 1)
            ax.plot(epochs, history[metric], "-o", color=color["color"], label=f"{label} train")
            if f"val_{metric}" in history:
                ax.plot(epochs, history[f"val_{metric}"], "--", color=color["color"],
                        label=f"{label} validation")  # fmt: skip
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _finish(fig)


def _percent_per_epoch(ax, title):
    """The look shared by the per-epoch panels in percent: title, whole epochs, 0-100 %."""
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def epoch_errors(panels, threshold=0.25):
    """Training error per epoch, after AlexNet's Figure 1: one panel per {title: {label: errors
    per epoch}}, a dotted line at `threshold` (the figure's 25 %)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.4), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        for label, errors in curves.items():
            ax.plot(
                np.arange(1, len(errors) + 1), 100 * np.asarray(errors), "-o", ms=3, label=label
            )
        ax.axhline(100 * threshold, color="grey", ls=":", lw=1)
        _percent_per_epoch(ax, title)
    axes[0, 0].set_ylabel("training error (%)")
    return _finish(fig)


def overfitting_gaps(panels):
    """Accuracy per epoch on the training images (solid) and on held-out ones (dashed), one
    colour per arm: one panel per {title: {arm: {"train": [...], "held_out": [...]}}} (the
    curves of `experiments.regularization`). The space between a colour's two lines is the gap."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.4), squeeze=False)
    for ax, (title, arms) in zip(axes[0], panels.items()):
        for (arm, curves), color in zip(arms.items(), plt.rcParams["axes.prop_cycle"]):
            epochs = np.arange(1, len(curves["train"]) + 1)
            ax.plot(epochs, 100 * np.asarray(curves["train"]), "-", color=color["color"],
                    label=f"{arm}: training")  # fmt: skip
            ax.plot(epochs, 100 * np.asarray(curves["held_out"]), "--", color=color["color"],
                    label=f"{arm}: held out")  # fmt: skip
        _percent_per_epoch(ax, title)
    axes[0, 0].set_ylabel("accuracy (%)")
    return _finish(fig)


def confusion_counts(y_true, y_pred, n_classes):
    """Matrix of counts: row = true class, column = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)), 1)
    return matrix


def confusion_matrix(y_true, y_pred, class_names, title=""):
    """The confusion matrix with counts written in each cell."""
    n = len(class_names)
    matrix = confusion_counts(y_true, y_pred, n)
    fig, ax = plt.subplots(figsize=(0.5 * n + 2.5, 0.5 * n + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), class_names, rotation=45 if n and len(str(class_names[0])) > 2 else 0)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    limit = matrix.max() / 2
    for i in range(n):
        for j in range(n):
            if matrix[i, j]:
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=7,
                        color="white" if matrix[i, j] > limit else "black")  # fmt: skip
    ax.set_title(title or f"accuracy {np.trace(matrix) / matrix.sum():.2%}")
    return _finish(fig)


def _image(ax, image):
    image = np.asarray(image)
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray_r" if image.mean() < 0.5 else "gray")
    else:
        ax.imshow(np.clip(image, 0, 1))
    ax.set_xticks([])
    ax.set_yticks([])


def samples(x, y, class_names, count=16, columns=8):
    """The first `count` images with their labels."""
    rows = max(1, -(-count // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows))
    for ax, image, label in zip(np.ravel(axes), x[:count], y[:count]):
        _image(ax, image)
        ax.set_title(str(class_names[label]), fontsize=8)
    return _finish(fig)


def misclassified(x, y_true, y_pred, class_names, limit=24, columns=8):
    """The first `limit` misclassified images, titled 'true -> predicted'."""
    wrong = np.flatnonzero(np.asarray(y_true).reshape(-1) != np.asarray(y_pred).reshape(-1))
    shown = wrong[:limit]
    rows = max(1, -(-len(shown) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, index in zip(np.ravel(axes), shown):
        ax.axis("on")
        _image(ax, x[index])
        ax.set_title(f"{class_names[y_true[index]]} -> {class_names[y_pred[index]]}", fontsize=8)
    fig.suptitle(f"{len(wrong)} of {len(y_true)} test images misclassified", fontsize=10)
    return _finish(fig)


def _tiles(images, titles, columns, cmap, **scale):
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.3 * rows))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, image, title in zip(np.ravel(axes), images, titles):
        shown = ax.imshow(image, cmap=cmap, **scale)
        ax.set_title(title, fontsize=7)
    return fig, np.ravel(axes), shown


def _colorbar(fig, axes, mappable, label):
    bar = fig.colorbar(mappable, ax=list(axes), shrink=0.8, pad=0.02, aspect=25)
    bar.set_label(label, fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return bar


def _closed(fig):
    """Close a figure laid out by matplotlib's constrained layout (which has room for colour
    bars, unlike tight_layout)."""
    plt.close(fig)
    return fig


SCALES = ("shared", "each")


def filters(kernel, columns=8, names=None, scale="shared"):
    """Convolution filters as tiles. `kernel` is (kh, kw, in, out): RGB tiles when in == 3,
    else the first input map in grey.

    scale: "shared" (the default) draws every tile on one colour scale, symmetric about 0, with a
    colour bar, so that a faint filter looks faint and tiles can be compared; "each" stretches
    each tile to its own range (every tile then looks equally strong), without a colour bar.
    """
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 4:
        raise ValueError(
            "`kernel` must be a convolution kernel of shape (height, width, input maps, filters), "
            f"e.g. layer.get_weights()[0]. Received: an array of shape {kernel.shape}"
        )
    if scale not in SCALES:
        raise ValueError(f"`scale` must be one of {SCALES}. Received: scale={scale!r}")
    rgb = kernel.shape[2] == 3
    tiles = [kernel[..., j] if rgb else kernel[:, :, 0, j] for j in range(kernel.shape[-1])]
    titles = names or [str(j) for j in range(len(tiles))]
    cmap = None if rgb else "gray"
    if scale == "each":
        images = [(tile - tile.min()) / (np.ptp(tile) or 1.0) for tile in tiles]
        return _finish(_tiles(images, titles, columns, cmap)[0])
    limit = float(np.abs(kernel).max()) or 1.0
    if rgb:  # one linear map for every channel of every tile: 0 is mid-grey
        images = [np.clip(0.5 + tile / (2 * limit), 0, 1) for tile in tiles]
        fig, axes, _ = _tiles(images, titles, columns, None)
    else:
        fig, axes, _ = _tiles(tiles, titles, columns, "gray", vmin=-limit, vmax=limit)
    fig.set_layout_engine("constrained")
    mappable = plt.cm.ScalarMappable(plt.Normalize(-limit, limit), "gray")
    _colorbar(fig, axes, mappable, "weight" + (" (each colour channel)" if rgb else ""))
    return _closed(fig)


def feature_maps(model, layer_name, image, columns=8, limit=32, show_input=True):
    """The activations of `layer_name` for one image, one tile per channel (up to `limit`), on
    one shared colour scale with a colour bar, beside the input image they come from (unless
    `show_input=False`)."""
    from ._keras import keras

    image = np.asarray(image)
    probe = keras.Model(model.input, model.get_layer(layer_name).output)
    maps = np.asarray(probe(image[None], training=False))[0]
    if maps.ndim != 3:
        raise ValueError(
            f"`layer_name` must name a layer with feature maps (height, width, channels); "
            f"{layer_name!r} outputs shape {maps.shape}. Received: layer_name={layer_name!r}"
        )
    maps = maps[..., :limit].astype(float)
    columns = min(columns, maps.shape[-1])
    rows = -(-maps.shape[-1] // columns)
    width = 1.2 * columns + (1.2 * min(rows, 3) + 0.4 if show_input else 0) + 0.8
    fig = plt.figure(figsize=(width, 1.3 * rows + 0.3), layout="constrained")
    if show_input:
        left, right = fig.subfigures(1, 2, width_ratios=[1.2 * min(rows, 3) + 0.4, 1.2 * columns])
        ax = left.subplots()
        _image(ax, image)
        ax.set_title("input", fontsize=8)
    else:
        right = fig
    axes = np.ravel(right.subplots(rows, columns, squeeze=False))
    low, high = min(0.0, float(maps.min())), float(maps.max()) or 1.0
    for ax in axes:
        ax.axis("off")
    for channel, ax in enumerate(axes[: maps.shape[-1]]):
        shown = ax.imshow(maps[..., channel], cmap="viridis", vmin=low, vmax=high)
        ax.set_title(f"{layer_name}:{channel}", fontsize=7)
    _colorbar(right, axes, shown, "activation")
    return _closed(fig)


def connection_table(connections, n_inputs, input_label="input map", output_label="output map"):
    """A sparse connection table (e.g. LeNet-5's C3, Table I): a dark cell is a connection."""
    table = np.zeros((n_inputs, len(connections)), dtype=int)
    for out_map, inputs in enumerate(connections):
        table[list(inputs), out_map] = 1
    fig, ax = plt.subplots(figsize=(0.4 * len(connections) + 1.5, 0.4 * n_inputs + 1.2))
    ax.imshow(table, cmap="Greys", vmin=0, vmax=1.4)
    ax.set_xticks(range(len(connections)))
    ax.set_yticks(range(n_inputs))
    ax.set_xticks(np.arange(-0.5, len(connections)), minor=True)
    ax.set_yticks(np.arange(-0.5, n_inputs), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel(output_label)
    ax.set_ylabel(input_label)
    ax.set_title(f"{table.sum()} connections of {table.size}")
    return _finish(fig)


def bitmaps(vectors, shape, titles, columns=10):
    """Parameter vectors drawn as bitmaps (LeNet-5's RBF centers: 84 = 12 rows x 7 columns)."""
    images = [np.asarray(v).reshape(shape) for v in np.asarray(vectors).T]
    return _finish(_tiles(images, titles, columns, "gray_r")[0])


# --- Chapter 1: how the weights are moved ------------------------------------------------------


def learning_rate_schedule(recipes, steps, title="The learning rate, step by step"):
    """The learning rate at every step of a run of `steps` steps, from `Recipe.learning_rate_at`
    (the numbers the trainer uses). `recipes` is one Recipe or {label: Recipe}."""
    from .recipes import Recipe

    recipes = {recipes.describe(): recipes} if isinstance(recipes, Recipe) else dict(recipes)
    steps = positive_int("steps", steps)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for label, recipe in recipes.items():
        rates = [recipe.learning_rate_at(step, steps) for step in range(steps)]
        ax.plot(np.arange(1, steps + 1), rates, label=label)
    ax.set_xlabel(f"training step (of {steps:,})")
    ax.set_ylabel("learning rate")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _finish(fig)


def optimizer_paths(paths, loss, extent=(-2.5, 2.5, -2.0, 2.0), target=None):
    """The points each optimizer visits (`ideas.descend`), over the contours of `loss` (a function
    of an (..., 2) array, e.g. `ideas.bowl_loss`). `paths` is {label: (steps + 1, 2) array}."""
    fig, ax = plt.subplots(figsize=(6.2, 4.2))
    w1, w2 = np.meshgrid(np.linspace(*extent[:2], 200), np.linspace(*extent[2:], 200))
    values = loss(np.stack([w1, w2], axis=-1))
    ax.contour(w1, w2, values, levels=np.geomspace(0.01, values.max(), 12), colors="0.75",
               linewidths=0.8)  # fmt: skip
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=label)
    if target is not None:
        ax.plot(*target, "k*", markersize=10, label="minimum")
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_xlabel("w1 (shallow direction)")
    ax.set_ylabel("w2 (steep direction)")
    ax.legend(fontsize=8, loc="lower right")
    return _finish(fig)


# --- Chapter 5 (ResNet): curves per iteration, for the degradation experiment -------------------


def moving_average(values, window):
    """The mean of each value and the `window - 1` before it (of all so far, at the start)."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(values)
    sums[window:] = sums[window:] - sums[:-window]
    return sums / np.minimum(np.arange(1, len(values) + 1), window)


def iteration_curves(panels, window=10, ylabel="training error"):
    """Per-iteration curves (e.g. the training error of each batch), smoothed by a moving average
    over `window` iterations, one panel per group, as in the ResNet paper's Figure 6.

    Args:
        panels: {panel title: {label: one value per iteration, as a fraction}}.
    """
    from matplotlib.ticker import PercentFormatter

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.4), sharey=True)
    for ax, (title, curves) in zip(np.atleast_1d(axes), panels.items()):
        for label, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), moving_average(values, window), label=label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("iteration")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel(f"{ylabel} ({window}-iteration mean)")
    return _finish(fig)


# --- Architecture figures, drawn from each chapter's table (in `diagrams`) ---------------------

# --- Where a network keeps its weights, its work and its memory ---------------------------------


def layer_bars(frame, columns, labels, title, highlight=None):
    """Horizontal bars per layer (the rows of `frame`), one panel per column, side by side:
    e.g. a `layer_table` indexed by name with columns ("params", "macs"). `highlight(name)` picks
    the rows drawn in the second colour (AlexNet's fully connected layers)."""
    names = list(frame.index)
    fig, axes = plt.subplots(1, len(columns), figsize=(5 * len(columns), 0.22 * len(names) + 1.4),
                             sharey=True)  # fmt: skip
    positions = np.arange(len(names))
    colors = ["C1" if highlight and highlight(name) else "C0" for name in names]
    for ax, column, label in zip(np.atleast_1d(axes), columns, labels):
        ax.barh(positions, np.asarray(frame[column], dtype=float), color=colors)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    first = np.atleast_1d(axes)[0]
    first.set_yticks(positions, names, fontsize=7)
    first.invert_yaxis()
    fig.suptitle(title, fontsize=10)
    return _finish(fig)


def branch_maps(model, module, image, per_branch=8):
    """The first `per_branch` maps of each branch of one inception module for one image, one row
    per branch, each row labelled with its receptive field."""
    from .arithmetic import layer_table
    from .probes import layer_outputs

    branches = ("1x1", "3x3", "5x5", "pool_proj")
    names = [f"{module}_{branch}" for branch in branches]
    fields = layer_table(model).set_index("name")["receptive_field"]
    outputs = layer_outputs(model, names, np.asarray(image)[None])
    fig, axes = plt.subplots(len(names), per_branch, figsize=(1.2 * per_branch, 1.3 * len(names)))
    for row, (branch, name) in enumerate(zip(branches, names)):
        maps = outputs[name][0]
        for column, ax in enumerate(axes[row]):
            ax.imshow(maps[..., column], cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(f"{branch}\n{fields[name]}x{fields[name]} px", fontsize=9)
    fig.suptitle(f"{module}: the first {per_branch} maps of each branch", fontsize=10)
    return _finish(fig)


ARCHITECTURE_FIGURES = (
    "lenet5_architecture", "alexnet_architecture", "vgg_configurations",
    "googlenet_architecture", "inception_module", "resnet_blocks", "resnet_stages",
)  # fmt: skip


def __getattr__(name):
    """`plots.vgg_configurations()` and the other architecture figures live in `diagrams`,
    which builds the models and so imports Keras: it is imported on first use, so that
    importing `plots` for learning curves alone stays quick."""
    if name in ARCHITECTURE_FIGURES:
        from . import diagrams

        return getattr(diagrams, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *ARCHITECTURE_FIGURES])

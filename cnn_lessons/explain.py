"""Small computed demonstrations of the ideas chapters 3 and 4 use: batch normalization by hand,
a 1x1 convolution as a matrix multiply, where a trained model looks (occlusion), and the noise
in a comparison of two models on the same test images.

Each function recomputes what a Keras layer or model does with NumPy, or measures it, so that a
notebook can put the two side by side in one line.
"""

import time

import numpy as np
import pandas as pd

from ._keras import keras
from .validation import positive_int

# Largest difference from Keras, relative to the largest output, that still counts as agreement:
# float32 arithmetic, or a mixed-precision layer whose output is rounded to 16 bits (bfloat16 keeps
# 8 significant bits, float16 11).
TOLERANCE = {"float32": 1e-5, "float16": 2**-10, "bfloat16": 2**-7}


def _check_layer(layer, kind, argument="layer"):
    if not isinstance(layer, kind):
        raise ValueError(
            f"`{argument}` must be a keras.layers.{kind.__name__} layer (e.g. "
            f"model.get_layer(name)). Received: {type(layer).__name__} {layer!r}"
        )


def _inputs(inputs, layer):
    inputs = np.asarray(inputs, dtype="float32")
    expected = layer.input.shape[1:] if layer._inbound_nodes else None
    if expected is not None and tuple(inputs.shape[1:]) != tuple(expected):
        raise ValueError(
            f"`inputs` must be a batch shaped (n, {', '.join(map(str, expected))}) for layer "
            f"'{layer.name}'. Received: shape {inputs.shape}"
        )
    return inputs


# --- Batch normalization ---------------------------------------------------------------------
def batch_norm_parameters(layer, inputs=None):
    """One row per channel of a BatchNormalization layer: its two trainable numbers (gamma, the
    scale, and beta, the shift, learned by gradient descent) and its two non-trainable ones (the
    moving mean and variance, updated during training as running averages of the batch
    statistics, and used at inference). With `inputs` (a batch of what the layer receives), the
    batch's own mean and variance per channel are added beside the moving ones."""
    _check_layer(layer, keras.layers.BatchNormalization)
    table = pd.DataFrame(
        {
            "gamma (trainable)": np.asarray(layer.gamma),
            "beta (trainable)": np.asarray(layer.beta),
            "moving mean (not trainable)": np.asarray(layer.moving_mean),
            "moving variance (not trainable)": np.asarray(layer.moving_variance),
        }
    )
    if inputs is not None:
        inputs = _inputs(inputs, layer)
        axes = tuple(range(inputs.ndim - 1))
        table["batch mean"] = inputs.mean(axis=axes)
        table["batch variance"] = inputs.var(axis=axes)
    table.index.name = "channel"
    return table


def batch_norm_by_hand(layer, inputs):
    """Batch normalization of `inputs` computed with NumPy in both modes, beside the Keras
    layer's own output:

    - training: each channel is normalized with the mean and variance of *this batch*,
      y = gamma * (x - batch mean) / sqrt(batch variance + epsilon) + beta;
    - inference: with the *moving* mean and variance instead, so that an image's output does not
      depend on the other images of its batch.

    The layer's moving statistics are restored after its training-mode call (which updates them),
    so calling this never changes a trained model. Returns a DataFrame with one row per mode.
    """
    _check_layer(layer, keras.layers.BatchNormalization)
    inputs = _inputs(inputs, layer)
    if layer.axis not in (-1, inputs.ndim - 1):
        raise ValueError(
            f"Only channels-last batch normalization is shown. Received: axis={layer.axis}"
        )
    gamma, beta = np.asarray(layer.gamma), np.asarray(layer.beta)
    moving = np.asarray(layer.moving_mean), np.asarray(layer.moving_variance)
    axes = tuple(range(inputs.ndim - 1))
    batch = inputs.mean(axis=axes), inputs.var(axis=axes)  # the biased variance, as Keras uses
    saved = layer.get_weights()
    try:
        keras_training = np.asarray(layer(inputs, training=True), dtype="float32")
    finally:
        layer.set_weights(saved)  # the training-mode call moved the moving statistics
    keras_inference = np.asarray(layer(inputs, training=False), dtype="float32")
    tolerance = TOLERANCE.get(layer.compute_dtype, 1e-5)
    rows = []
    for mode, (mean, variance), theirs in [
        ("training (batch statistics)", batch, keras_training),
        ("inference (moving statistics)", moving, keras_inference),
    ]:
        ours = gamma * (inputs - mean) / np.sqrt(variance + layer.epsilon) + beta
        largest = float(np.abs(theirs).max())
        difference = float(np.abs(ours - theirs).max())
        rows.append(
            {
                "mode": mode,
                "output mean": float(ours.mean()),
                "output std": float(ours.std()),
                "largest |output|": largest,
                "max |by hand - Keras|": difference,
                "agree": difference <= tolerance * max(largest, 1.0),
            }
        )
    return pd.DataFrame(rows).set_index("mode")


# --- 1x1 convolutions ------------------------------------------------------------------------
def pointwise_as_matmul(layer, inputs):
    """A 1x1 convolution (stride 1) computed as one matrix multiply per pixel: every position's
    C_in channel values times the (C_in, C_out) kernel, plus the bias, then the activation.
    Returns (the layer's output, the matrix multiply's), both as float32 NumPy arrays."""
    _check_layer(layer, keras.layers.Conv2D)
    if tuple(layer.kernel_size) != (1, 1) or tuple(layer.strides) != (1, 1):
        raise ValueError(
            f"`layer` must be a 1x1 convolution with stride 1. Received: '{layer.name}' with "
            f"kernel_size={tuple(layer.kernel_size)}, strides={tuple(layer.strides)}"
        )
    inputs = _inputs(inputs, layer)
    by_layer = np.asarray(layer(inputs), dtype="float32")  # builds a new layer's weights, too
    matrix = np.asarray(layer.kernel, dtype="float32")[0, 0]  # (C_in, C_out)
    mixed = inputs @ matrix  # (n, H, W, C_in) @ (C_in, C_out): the same matrix at every pixel
    if layer.use_bias:
        mixed = mixed + np.asarray(layer.bias, dtype="float32")
    mixed = np.asarray(layer.activation(mixed), dtype="float32")
    return by_layer, mixed


def forward_seconds(models, inputs, repeats=5):
    """{name: median seconds of one forward pass of `inputs`} for each model of the dict
    `models`, measured in turns (model 1, model 2, ..., repeated) after one untimed warm-up call
    each, so that a busy machine slows them all alike. A ratio of two is meaningful; the seconds
    themselves depend on the machine. The pass is compiled (`predict_on_batch`), as in training:
    called eagerly, each layer pays its own dispatch, and a model of more, smaller layers looks
    slower than its arithmetic (module 3a with its reductions: 1.09x faster than without them
    eagerly, 1.31x compiled, side by side on a 2-core Intel Xeon)."""
    if not isinstance(models, dict) or not models:
        raise ValueError(
            f"`models` must be a non-empty dict of name -> model. Received: {models!r}"
        )
    repeats = positive_int("repeats", repeats)
    inputs = np.asarray(inputs, dtype="float32")
    times = {name: [] for name in models}
    for model in models.values():
        model.predict_on_batch(inputs)  # compile, and warm the caches
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            np.asarray(model.predict_on_batch(inputs))
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(seconds)) for name, seconds in times.items()}


# --- Where a trained model looks -------------------------------------------------------------
def occlusion(model, images, classes=None, patch=8, stride=2, fill=None, batch_size=256):
    """Occlusion maps (Zeiler and Fergus, 2014): slide a grey `patch` x `patch` square over each
    image, `stride` pixels at a time, and record how much the model's probability for the class
    drops when that part of the image is hidden. A large drop means the model relied on that
    region.

    Args:
        model: a classifier whose output is one probability per class.
        images: a batch (n, height, width, channels), as the model takes it.
        classes: the class to explain for each image (e.g. the true or the predicted labels);
            defaults to the model's own prediction.
        patch, stride: the square's side and its step, in pixels.
        fill: the value the square is filled with, per channel; defaults to each image's mean
            colour, so that the square hides detail without adding a new colour.
        batch_size: images per forward pass. All n * (positions + 1) copies are held in memory
            at once: meant for a few small images.

    Returns:
        (maps, probabilities): maps of shape (n, height, width), each pixel the mean drop in
        probability over the squares that covered it; and each image's unoccluded probability
        for its class.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be a batch shaped (n, height, width, channels). Received: shape "
            f"{images.shape}"
        )
    n, height, width, _ = images.shape
    patch = positive_int("patch", patch, maximum=min(height, width))
    stride = positive_int("stride", stride)
    if classes is not None:
        classes = np.asarray(classes).ravel()
        if classes.shape != (n,):
            raise ValueError(
                f"`classes` must hold one label per image ({n}). Received: {classes.shape}"
            )
    corners = [
        (top, left)
        for top in range(0, height - patch + 1, stride)
        for left in range(0, width - patch + 1, stride)
    ]
    # The images and all their occluded copies in one array, for one `predict` call: several
    # calls with other batch shapes would make TensorFlow retrace the model each time.
    copies = np.repeat(images, len(corners) + 1, axis=0).reshape(
        n, len(corners) + 1, *images.shape[1:]
    )
    for index in range(n):
        colour = images[index].mean(axis=(0, 1)) if fill is None else np.asarray(fill, "float32")
        for copy, (top, left) in enumerate(corners, start=1):
            copies[index, copy, top : top + patch, left : left + patch] = colour
    scores = np.asarray(
        model.predict(copies.reshape(-1, *images.shape[1:]), batch_size=batch_size, verbose=0),
        dtype="float32",  # a mixed-precision model predicts bfloat16, which NumPy 1.x cannot format
    )
    scores = scores.reshape(n, len(corners) + 1, -1)
    probabilities = scores[:, 0]
    classes = probabilities.argmax(axis=1) if classes is None else classes
    base = probabilities[np.arange(n), classes]
    maps, covered = np.zeros((n, height, width)), np.zeros((height, width))
    for copy, (top, left) in enumerate(corners, start=1):
        covered[top : top + patch, left : left + patch] += 1
        drops = base - scores[np.arange(n), copy, classes]
        maps[:, top : top + patch, left : left + patch] += drops[:, None, None]
    return maps / np.maximum(covered, 1), base


def occlusion_figure(images, maps, titles):
    """The images on the top row and their occlusion maps over them below, all maps on one
    shared colour scale (red: hiding this region lowers the probability) with a colour bar.
    `images` are shown as given (values in [0, 1])."""
    import matplotlib.pyplot as plt

    images, maps = np.asarray(images), np.asarray(maps)
    if len(images) != len(maps) or len(titles) != len(maps):
        raise ValueError(
            "`images`, `maps` and `titles` must have one entry per image. Received: "
            f"{len(images)}, {len(maps)} and {len(titles)}"
        )
    count = len(images)
    limit = float(np.abs(maps).max()) or 1.0
    fig, axes = plt.subplots(2, count, figsize=(1.9 * count + 0.8, 4.4), squeeze=False)
    for index in range(count):
        picture = np.clip(images[index], 0, 1)
        axes[0, index].imshow(picture)
        axes[0, index].set_title(titles[index], fontsize=8)
        axes[1, index].imshow(picture.mean(axis=-1), cmap="gray")
        shown = axes[1, index].imshow(
            maps[index], cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.6
        )
        for ax in axes[:, index]:
            ax.axis("off")
    fig.colorbar(shown, ax=axes[1, :].tolist(), label="drop in probability", shrink=0.9)
    plt.close(fig)
    return fig


# --- Is a difference more than noise? --------------------------------------------------------
def paired_difference(correct_a, correct_b):
    """Accuracy of model a minus that of model b on the same test images, and its standard error
    over those images (paired: each image's 1/0/-1 difference). It measures only the noise of
    the test sample; another training seed adds its own on top."""
    a, b = np.asarray(correct_a, dtype=float).ravel(), np.asarray(correct_b, dtype=float).ravel()
    if a.shape != b.shape or a.size < 2:
        raise ValueError(
            "`correct_a` and `correct_b` must be 0/1 arrays of the same length, at least 2. "
            f"Received: lengths {a.size} and {b.size}"
        )
    difference = a - b
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(difference.size))

"""The ideas the chapters explain, each as a small computation a learner can redo by hand:

- `conv_output_size` and `output_sizes(model)`: how kernel, stride and padding set a map's size;
- `receptive_fields(model)`: the input square one unit sees, grown layer by layer;
- `descend`: gradient descent, momentum, Adam and weight decay, step by step on a 2-D bowl;
- `lrn`: AlexNet's local response normalization, written out in NumPy.

The arithmetic here imports no framework; `output_sizes` and `receptive_fields` read a Keras
model's layers, and the tests check every number against `arithmetic.layer_table` and Keras.
"""

import math

import numpy as np

from .validation import positive_int


def conv_output_size(size, kernel, stride=1, padding=0):
    """The side of a convolution's or a pool's output: floor((size + padding - kernel) / stride)
    + 1, where `padding` is the total number of pixels added across the side (both borders).

    A `kernel` larger than the padded input leaves no position to compute: an error, as in Keras.
    """
    size, kernel = positive_int("size", size), positive_int("kernel", kernel)
    stride, padding = positive_int("stride", stride), positive_int("padding", padding, minimum=0)
    if kernel > size + padding:
        raise ValueError(
            "The kernel does not fit in the padded input: kernel must be at most size + padding. "
            f"Received: size={size}, kernel={kernel}, padding={padding}"
        )
    return (size + padding - kernel) // stride + 1


def _window(layer, size):
    """(kernel, stride, total padding) of a layer that slides a window over its input of side
    `size`, or None for a layer that does not (activations, normalizations, dropout)."""
    from ._keras import layers
    from .layers import SparseConv2D, Subsampling

    if isinstance(layer, SparseConv2D):
        return layer.kernel_size, 1, 0
    if isinstance(layer, Subsampling):
        return layer.pool_size, layer.pool_size, 0
    if isinstance(layer, layers.Conv2D):
        kernel, stride, padding = layer.kernel_size[0], layer.strides[0], layer.padding
    elif isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        kernel, stride, padding = layer.pool_size[0], layer.strides[0], layer.padding
    else:
        return None
    if padding == "valid":
        return kernel, stride, 0
    # Keras's "same": just enough zeros that the output has ceil(size / stride) positions.
    return kernel, stride, max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)


def _spatial_layers(model):
    """(layer, input side) for each layer of a chain model, up to its first Flatten or Dense."""
    from ._keras import layers

    rows = []
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        shape = layer.input.shape
        if len(shape) != 4:
            break
        rows.append((layer, int(shape[1])))
        if isinstance(layer, layers.Flatten):
            break
    return rows


def output_sizes(model):
    """A table of every windowed layer of `model` (a chain, as LeNet-5 and AlexNet are): its input
    side, kernel, stride and padding, and the output side by the formula, written out."""
    import pandas as pd

    rows = []
    for layer, size in _spatial_layers(model):
        window = _window(layer, size)
        if window is None:
            continue
        kernel, stride, padding = window
        output = conv_output_size(size, kernel, stride, padding)
        exact = (size + padding - kernel) % stride == 0
        inner = f"({size} + {padding} - {kernel})/{stride}"
        formula = f"{inner} + 1 = {output}" if exact else f"floor({inner}) + 1 = {output}"
        rows.append({"name": layer.name, "input": size, "kernel": kernel, "stride": stride,
                     "padding": padding, "output": output, "formula": formula})  # fmt: skip
    return pd.DataFrame(rows)


def receptive_fields(model):
    """The receptive field grown layer by layer: each window of k pixels at a stride of j input
    pixels between neighbouring units adds (k - 1) * j to the field, then multiplies j by the
    layer's stride. A Flatten (or a fully connected layer) sees the whole last map: n units
    j apart add (n - 1) * j. The field counts pixels a unit *could* see: beyond the image, the
    window covers padding, so it can be larger than the image itself."""
    import pandas as pd

    from ._keras import layers

    field, jump, rows = 1, 1, []
    for layer, size in _spatial_layers(model):
        if isinstance(layer, layers.Flatten):
            step, added = size, (size - 1) * jump
            formula = f"{field} + ({size} - 1)*{jump} = {field + added}"
            rows.append({"name": layer.name, "kernel": f"all {size}", "stride": "",
                         "jump before": jump, "formula": formula, "field": field + added})  # fmt: skip
            break
        window = _window(layer, size)
        if window is None:
            continue
        kernel, stride, _ = window
        step = field + (kernel - 1) * jump
        rows.append({"name": layer.name, "kernel": kernel, "stride": stride,
                     "jump before": jump, "formula": f"{field} + ({kernel} - 1)*{jump} = {step}",
                     "field": step})  # fmt: skip
        field, jump = step, jump * stride
    return pd.DataFrame(rows)


# --- Optimizers, on a bowl small enough to follow every step ------------------------------------

BOWL_CURVATURE = (1.0, 20.0)  # f(w) = sum(c/2 * (w - target)^2): steep in w2, shallow in w1
BOWL_TARGET = (1.0, 1.0)
OPTIMIZERS = ("sgd", "momentum", "adam")


def bowl_loss(w, curvature=BOWL_CURVATURE, target=BOWL_TARGET):
    """f(w) = sum_i curvature_i / 2 * (w_i - target_i)^2, for one point or an array of them."""
    w = np.asarray(w, dtype=float)
    return 0.5 * np.sum(np.asarray(curvature) * (w - np.asarray(target)) ** 2, axis=-1)


def descend(optimizer, steps, learning_rate, start=(-2.0, -1.5), momentum=0.9, weight_decay=0.0,
            curvature=BOWL_CURVATURE, target=BOWL_TARGET):  # fmt: skip
    """The points an optimizer visits on the bowl `bowl_loss`, the start first: (steps + 1, 2).

    The same update rules as Keras's optimizers (the tests compare them step by step):
    - "sgd": w <- w - lr * g;
    - "momentum": v <- momentum * v - lr * g; w <- w + v (a ball that keeps its speed);
    - "adam": running means of g and g^2, bias-corrected; each weight's step is lr times
      m / (sqrt(v) + 1e-7): about lr whatever the gradient's scale;
    - `weight_decay` (decoupled, as in AdamW and Keras): first w <- w - lr * weight_decay * w.
    """
    from .recipes import _number

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of {OPTIMIZERS}. Received: {optimizer!r}")
    steps = positive_int("steps", steps)
    learning_rate = _number("learning_rate", learning_rate, low_open=True)
    momentum = _number("momentum", momentum, high=1.0, high_open=True)
    weight_decay = _number("weight_decay", weight_decay)
    curvature, target = np.asarray(curvature, float), np.asarray(target, float)
    w = np.array(start, dtype=float)
    velocity, first, second = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7  # Keras's Adam defaults
    path = [w.copy()]
    for step in range(1, steps + 1):
        gradient = curvature * (w - target)
        w = w - learning_rate * weight_decay * w
        if optimizer == "sgd":
            w = w - learning_rate * gradient
        elif optimizer == "momentum":
            velocity = momentum * velocity - learning_rate * gradient
            w = w + velocity
        else:
            first = beta_1 * first + (1 - beta_1) * gradient
            second = beta_2 * second + (1 - beta_2) * gradient**2
            rate = learning_rate * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
            w = w - rate * first / (np.sqrt(second) + epsilon)
        path.append(w.copy())
    return np.array(path)


# --- AlexNet's local response normalization ----------------------------------------------------


def lrn(activations, size=5, k=2.0, alpha=1e-4, beta=0.75):
    """b_i = a_i / (k + alpha * sum of a_j^2 over the `size` channels centred on i) ** beta, along
    the last axis, the window clipped at the first and last channels (AlexNet, section 3.3)."""
    a = np.asarray(activations, dtype=float)
    size = positive_int("size", size)
    if size % 2 == 0:
        raise ValueError(f"`size` must be odd (a window centred on each channel). Received: {size}")
    squares = np.square(a)
    half, channels = size // 2, a.shape[-1]
    sums = np.stack(
        [squares[..., max(0, i - half) : i + half + 1].sum(axis=-1) for i in range(channels)],
        axis=-1,
    )
    return a / (k + alpha * sums) ** beta

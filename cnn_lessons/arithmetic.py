"""Per-layer arithmetic for any Keras model: shapes, parameter formulas, MACs, receptive fields.

Every number is derived from the layer's own configuration and input shape, the way a learner
would work it by hand, and then checked against Keras's own `count_params()`. A layer type with
no rule here is an error, never a silent zero.

- `params`: parameters from the layer's configuration; `keras_params`: what Keras counts.
- `trainable`: the part of `params` that training updates (batch-norm moving statistics and
  LeNet-5's fixed RBF vectors are not).
- `macs`: multiply-accumulates for one image, in weighted layers (a convolution does
  H_out * W_out * C_out * kh * kw * C_in / groups); pooling, activations and normalization count 0.
- `receptive_field`: the side of the input square that one output unit of the layer can see.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import layers as ours
from ._keras import keras

COLUMNS = [
    "name", "type", "output_shape", "formula", "params", "keras_params", "trainable", "macs",
    "receptive_field",
]  # fmt: skip


@dataclass
class Count:
    """What a rule derives for one layer. `window` is (kernel, stride, dilation) per spatial
    axis for layers that slide over the image, "global" for layers that see all of it."""

    params: int = 0
    formula: str = ""
    macs: int = 0
    non_trainable: int = 0
    window: object = None


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _spatial(shape):
    """Output positions per image (H*W for a feature map, 1 for a vector)."""
    return math.prod(shape[1:-1]) if len(shape) > 2 else 1


def _conv2d(layer, in_shape, out_shape):
    kh, kw = _pair(layer.kernel_size)
    c_in, c_out, groups = in_shape[-1], layer.filters, layer.groups
    per_filter = kh * kw * c_in // groups
    fan_in = f"{kh}*{kw}*{c_in}" + (f"/{groups}" if groups > 1 else "")
    params = per_filter * c_out + (c_out if layer.use_bias else 0)
    formula = f"({fan_in} + 1)*{c_out}" if layer.use_bias else f"{fan_in}*{c_out}"
    window = tuple(zip((kh, kw), _pair(layer.strides), _pair(layer.dilation_rate)))
    return Count(
        params, f"{formula} = {params:,}", _spatial(out_shape) * c_out * per_filter, 0, window
    )


def _dense(layer, in_shape, out_shape):
    c_in, units = in_shape[-1], layer.units
    params = c_in * units + (units if layer.use_bias else 0)
    formula = f"({c_in} + 1)*{units}" if layer.use_bias else f"{c_in}*{units}"
    window = ((1, 1, 1), (1, 1, 1)) if len(in_shape) == 4 else None
    return Count(params, f"{formula} = {params:,}", _spatial(out_shape) * c_in * units, 0, window)


def _batch_norm(layer, in_shape, out_shape):
    channels = in_shape[layer.axis if isinstance(layer.axis, int) else layer.axis[0]]
    learned = channels * (int(layer.center) + int(layer.scale))
    params = learned + 2 * channels
    formula = (
        f"{learned // channels or 0}*{channels} + 2*{channels} = {params:,} ({learned:,} trainable)"
    )
    return Count(params, formula, 0, 2 * channels)


def _pooling(layer, in_shape, out_shape):
    size = _pair(layer.pool_size)
    strides = _pair(layer.strides or layer.pool_size)
    return Count(window=tuple(zip(size, strides, (1, 1))))


def _global(layer, in_shape, out_shape):
    return Count(window="global" if len(in_shape) == 4 else None)


def _no_params(layer, in_shape, out_shape):
    return Count()


def _subsampling(layer, in_shape, out_shape):
    channels, size = in_shape[-1], layer.pool_size
    params = 2 * channels
    return Count(
        params, f"(1 + 1)*{channels} = {params:,}", _spatial(out_shape) * channels, 0,
        ((size, size, 1), (size, size, 1)),
    )  # fmt: skip


def _sparse_conv2d(layer, in_shape, out_shape):
    k, links, maps = layer.kernel_size, layer.n_connections, layer.filters
    params = links * k * k + maps
    formula = f"{links}*{k}*{k} + {maps} = {params:,} ({links} of {in_shape[-1] * maps} links)"
    return Count(params, formula, _spatial(out_shape) * links * k * k, 0, ((k, 1, 1), (k, 1, 1)))


def _euclidean_rbf(layer, in_shape, out_shape):
    params = in_shape[-1] * layer.units
    formula = f"{in_shape[-1]}*{layer.units} = {params:,} (fixed)"
    return Count(params, formula, params, params)


L = keras.layers
RULES = {
    L.InputLayer: _no_params,
    L.Conv2D: _conv2d,
    L.Dense: _dense,
    L.BatchNormalization: _batch_norm,
    L.MaxPooling2D: _pooling,
    L.AveragePooling2D: _pooling,
    L.GlobalAveragePooling2D: _global,
    L.GlobalMaxPooling2D: _global,
    L.Flatten: _global,
    ours.Subsampling: _subsampling,
    ours.SparseConv2D: _sparse_conv2d,
    ours.EuclideanRBF: _euclidean_rbf,
}
# Layers with no weights that leave the receptive field as it is.
for _type in (
    L.Activation, L.ReLU, L.Softmax, L.LeakyReLU, L.Dropout, L.SpatialDropout2D, L.Rescaling,
    L.ZeroPadding2D, L.Cropping2D, L.Identity, L.Add, L.Concatenate, L.Multiply, L.Average,
    L.Maximum, L.Subtract, L.RandomFlip, L.RandomTranslation, L.RandomCrop, L.RandomRotation,
    L.RandomZoom, L.RandomContrast, ours.LocalResponseNormalization,
):  # fmt: skip
    RULES[_type] = _no_params


# --- ResNet ------------------------------------------------------------------------------------
def _subsample_zero_pad(layer, in_shape, out_shape):
    """Option A shortcut: no parameters; samples the input like a 1x1 window with its stride."""
    s = layer.strides
    return Count(formula="0 (identity, subsampled and zero-padded)", window=((1, s, 1), (1, s, 1)))


RULES[ours.SubsampleZeroPad] = _subsample_zero_pad


def rule_for(layer):
    """The rule for `layer`'s exact type (a subclass may change what it computes)."""
    rule = RULES.get(type(layer))
    if rule is None:
        kind = "a nested model" if isinstance(layer, keras.Model) else "a layer type"
        raise TypeError(
            f"layer_table has no rule for layer '{layer.name}' of type {type(layer).__name__} "
            f"({kind} it does not understand); add one to cnn_lessons.arithmetic.RULES rather "
            "than reporting 0 parameters."
        )
    return rule


def _as_list(tensors):
    return list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]


def _shape(tensor):
    return tuple(tensor.shape)


def _receptive_field(window, inputs, state):
    """Grow (size, jump) per spatial axis: size += (k - 1) * dilation * jump; jump *= stride."""
    known = [state[id(t)] for t in inputs if id(t) in state]
    if not known:
        return None
    size = tuple(max(s[0][axis] for s in known) for axis in range(2))
    jump = tuple(max(s[1][axis] for s in known) for axis in range(2))
    if window == "global":  # the union of the fields of every position of the input map
        extent = _shape(inputs[0])[1:3]
        size = tuple(size[a] + (extent[a] - 1) * jump[a] for a in range(2))
    elif window is not None:
        size = tuple(size[a] + (window[a][0] - 1) * window[a][2] * jump[a] for a in range(2))
        jump = tuple(jump[a] * window[a][1] for a in range(2))
    return size, jump


def _weights(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def layer_table(model):
    """One row per layer of `model`: name, type, output_shape, formula, params, keras_params,
    trainable, macs, receptive_field. `totals(table)` sums it.

    Raises:
        TypeError: for a layer type with no rule.
        AssertionError: if a derived count disagrees with Keras (a bug in a rule).
    """
    state = {}  # id(tensor) -> ((rf_h, rf_w), (jump_h, jump_w))
    for tensor in _as_list(model.inputs):
        state[id(tensor)] = ((1, 1), (1, 1))
    rows = []
    for layer in model.layers:
        rule = rule_for(layer)
        inputs = _as_list(layer.output if isinstance(layer, L.InputLayer) else layer.input)
        output = layer.output
        count = rule(layer, _shape(inputs[0]), _shape(output))
        keras_params = layer.count_params()
        trainable = count.params - count.non_trainable if layer.trainable else 0
        if (count.params, trainable) != (keras_params, _weights(layer.trainable_weights)):
            raise AssertionError(
                f"layer '{layer.name}' ({type(layer).__name__}): derived {count.params:,} "
                f"parameters ({trainable:,} trainable), Keras counts {keras_params:,} "
                f"({_weights(layer.trainable_weights):,} trainable)"
            )
        field = None
        if not isinstance(layer, L.InputLayer):
            field = _receptive_field(count.window, inputs, state)
            if field is not None:
                state[id(output)] = field
        size = field[0] if field else (state[id(output)][0] if id(output) in state else None)
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": _shape(output)[1:],
                "formula": count.formula,
                "params": count.params,
                "keras_params": keras_params,
                "trainable": trainable,
                "macs": count.macs,
                "receptive_field": _format_field(size),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _format_field(size):
    if size is None:
        return ""
    return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"


def totals(table):
    """Parameters (all, trainable, non-trainable) and MACs of a `layer_table`."""
    params, trainable = int(table["params"].sum()), int(table["trainable"].sum())
    return {
        "params": params,
        "trainable": trainable,
        "non_trainable": params - trainable,
        "macs": int(table["macs"].sum()),
    }


def compare(table, expected, column="params"):
    """Set a reference's per-layer numbers (e.g. a paper's) beside ours: one row per layer
    named in `expected`, with both values and whether they match."""
    ours_by_name = table.set_index("name")[column]
    rows = [
        {"layer": name, "ours": int(ours_by_name[name]), "reference": value,
         "match": int(ours_by_name[name]) == value}
        for name, value in expected.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)

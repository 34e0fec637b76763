"""The few layers Keras lacks, written with `keras.ops` only so they run on every backend.

- `lecun_tanh`: LeNet-5's squashing function, 1.7159 * tanh(2a/3).
- `Subsampling`: LeNet-5's S2/S4, a 2x2 sum times one trainable coefficient plus one bias per map.
- `SparseConv2D`: a convolution where each output map sees only some input maps (LeNet-5's C3).
- `EuclideanRBF`: LeNet-5's output units, squared distances to fixed parameter vectors.
- `LocalResponseNormalization`: AlexNet's (also VGG's A-LRN and GoogLeNet's) channel normalization.
- `SubsampleZeroPad`: ResNet's option A shortcut, an identity that subsamples and zero-pads channels.

Every layer implements `get_config`, so a saved model loads back with identical predictions.
The image layers work on channels-last tensors only: their `data_format` is "channels_last" or
None (Keras's global setting, which must then be channels-last), and is saved as
"channels_last", so a saved model loads whatever the global setting is then.
"""

import numpy as np

from ._keras import keras, ops
from .validation import (
    check_activation,
    check_data_format,
    check_number,
    is_integer,
    positive_int,
)

PACKAGE = "cnn_lessons"


@keras.saving.register_keras_serializable(package=PACKAGE)
def lecun_tanh(x):
    """LeNet-5's squashing function f(a) = A tanh(S a), with A = 1.7159 and S = 2/3.

    The constants make f(1) = 1 and f(-1) = -1, so targets of +-1 sit where the slope is largest
    (LeCun et al. 1998, Appendix A).
    """
    return 1.7159 * ops.tanh(x * (2.0 / 3.0))


@keras.saving.register_keras_serializable(package=PACKAGE)
class Subsampling(keras.layers.Layer):
    """LeNet-5's sub-sampling layer (S2, S4): 2 trainable parameters per feature map.

    Each output unit adds its 2x2 non-overlapping inputs, multiplies the sum by the map's
    trainable coefficient, adds the map's trainable bias, then applies `activation`.
    """

    def __init__(self, pool_size=2, activation=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = positive_int("pool_size", pool_size)
        self.activation = keras.activations.get(check_activation("activation", activation))
        self.data_format = check_data_format(f"Subsampling '{self.name}'", data_format)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.coefficient = self.add_weight(
            shape=(channels,), initializer="ones", name="coefficient"
        )
        self.bias = self.add_weight(shape=(channels,), initializer="zeros", name="bias")

    def call(self, inputs):
        window = self.pool_size * self.pool_size
        pooled = ops.average_pool(
            inputs, self.pool_size, strides=self.pool_size, data_format=self.data_format
        )
        sums = pooled * window
        return self.activation(sums * self.coefficient + self.bias)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, height // self.pool_size, width // self.pool_size, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "activation": keras.activations.serialize(self.activation),
            "data_format": self.data_format,
        }


def _connection_table(connections):
    """`connections` as a tuple of tuples of ints: for each output map, the distinct input maps
    (integers >= 0) it sees, at least one."""
    try:
        table = tuple(tuple(inputs) for inputs in connections)
    except TypeError:
        table = ()
    valid = table and all(
        inputs and all(is_integer(i) and i >= 0 for i in inputs) and len(set(inputs)) == len(inputs)
        for inputs in table
    )
    if not valid:
        raise ValueError(
            "SparseConv2D needs, for every output map, a non-empty sequence of distinct input "
            f"map indices (integers >= 0). Received: connections={connections!r}"
        )
    return tuple(tuple(int(i) for i in inputs) for inputs in table)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseConv2D(keras.layers.Layer):
    """A 'valid' convolution in which output map `j` sees only the input maps `connections[j]`.

    Only the connected kernels are weights (`n_connections * kh * kw` of them, plus one bias per
    output map), so Keras counts exactly what the paper counts. At call time they are scattered
    into a full (kh, kw, in, out) kernel by a fixed 0/1 placement matrix, which keeps the layer
    a single convolution on every backend.
    """

    def __init__(self, connections, kernel_size=5, activation=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.connections = _connection_table(connections)
        self.kernel_size = positive_int("kernel_size", kernel_size)
        self.activation = keras.activations.get(check_activation("activation", activation))
        self.data_format = check_data_format(f"SparseConv2D '{self.name}'", data_format)
        self.filters = len(self.connections)
        self.n_connections = sum(len(inputs) for inputs in self.connections)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        needed = 1 + max(max(inputs) for inputs in self.connections)
        if needed > in_channels:
            raise ValueError(
                f"SparseConv2D '{self.name}' connects to input map {needed - 1}, but its input has "
                f"{in_channels} maps. Received: input_shape={tuple(input_shape)}"
            )
        placement = np.zeros((self.n_connections, in_channels * self.filters), dtype="float32")
        k = 0
        for out_map, inputs in enumerate(self.connections):
            for in_map in inputs:
                placement[k, in_map * self.filters + out_map] = 1.0
                k += 1
        self.placement = ops.convert_to_tensor(placement)
        self.in_channels = in_channels
        size = self.kernel_size
        fan_in = size * size * self.n_connections / self.filters
        limit = float(np.sqrt(3.0 / fan_in))  # LeCun uniform on the average fan-in
        self.kernel = self.add_weight(
            shape=(size, size, self.n_connections),
            initializer=keras.initializers.RandomUniform(-limit, limit),
            name="kernel",
        )
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def full_kernel(self):
        """The (kh, kw, in, out) kernel with zeros where the connection table has no link."""
        size = self.kernel_size
        flat = ops.reshape(self.kernel, (size * size, self.n_connections))
        full = ops.matmul(flat, ops.cast(self.placement, flat.dtype))
        return ops.reshape(full, (size, size, self.in_channels, self.filters))

    def call(self, inputs):
        kernel = ops.cast(self.full_kernel(), inputs.dtype)
        outputs = ops.conv(inputs, kernel, padding="valid", data_format=self.data_format)
        return self.activation(outputs + ops.cast(self.bias, outputs.dtype))

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        shrink = self.kernel_size - 1
        return (batch, height - shrink, width - shrink, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "connections": [list(inputs) for inputs in self.connections],
            "kernel_size": self.kernel_size,
            "activation": keras.activations.serialize(self.activation),
            "data_format": self.data_format,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class EuclideanRBF(keras.layers.Layer):
    """Euclidean radial basis function units: output i is sum_j (x_j - w_ij)^2.

    The parameter vectors `centers` (input_dim x units) are fixed, not trained, as in LeNet-5's
    output layer. The output is a penalty: the predicted class is the one with the smallest
    value. Train it with `rbf_loss` and measure it with `rbf_accuracy`.
    """

    def __init__(self, centers, **kwargs):
        super().__init__(**kwargs)
        self.centers_value = np.asarray(centers, dtype="float32")
        if self.centers_value.ndim != 2:
            raise ValueError(
                "EuclideanRBF needs a 2-D (input_dim, units) array of centers. "
                f"Received: shape {self.centers_value.shape}"
            )
        self.units = self.centers_value.shape[1]

    def build(self, input_shape):
        if input_shape[-1] != self.centers_value.shape[0]:
            raise ValueError(
                f"EuclideanRBF '{self.name}' has centers for {self.centers_value.shape[0]} inputs, "
                f"but its input has {input_shape[-1]}. Received: input_shape={tuple(input_shape)}"
            )
        self.centers = self.add_weight(
            shape=self.centers_value.shape,
            initializer=keras.initializers.Constant(self.centers_value),
            trainable=False,
            name="centers",
        )

    def call(self, inputs):
        centers = ops.cast(self.centers, inputs.dtype)
        # |x - w|^2 = |x|^2 - 2 x.w + |w|^2, one matrix product instead of a 3-D difference.
        x_sq = ops.sum(ops.square(inputs), axis=-1, keepdims=True)
        w_sq = ops.sum(ops.square(centers), axis=0, keepdims=True)
        return ops.maximum(x_sq - 2.0 * ops.matmul(inputs, centers) + w_sq, 0.0)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "centers": self.centers_value.tolist()}


@keras.saving.register_keras_serializable(package=PACKAGE)
def rbf_loss(y_true, penalties):
    """LeNet-5's loss (eq. 9 without its constant j): cross-entropy on the logits -penalties.

    It pulls the correct class's penalty down and pushes the others up, so the RBF centers
    cannot all collapse onto the same output.
    """
    return keras.losses.sparse_categorical_crossentropy(y_true, -penalties, from_logits=True)


@keras.saving.register_keras_serializable(package=PACKAGE)
def rbf_accuracy(y_true, penalties):
    """Accuracy for penalty outputs: the prediction is the class with the smallest penalty."""
    predicted = ops.argmin(penalties, axis=-1)
    y_true = ops.reshape(ops.cast(y_true, predicted.dtype), ops.shape(predicted))
    return ops.cast(ops.equal(predicted, y_true), "float32")


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalization across channels (Krizhevsky et al. 2012, section 3.3):

        b_i = a_i / (k + alpha * sum_{j = i - size//2 .. i + size//2} a_j^2) ** beta

    with the sum clipped to the channels that exist. The paper's values are the defaults: k = 2,
    size n = 5, alpha = 1e-4, beta = 0.75. Alpha is used as written, not divided by n as Caffe
    and PyTorch do (their alpha = n * ours gives the same layer). No parameters.
    """

    def __init__(self, size=5, k=2.0, alpha=1e-4, beta=0.75, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if not is_integer(size) or size < 1 or size % 2 == 0:
            raise ValueError(
                f"`size` must be a positive odd number of channels. Received: size={size!r}"
            )
        self.size = int(size)
        # k > 0 keeps the divisor positive where all the window's activations are 0.
        self.k = check_number("k", k, 0, low_inclusive=False)
        self.alpha = check_number("alpha", alpha, 0)
        self.beta = check_number("beta", beta, 0)
        self.data_format = check_data_format(
            f"LocalResponseNormalization '{self.name}'", data_format
        )

    def build(self, input_shape):
        # window[j, i] = 1 when channel j is in channel i's window (clipped at the edges), so all
        # the window sums are one matrix product over the channel axis.
        channel = np.arange(input_shape[-1])
        window = np.abs(channel[:, None] - channel[None, :]) <= self.size // 2
        self.window = ops.convert_to_tensor(window.astype("float32"))

    def call(self, inputs):
        # The formula above, in the form that trains fastest: with the sum as five channel slices
        # and the power as ops.power, the layer's forward and backward pass took 13x longer on
        # TensorFlow's CPU kernels (a 128x32x32x24 batch: 2.1 s against 0.17 s).
        window_sum = ops.matmul(ops.square(inputs), ops.cast(self.window, inputs.dtype))
        return inputs * ops.exp(-self.beta * ops.log(self.k + self.alpha * window_sum))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"size": self.size, "k": self.k, "alpha": self.alpha, "beta": self.beta}
        return {**super().get_config(), **config, "data_format": self.data_format}


# --- ResNet (He et al. 2015) -----------------------------------------------------------------


@keras.saving.register_keras_serializable(package=PACKAGE)
class SubsampleZeroPad(keras.layers.Layer):
    """ResNet's option A shortcut (He et al. 2015, sections 3.3 and 4.2): the identity, made to fit
    a block whose output is smaller and wider. No parameters.

    It keeps every `strides`-th row and column (positions 0, s, 2s, ...: the centres of a
    `strides`-strided 3x3 convolution padded by 1 on every side) and appends zero channels up to
    `channels`, as Torch's fb.resnet.torch does for its type A shortcut.
    """

    def __init__(self, strides=2, channels=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.strides = positive_int("strides", strides)
        self.channels = None if channels is None else positive_int("channels", channels)
        self.data_format = check_data_format(f"SubsampleZeroPad '{self.name}'", data_format)

    def build(self, input_shape):
        if self.channels is not None and self.channels < input_shape[-1]:
            raise ValueError(
                f"SubsampleZeroPad '{self.name}' can only add channels: its input has "
                f"{input_shape[-1]}. Received: channels={self.channels}"
            )

    def call(self, inputs):
        s = self.strides
        outputs = inputs[:, ::s, ::s, :] if s > 1 else inputs
        extra = (self.channels or inputs.shape[-1]) - inputs.shape[-1]
        if extra:
            outputs = ops.pad(outputs, [[0, 0], [0, 0], [0, 0], [0, extra]])
        return outputs

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        s = self.strides
        smaller = [None if d is None else -(-d // s) for d in (height, width)]  # ceil(d / s)
        return (batch, *smaller, self.channels or channels)

    def get_config(self):
        config = {"strides": self.strides, "channels": self.channels}
        return {**super().get_config(), **config, "data_format": self.data_format}

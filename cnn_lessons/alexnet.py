"""AlexNet: Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", NeurIPS 2012, section 3 and Figure 2.

Four builders:
- `alexnet` reproduces the paper: five convolutional layers (ReLU, local response normalization
  after conv1 and conv2, overlapping 3x3/2 max pooling), fc6 and fc7 of 4,096 units with dropout,
  fc8. `groups=2` keeps the two-GPU split (60,965,224 parameters), `groups=1` is the usual
  single-tower network (62,378,344).
- `alexnet_cifar` is a named adaptation to 32x32 CIFAR-10 images, small enough to train on a
  2-core CPU, that keeps every one of the paper's ideas.
- `figure1_network` is the paper's Figure 1 experiment: a four-layer convolutional network for
  CIFAR-10, ReLU or tanh, with the paper's initialization.
- `copied_alexnet` is a widely copied Keras "AlexNet" that is another network (61,050,856).
"""

from ._keras import keras, layers
from .layers import LocalResponseNormalization
from .validation import (
    check_activation,
    check_channels_last,
    check_choice,
    check_classifier,
    check_flag,
    check_input_shape,
    check_name,
    check_rate,
)

# The five convolutional layers of Figure 2: (layer, filters, kernel, stride, padding). Padding
# "same" at stride 1 is the paper's 2 pixels for the 5x5 conv2 and 1 pixel for the 3x3 conv3-5.
PAPER_CONVOLUTIONS = (
    ("conv1", 96, 11, 4, "valid"),  # 227x227x3 -> 55x55x96 -> pool1 -> 27x27x96
    ("conv2", 256, 5, 1, "same"),  # -> 27x27x256 -> pool2 -> 13x13x256
    ("conv3", 384, 3, 1, "same"),  # -> 13x13x384
    ("conv4", 384, 3, 1, "same"),  # -> 13x13x384
    ("conv5", 256, 3, 1, "same"),  # -> 13x13x256 -> pool5 -> 6x6x256 = 9,216 inputs to fc6
)
PAPER_FULLY_CONNECTED = (4096, 4096)  # fc6, fc7; fc8 has one unit per class

# The wiring both variants share (section 3.5). Each GPU held half of every layer's kernels;
# conv2, conv4 and conv5 see only the maps on their own GPU, conv3 and the fully connected layers
# see both halves.
GROUPED = ("conv2", "conv4", "conv5")
NORMALIZED = {"conv1": "norm1", "conv2": "norm2"}  # LRN after the ReLU (section 3.3)
POOLED = {"conv1": "pool1", "conv2": "pool2", "conv5": "pool5"}  # after norm1, norm2 and conv5
POOL_SIZE, POOL_STRIDE = 3, 2  # overlapping pooling, s < z (section 3.4)
LRN = {"size": 5, "k": 2.0, "alpha": 1e-4, "beta": 0.75}  # section 3.3
DROPOUT = 0.5  # on fc6 and fc7 (section 4.2)

# conv1 (11x11/4) needs (n - 11)/4 + 1 >= 15 outputs so that three 3x3/2 pools leave 1 pixel:
# 15 -> 7 -> 3 -> 1. So n >= 4*14 + 11 = 67.
MIN_INPUT_SIZE = 67

# The CIFAR-10 adaptation: the paper's widths divided by 4, stride 1 and a 5x5 conv1 (a 32x32
# image needs no 4x down-sampling), 3x3 kernels after it. 32 -> pool1 15 -> pool2 7 -> pool5 3.
CIFAR_CONVOLUTIONS = (
    ("conv1", 24, 5, 1, "same"),  # 32x32x3 -> 32x32x24 -> pool1 -> 15x15x24
    ("conv2", 64, 3, 1, "same"),  # -> 15x15x64 -> pool2 -> 7x7x64
    ("conv3", 96, 3, 1, "same"),  # -> 7x7x96
    ("conv4", 96, 3, 1, "same"),  # -> 7x7x96
    ("conv5", 64, 3, 1, "same"),  # -> 7x7x64 -> pool5 -> 3x3x64 = 576 inputs to fc6
)
CIFAR_FULLY_CONNECTED = (1024, 1024)
CIFAR_MIN_INPUT_SIZE = 15  # no stride in conv1: 15 -> 7 -> 3 -> 1 through the three pools


def _layers(x, convolutions, fully_connected, groups, lrn, activation, dropout, classes,
            classifier_activation):  # fmt: skip
    """Walk a table of five convolutions, then the fully connected widths, from tensor `x` to
    fc8's output, wiring norms, pools and dropout as the paper does."""
    for label, filters, kernel, stride, padding in convolutions:
        x = layers.Conv2D(
            filters, kernel, strides=stride, padding=padding, activation=activation,
            groups=groups if label in GROUPED else 1, name=label,
        )(x)  # fmt: skip
        if lrn and label in NORMALIZED:
            x = LocalResponseNormalization(**LRN, name=NORMALIZED[label])(x)
        if label in POOLED:
            x = layers.MaxPooling2D(POOL_SIZE, strides=POOL_STRIDE, name=POOLED[label])(x)
    x = layers.Flatten(name="flatten")(x)
    for number, units in enumerate(fully_connected, start=6):
        x = layers.Dense(units, activation=activation, name=f"fc{number}")(x)
        x = layers.Dropout(dropout, name=f"drop{number}")(x)
    return layers.Dense(classes, activation=classifier_activation, name="fc8")(x)


def alexnet(
    groups=2,
    lrn=True,
    input_shape=(227, 227, 3),
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Build AlexNet as in Krizhevsky et al. (2012), with the paper's layer names.

    conv1 ... conv5 (ReLU), norm1 and norm2 (local response normalization, k=2, n=5,
    alpha=1e-4, beta=0.75, after the ReLU of conv1 and conv2), pool1, pool2, pool5 (3x3 max
    pooling, stride 2), fc6 and fc7 (4,096 units, ReLU, dropout 0.5) and fc8.

    Input size: the paper's text says 224x224x3, but an 11x11 convolution with stride 4 only
    tiles the image if (size - 11) / 4 is a whole number: (227 - 11)/4 + 1 = 55, the 55x55x96
    the paper's Figure 2 shows, while (224 - 11)/4 + 1 = 54.25. The default is therefore 227
    (the size Caffe's reference model uses). Built at 224, Keras rounds down without a word:
    54x54 maps that leave the last pixel row and column unused, then 26, 12 and 5x5x256 =
    6,400 inputs to fc6 instead of 9,216, which is no longer the paper's network.

    Inputs are RGB pixels on the paper's scale: 0 to 255 with the training set's mean image
    subtracted (section 2). LRN's k and alpha were chosen for activations on that scale.

    Weights use Keras's default Glorot initialization rather than the paper's N(0, 0.01^2) with
    biases of 1 in conv2, conv4, conv5 and the fully connected layers (section 5): that choice
    belonged to its SGD schedule, not to the architecture, and does not change any count.

    Args:
        groups: 2 reproduces the two-GPU network: conv2, conv4 and conv5 are grouped
            convolutions that see only their own half of the previous layer (60,965,224
            parameters). 1 gives the single-tower network most libraries build (62,378,344).
        lrn: include norm1 and norm2. Without them the counts are the same (LRN has no
            parameters) but the network is what most later reimplementations train.
        input_shape: (height, width, channels), at least 67x67 (conv1, then three 3x3/2 pools).
        classes: units in fc8.
        classifier_activation: activation of fc8 (`None` gives logits).
        name: model name; defaults to `alexnet` (groups=2) or `alexnet_one_tower`.

    Returns:
        A `keras.Model`.
    """
    check_channels_last("AlexNet")
    groups = check_choice("groups", groups, (1, 2))
    lrn = check_flag("lrn", lrn)
    input_shape = check_input_shape("AlexNet", input_shape, MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)
    inputs = keras.Input(shape=input_shape, name="input")
    outputs = _layers(
        inputs, PAPER_CONVOLUTIONS, PAPER_FULLY_CONNECTED, groups, lrn, "relu", DROPOUT, classes,
        classifier_activation,
    )  # fmt: skip
    name = name or ("alexnet" if groups == 2 else "alexnet_one_tower")
    return keras.Model(inputs, outputs, name=name)


def alexnet_cifar(
    groups=1,
    lrn=True,
    activation="relu",
    dropout=DROPOUT,
    input_shape=(32, 32, 3),
    classes=10,
    classifier_activation="softmax",
    name=None,
):
    """A small-image adaptation of AlexNet for CIFAR-10 (32x32x3), sized for a 2-core CPU.

    Same layers, names and wiring as `alexnet`: five convolutions, LRN after the ReLU of conv1
    and conv2, overlapping 3x3/2 max pooling after norm1, norm2 and conv5, two dropout-regularized
    fully connected layers wider than their input, then fc8. What changes, and why:
    - every convolution has a quarter of the paper's filters (24, 64, 96, 96, 64): ImageNet's
      1,000 classes need more features than CIFAR-10's 10, and a 2-core CPU trains a network
      of 16 million multiply-accumulates per image (16,085,504) at a few hundred images/s;
    - conv1 is 5x5 with stride 1 and 'same' padding instead of 11x11 with stride 4: a 32x32
      image has no resolution to spare, so only the three pools down-sample (32 -> 15 -> 7 -> 3);
    - conv2 is 3x3 instead of 5x5 (at 15x15 a 5x5 conv2 would cost 2.8 times as much);
    - fc6 and fc7 have 1,024 units, a quarter of 4,096; as in the paper they hold most of the
      parameters while the convolutions do most of the computation;
    - a `scale` layer maps the [0, 1] pixels of `cnn_lessons.data` back to the paper's range,
      -128..127 (the paper subtracts the mean image), because LRN's divisor
      (2 + 1e-4 * sum of 5 squares) ** 0.75 only departs from the constant 2 ** 0.75 when the
      squares add up to thousands, i.e. for activations of that size, not of [0, 1] pixels.
    The convolutions are single-tower by default: on a CPU, Keras's TensorFlow backend runs a
    grouped convolution through XLA, which computes it correctly, forward and backward, but whose
    backward pass is about 10 times slower than that of a full convolution with twice the
    multiply-accumulates.

    Args:
        groups: 1 (default) or 2, as in `alexnet` (grouped conv2, conv4, conv5).
        lrn: include norm1 and norm2.
        activation: of every convolution and fc6/fc7; "tanh" repeats the paper's Figure 1
            comparison.
        dropout: rate after fc6 and fc7 (0 turns it off).
        input_shape: (height, width, channels), at least 15x15 (three 3x3/2 pools).
        classes: units in fc8.
        classifier_activation: activation of fc8 (`None` gives logits).
        name: model name; defaults to `alexnet_cifar`.

    Returns:
        A `keras.Model`.
    """
    check_channels_last("The CIFAR AlexNet")
    groups = check_choice("groups", groups, (1, 2))
    lrn = check_flag("lrn", lrn)
    check_activation("activation", activation)
    dropout = check_rate("dropout", dropout)
    input_shape = check_input_shape("The CIFAR AlexNet", input_shape, CIFAR_MIN_INPUT_SIZE)
    classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Rescaling(255.0, offset=-128.0, name="scale")(inputs)
    outputs = _layers(
        x, CIFAR_CONVOLUTIONS, CIFAR_FULLY_CONNECTED, groups, lrn, activation, dropout, classes,
        classifier_activation,
    )  # fmt: skip
    return keras.Model(inputs, outputs, name=name or "alexnet_cifar")


# Figure 1's network (section 3.1: "a four-layer convolutional neural network" on CIFAR-10; its
# layers are not given): three 5x5 convolutions, each followed by 3x3/2 overlapping max pooling,
# and a dense output, as in cuda-convnet's CIFAR-10 example of the time. 32 -> 16 -> 8 -> 4.
FIGURE1_CONVOLUTIONS = (32, 32, 64)
PAPER_INIT_STDDEV = 0.01  # section 5: weights from a zero-mean Gaussian of standard deviation 0.01


def figure1_network(activation="relu", initializer="paper", input_shape=(32, 32, 3), classes=10):
    """The four-layer network of the paper's Figure 1 (89,578 parameters for CIFAR-10): conv 5x5
    with 32, 32 and 64 maps, each followed by 3x3/2 max pooling, then a softmax layer.

    Args:
        activation: "relu" or "tanh", of the three convolutions (the figure's two curves).
        initializer: "paper", every weight from N(0, 0.01^2) and biases 0 (section 5), or
            "glorot", Keras's default, which scales each layer to its fan-in and fan-out (Glorot
            and Bengio 2010, two years before the paper).
        input_shape: (height, width, channels), at least 8x8.
        classes: units of the softmax layer.
    """
    check_channels_last("Figure 1's network")
    activation = check_choice("activation", activation, ("relu", "tanh"))
    initializer = check_choice("initializer", initializer, ("paper", "glorot"))
    input_shape = check_input_shape("Figure 1's network", input_shape, 8)
    classes, _ = check_classifier(classes, "softmax")
    init = (
        keras.initializers.RandomNormal(0.0, PAPER_INIT_STDDEV)
        if initializer == "paper"
        else "glorot_uniform"
    )
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for i, filters in enumerate(FIGURE1_CONVOLUTIONS, start=1):
        x = layers.Conv2D(filters, 5, padding="same", activation=activation,
                          kernel_initializer=init, name=f"conv{i}")(x)  # fmt: skip
        x = layers.MaxPooling2D(POOL_SIZE, POOL_STRIDE, padding="same", name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(classes, activation="softmax", kernel_initializer=init, name="output")(x)
    return keras.Model(inputs, outputs, name=f"figure1_{activation}_{initializer}")


def copied_alexnet(input_shape=(227, 227, 3), classes=1000):
    """A widely copied Keras "AlexNet" that is another network (do not use it as AlexNet).

    Four convolutions instead of five: conv1 96@11x11/4 'valid', max pool 3x3/2, conv2
    256@5x5 'same', max pool 3x3/2, conv3 384@3x3 'same', conv4 256@3x3 'same', max pool 3x3/2,
    then 4,096, 4,096 and `classes` dense units with dropout 0.5. Its conv4 takes the place of the
    paper's conv5; the paper's second 384-filter layer (1,327,488 parameters as one tower) is
    missing, and so are LRN and the two-tower groups. At 227x227x3 and 1,000 classes:
    34,944 + 614,656 + 885,120 + 884,992 + 37,752,832 + 16,781,312 + 4,097,000 = 61,050,856
    parameters, close to the paper's "60 million" by coincidence, not by construction.
    """
    check_channels_last("The copied AlexNet")
    input_shape = check_input_shape("The copied AlexNet", input_shape, MIN_INPUT_SIZE)
    classes, _ = check_classifier(classes, "softmax")
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="drop1")(x)
    x = layers.Dense(4096, activation="relu", name="fc2")(x)
    x = layers.Dropout(0.5, name="drop2")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="copied_alexnet")

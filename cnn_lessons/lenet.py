"""LeNet-5: LeCun, Bottou, Bengio and Haffner, "Gradient-Based Learning Applied to Document
Recognition", Proceedings of the IEEE, 1998, section II.B.

Two variants from one table:
- `"paper"` reproduces the paper: 1.7159 tanh(2a/3) squashing, trainable sub-sampling (S2, S4),
  C3's partial connection table (Table I), and Euclidean RBF output units with fixed +1/-1
  parameter vectors (or a softmax output, `output="softmax"`). C1..F6 hold 60,000 parameters.
- `"modern"` is how LeNet-5 is usually rebuilt today: ReLU, max pooling, a fully connected C3 and
  a dense softmax output. 61,706 parameters.
"""

import numpy as np

from ._keras import keras, layers
from .layers import EuclideanRBF, SparseConv2D, Subsampling, lecun_tanh
from .validation import (
    check_channels_last,
    check_choice,
    check_classifier,
    check_input_shape,
    check_name,
    is_integer,
)

# The architecture, as the paper labels it: (layer, kind, size). Both variants walk it.
ARCHITECTURE = (
    ("C1", "conv", 6),  # 6 feature maps, 5x5 kernels:        32x32x1 -> 28x28x6
    ("S2", "pool", 6),  # 2x2 sub-sampling:                     -> 14x14x6
    ("C3", "conv", 16),  # 16 maps, 5x5, Table I connections:   -> 10x10x16
    ("S4", "pool", 16),  # 2x2 sub-sampling:                     -> 5x5x16
    ("C5", "conv", 120),  # 120 maps, 5x5 (fully connected here) -> 1x1x120
    ("F6", "dense", 84),  # 84 units, one per pixel of a 7x12 bitmap
)
KERNEL_SIZE = 5
MIN_INPUT_SIZE = 32  # 5x5 valid conv, 2x2 pool, 5x5, 2x2, 5x5 leaves exactly 1x1 at 32 px

# Table I: the S2 maps each C3 map is connected to. Six maps see 3 contiguous maps, six see 4
# contiguous, three see 4 discontinuous, and one sees all six: 60 connections in all.
C3_CONNECTIONS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip

# The output RBF units' fixed parameter vectors: one stylized 7x12 bitmap per digit, '#' = +1 and
# '.' = -1 (the paper's Figure 3 shows the idea; these bitmaps are ours, drawn on the same grid).
DIGIT_BITMAPS = {
    0: ("..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#.....#",
        "#.....#", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."),
    1: ("...#...", "..##...", ".#.#...", "...#...", "...#...", "...#...",
        "...#...", "...#...", "...#...", "...#...", "...#...", ".#####."),
    2: (".#####.", "#.....#", "......#", "......#", ".....#.", "....#..",
        "...#...", "..#....", ".#.....", "#......", "#......", "#######"),
    3: (".#####.", "#.....#", "......#", "......#", "......#", "..####.",
        "......#", "......#", "......#", "......#", "#.....#", ".#####."),
    4: ("....##.", "...#.#.", "..#..#.", ".#...#.", "#....#.", "#....#.",
        "#######", ".....#.", ".....#.", ".....#.", ".....#.", ".....#."),
    5: ("#######", "#......", "#......", "#......", "######.", "......#",
        "......#", "......#", "......#", "......#", "#.....#", ".#####."),
    6: ("..####.", ".#.....", "#......", "#......", "#.###..", "##...#.",
        "#.....#", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."),
    7: ("#######", "......#", ".....#.", ".....#.", "....#..", "....#..",
        "...#...", "...#...", "..#....", "..#....", "..#....", "..#...."),
    8: ("..###..", ".#...#.", "#.....#", "#.....#", ".#...#.", "..###..",
        ".#...#.", "#.....#", "#.....#", "#.....#", ".#...#.", "..###.."),
    9: ("..###..", ".#...#.", "#.....#", "#.....#", "#.....#", ".#...##",
        "..###.#", "......#", "......#", ".....#.", "....#..", ".###..."),
}  # fmt: skip


def rbf_centers():
    """The (84, 10) array of output parameter vectors, +1 for ink and -1 for background."""
    columns = [
        [1.0 if pixel == "#" else -1.0 for row in DIGIT_BITMAPS[digit] for pixel in row]
        for digit in range(10)
    ]
    return np.array(columns, dtype="float32").T


def lenet5(
    variant="paper",
    input_shape=(32, 32, 1),
    classes=10,
    output=None,
    classifier_activation="softmax",
    name=None,
):
    """Build LeNet-5 with layers named as in the paper: C1, S2, C3, S4, C5, F6, output.

    Args:
        variant: `"paper"` (LeCun et al. 1998, exactly) or `"modern"` (ReLU, max pooling,
            full C3, dense softmax output).
        input_shape: (height, width, channels), at least 32x32: MNIST's 28x28 digits are padded
            to 32x32, as in the paper, so that strokes can reach the centre of C5's receptive
            fields.
        classes: number of output units.
        output: the paper variant's output layer: `"rbf"` (the paper's Euclidean RBF units, fixed
            parameter vectors, 10 digits only; train with `layers.rbf_loss`) or `"softmax"` (a
            dense layer). Defaults to `"rbf"` for the paper variant and `"softmax"` for modern.
        classifier_activation: activation of a dense output layer (`None` gives logits). The
            RBF output has none (its outputs are penalties, the smallest wins): with it, leave
            this argument at its default; anything else is an error, not silently ignored.
        name: model name; defaults to `lenet5_<variant>`.

    Returns:
        A `keras.Model`.
    """
    check_channels_last("LeNet-5")
    variant = check_choice("variant", variant, ("paper", "modern"))
    input_shape = check_input_shape("LeNet-5", input_shape, MIN_INPUT_SIZE)
    if output is None:
        output = "rbf" if variant == "paper" else "softmax"
    output = check_choice(
        "output", output, ("rbf", "softmax") if variant == "paper" else ("softmax",)
    )
    if output == "rbf":
        _check_rbf_output(classes, classifier_activation)
    else:
        classes, classifier_activation = check_classifier(classes, classifier_activation)
    check_name(name)

    paper = variant == "paper"
    activation = lecun_tanh if paper else "relu"
    inputs = keras.Input(shape=input_shape, name="input")
    # Section II.A: pixels in [0, 1] are mapped so that the background is -0.1 and the ink 1.175,
    # which makes the input's mean roughly 0 and its variance roughly 1.
    x = layers.Rescaling(1.275, offset=-0.1, name="normalize")(inputs)
    for label, kind, size in ARCHITECTURE:
        if kind == "pool":
            x = (
                Subsampling(2, activation, name=label)(x)
                if paper
                else layers.MaxPooling2D(2, name=label)(x)
            )
        elif label == "C3" and paper:
            x = c3(x)
        elif kind == "conv":
            x = layers.Conv2D(size, KERNEL_SIZE, activation=activation, name=label)(x)
        else:
            x = layers.Flatten(name="flatten")(x)  # 1x1x120 at 32 px: C5 becomes a vector
            x = layers.Dense(size, activation=activation, name=label)(x)
    if output == "rbf":
        outputs = EuclideanRBF(rbf_centers(), name="output")(x)
    else:
        outputs = layers.Dense(classes, activation=classifier_activation, name="output")(x)
    return keras.Model(inputs, outputs, name=name or f"lenet5_{variant}")


def c3(x, connections=None, name="C3"):
    """C3 as the paper builds it: 16 maps of 5x5 kernels, map j reading only the S2 maps
    `connections[j]` (Table I), then the squashing function. (batch, 14, 14, 6) -> (10, 10, 16)
    with Table I: 60 links * 5*5 weights + 16 biases = 1,516 parameters."""
    connections = C3_CONNECTIONS if connections is None else connections
    return SparseConv2D(connections, KERNEL_SIZE, lecun_tanh, name=name)(x)


def _check_rbf_output(classes, classifier_activation):
    """The RBF output is the paper's: one fixed bitmap per digit, and no activation."""
    if not (is_integer(classes) and classes == 10):
        raise ValueError(
            "The RBF output has parameter vectors for the 10 digits only; use output='softmax' "
            f"for another number of classes. Received: classes={classes!r}"
        )
    if not (isinstance(classifier_activation, str) and classifier_activation == "softmax"):
        raise ValueError(
            "The RBF output has no activation: its outputs are penalties, the smallest wins. "
            "Leave `classifier_activation` at its default, or use output='softmax' for a dense "
            f"output with an activation. Received: classifier_activation={classifier_activation!r}"
        )


def copied_lenet(input_shape=(32, 32, 1), classes=10):
    """A widely copied Keras "LeNet-5" that is really another network (do not use it as LeNet-5).

    20 and 50 filters with `same` padding, ReLU, max pooling and a 500-unit dense layer: the
    convolutions keep the full resolution, so the dense layer sees 8x8x50 = 3,200 inputs and the
    model has 1,631,080 parameters at 32x32, 27 times LeNet-5's 60,000.
    """
    check_channels_last("The copied LeNet")
    input_shape = check_input_shape("The copied LeNet", input_shape, 4)
    classes, _ = check_classifier(classes, "softmax")
    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(20, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(50, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(500, activation="relu", name="dense1")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="copied_lenet")

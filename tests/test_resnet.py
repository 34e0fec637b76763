import math
import re

import keras
import numpy as np
import pytest

from cnn_lessons import MODELS, plots, references
from cnn_lessons.arithmetic import layer_table, totals
from cnn_lessons.layers import SubsampleZeroPad
from cnn_lessons.resnet import (
    basic_block,
    bottleneck_block,
    copied_resnet,
    resnet,
    resnet18,
    resnet50,
    resnet_cifar,
)

PAPER = references.RESNET
# keras.applications' stage outputs, which ours must reproduce in name and shape.
RESNET50_STAGES = {
    "conv1_relu": (112, 112, 64), "pool1_pool": (56, 56, 64), "conv2_block3_out": (56, 56, 256),
    "conv3_block4_out": (28, 28, 512), "conv4_block6_out": (14, 14, 1024),
    "conv5_block3_out": (7, 7, 2048), "avg_pool": (2048,), "predictions": (1000,),
}  # fmt: skip


def trainable(model):
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def non_trainable(model):
    return sum(math.prod(w.shape) for w in model.non_trainable_weights)


def shape(model, name):
    return tuple(model.get_layer(name).output.shape[1:])


def images(size, batch=2, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, size, size, 3)).astype("float32")


@pytest.fixture(scope="module")
def r50():
    return resnet50()


@pytest.fixture(scope="module")
def r50_small():
    """ResNet-50 at 32x32 with logits: the same weights as at 224, cheap to run."""
    return resnet50(input_shape=(32, 32, 3), classifier_activation=None)


@pytest.fixture(scope="module")
def r20():
    return resnet_cifar(20)


# --- ImageNet family: counts ------------------------------------------------------------------


# Non-trainable = 2 BN statistics per channel. ResNet-34, for instance: conv1 64 + conv2 3*2*64
# + conv3 (4*2 + 1)*128 + conv4 (6*2 + 1)*256 + conv5 (3*2 + 1)*512 = 8,512 channels -> 17,024.
@pytest.mark.parametrize(
    "depth, non_trainable_params",
    [(18, 9_600), (34, 17_024), (50, 53_120), (101, 105_344), (152, 151_424)],
)
def test_imagenet_counts_equal_torchvision_and_macs_match_table_1(depth, non_trainable_params):
    model = MODELS[f"resnet{depth}"]()
    assert trainable(model) == PAPER["trainable"][depth]
    assert non_trainable(model) == non_trainable_params
    if depth in PAPER["non_trainable"]:
        assert non_trainable_params == PAPER["non_trainable"][depth]
    # Table 1 gives one decimal (and floors 3.66 to 3.6, 3.86 to 3.8): agree within 2%.
    macs = totals(layer_table(model))["macs"] / 1e9
    assert macs == pytest.approx(PAPER["gflops"][depth], rel=0.02)


def test_resnet50_with_conv_bias_is_keras_applications_resnet50():
    ours = resnet50(conv_bias=True)
    theirs = keras.applications.ResNet50(weights=None)
    assert ours.count_params() == theirs.count_params() == PAPER["keras_applications_resnet50"]
    # Layer for layer (the input layer's name aside): same names, types, counts and shapes.
    pairs = list(zip(ours.layers[1:], theirs.layers[1:], strict=True))
    for mine, reference in pairs:
        assert mine.name == reference.name
        assert type(mine) is type(reference)
        assert mine.count_params() == reference.count_params(), mine.name
        assert mine.output.shape[1:] == reference.output.shape[1:], mine.name
    for name, expected in RESNET50_STAGES.items():
        assert shape(ours, name) == shape(theirs, name) == expected
    bn = theirs.get_layer("conv1_bn")
    assert ours.get_layer("conv1_bn").epsilon == bn.epsilon == 1.001e-5
    assert ours.get_layer("conv1_bn").momentum == bn.momentum


def test_no_conv_has_a_bias_by_default(r50):
    convs = [layer for layer in r50.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 53  # 1 + 16 blocks * 3 + 4 projections
    assert not any(conv.use_bias for conv in convs)


# --- ImageNet family: names and shapes --------------------------------------------------------


def test_resnet50_names_and_stage_shapes(r50):
    for name, expected in RESNET50_STAGES.items():
        assert shape(r50, name) == expected
    assert shape(r50, "conv2_block1_1_conv") == (56, 56, 64)
    assert shape(r50, "conv3_block1_1_conv") == (28, 28, 128)  # the paper's stride: on the 1x1
    names = [layer.name for layer in r50.layers]
    assert names[:7] == [
        "input", "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool",
    ]  # fmt: skip
    # Projections exactly where the shape changes: the first block of each stage.
    assert [n for n in names if n.endswith("_0_conv")] == [
        f"conv{s}_block1_0_conv" for s in (2, 3, 4, 5)
    ]
    assert sum(n.endswith("_add") for n in names) == 16
    assert names[-2:] == ["avg_pool", "predictions"]


def test_resnet18_names_and_stage_shapes():
    model = resnet18()
    expected = {
        "pool1_pool": (56, 56, 64), "conv2_block2_out": (56, 56, 64),
        "conv3_block1_1_conv": (28, 28, 128), "conv3_block2_out": (28, 28, 128),
        "conv4_block2_out": (14, 14, 256), "conv5_block2_out": (7, 7, 512), "avg_pool": (512,),
    }  # fmt: skip
    assert {name: shape(model, name) for name in expected} == expected
    names = [layer.name for layer in model.layers]
    # conv2 keeps 56x56x64, so its first block adds the identity; conv3..conv5 project.
    projections = [n for n in names if n.endswith("_0_conv")]
    assert projections == [f"conv{s}_block1_0_conv" for s in (3, 4, 5)]
    assert "conv2_block1_3_conv" not in names and "conv3_block1_2_conv" in names
    # The strided 3x3 is padded by 1 on every side, as in the paper, not 'same' (bottom/right only).
    assert model.get_layer("conv3_block1_1_pad").padding == ((1, 1), (1, 1))
    assert model.get_layer("conv3_block1_1_conv").padding == "valid"


def test_stride_on_moves_the_stride_and_changes_no_count(r50):
    v15 = resnet50(stride_on="3x3")
    assert trainable(v15) == trainable(r50) and v15.count_params() == r50.count_params()
    for model, on_1x1 in ((r50, (2, 2)), (v15, (1, 1))):
        assert model.get_layer("conv3_block1_1_conv").strides == on_1x1
        assert model.get_layer("conv3_block1_2_conv").strides == (3 - on_1x1[0],) * 2
    assert shape(v15, "conv3_block1_1_conv") == (56, 56, 128)
    assert shape(v15, "conv3_block1_2_conv") == shape(r50, "conv3_block1_2_conv") == (28, 28, 128)
    assert "conv3_block1_2_pad" in [layer.name for layer in v15.layers]
    # The 3x3 now works at 4x the positions: torchvision's 4.09 GFLOPs instead of Table 1's 3.8.
    macs = totals(layer_table(v15))["macs"] / 1e9
    assert macs == pytest.approx(PAPER["torchvision_resnet50_gflops"], abs=0.005)


# --- The ReLU after the addition, and the copied mistakes -------------------------------------


def check_relu_after_every_add(model):
    """Each block's `_out` is a ReLU applied to its `_add` (Figure 2); a projection shortcut's
    BN feeds the addition directly, with no ReLU between them."""
    names = {layer.name for layer in model.layers}
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    assert adds, "no residual additions"
    for add in adds:
        block = add.name.removesuffix("_add")
        out = model.get_layer(f"{block}_out")
        assert isinstance(out, keras.layers.Activation), out.name
        assert out.activation is keras.activations.relu, f"{out.name} is not a ReLU"
        assert out.input is add.output, f"{out.name} does not follow {add.name}"
        if f"{block}_0_bn" in names:  # a projection shortcut
            sources = {tensor._keras_history.operation.name for tensor in add.input}
            assert f"{block}_0_bn" in sources, f"{add.name} adds {sorted(sources)}"


def block_outputs(model, x):
    names = [layer.name for layer in model.layers if layer.name.endswith("_out")]
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names])
    return dict(zip(names, probe(x)))


def test_every_block_ends_with_a_relu_after_its_addition(r50_small, r20):
    r18 = resnet18(input_shape=(32, 32, 3))
    for model in (r50_small, r18, r20, resnet_cifar(20, shortcut="B")):
        check_relu_after_every_add(model)
    for name, value in block_outputs(r50_small, images(32)).items():
        assert np.min(value) >= 0, name


def test_the_relu_check_fails_for_both_copied_mistakes(r50_small):
    no_relu = copied_resnet(50, "no_relu_after_add", input_shape=(32, 32, 3))
    with pytest.raises(AssertionError, match="is not a ReLU"):
        check_relu_after_every_add(no_relu)
    assert min(np.min(v) for v in block_outputs(no_relu, images(32)).values()) < 0
    relu_shortcut = copied_resnet(50, "relu_on_projection", input_shape=(32, 32, 3))
    with pytest.raises(AssertionError, match="adds"):
        check_relu_after_every_add(relu_shortcut)


@pytest.mark.parametrize("mistake", ["no_relu_after_add", "relu_on_projection"])
def test_each_copied_mistake_changes_the_function_with_the_same_weights(r50_small, mistake):
    copied = copied_resnet(50, mistake, input_shape=(32, 32, 3), classifier_activation=None)
    assert trainable(copied) == PAPER["trainable"][50]
    for layer in r50_small.layers:  # by name: the extra ReLU layer shifts the model's weight order
        if layer.weights:
            copied.get_layer(layer.name).set_weights(layer.get_weights())
    x = images(32)
    right, wrong = np.asarray(r50_small(x)), np.asarray(copied(x))
    assert np.max(np.abs(right - wrong)) > 1e-2 * np.max(np.abs(right))


# --- CIFAR family -----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
def test_cifar_counts_match_table_6(depth):
    model = MODELS[f"resnet{depth}"]()
    count = trainable(model)
    assert count == PAPER["cifar_trainable"][depth]
    printed = PAPER["cifar_params_millions"][depth]
    assert round(count / 1e6, 2 if printed < 1 else 1) == printed  # Table 6's rounding
    assert sum(isinstance(layer, keras.layers.Add) for layer in model.layers) == (depth - 2) // 2


@pytest.mark.parametrize("depth", [20, 56])
def test_plain_nets_have_no_shortcut_and_the_residual_twins_count(depth):
    plain, residual = MODELS[f"plain{depth}"](), resnet_cifar(depth)
    assert trainable(plain) == trainable(residual) == PAPER["cifar_trainable"][depth]
    assert plain.count_params() == residual.count_params()
    shortcut_types = (keras.layers.Add, SubsampleZeroPad)
    assert not any(isinstance(layer, shortcut_types) for layer in plain.layers)
    assert plain.name == f"plain{depth}" and shape(plain, "conv4_block1_out") == (8, 8, 64)


def test_resnet20_by_hand():
    # stem 3*3*3*16 + BN 2*16; stage 1: six 3*3*16*16 convs; stage 2: 3*3*16*32 + five 3*3*32*32;
    # stage 3: 3*3*32*64 + five 3*3*64*64; BN 2 per channel on 6 convs a stage; FC (64 + 1)*10.
    convs = 3 * 3 * (3 * 16 + 6 * 16 * 16 + 16 * 32 + 5 * 32 * 32 + 32 * 64 + 5 * 64 * 64)
    bn = 2 * (16 + 6 * 16 + 6 * 32 + 6 * 64)
    assert convs + bn + 65 * 10 == 269_722
    # MACs: each conv's weights once per output position (32x32, 16x16, 8x8), plus the FC.
    macs = (
        32 * 32 * 3 * 3 * (3 * 16 + 6 * 16 * 16)
        + 16 * 16 * 3 * 3 * (16 * 32 + 5 * 32 * 32)
        + 8 * 8 * 3 * 3 * (32 * 64 + 5 * 64 * 64)
        + 64 * 10
    )
    table = layer_table(resnet_cifar(20))
    assert totals(table) == {
        "params": 271_098, "trainable": 269_722, "non_trainable": 1_376, "macs": macs,
    }  # fmt: skip
    assert macs == 40_551_040


def test_cifar_names_shapes_and_option_a_shortcuts(r20):
    expected = {
        "conv1_relu": (32, 32, 16), "conv2_block3_out": (32, 32, 16),
        "conv3_block1_0_shortcut": (16, 16, 32), "conv3_block3_out": (16, 16, 32),
        "conv4_block1_0_shortcut": (8, 8, 64), "conv4_block3_out": (8, 8, 64),
        "avg_pool": (64,), "predictions": (10,),
    }  # fmt: skip
    assert {name: shape(r20, name) for name in expected} == expected
    shortcuts = [layer for layer in r20.layers if isinstance(layer, SubsampleZeroPad)]
    assert [s.name for s in shortcuts] == ["conv3_block1_0_shortcut", "conv4_block1_0_shortcut"]
    assert all(s.count_params() == 0 and not s.weights for s in shortcuts)
    assert not any(layer.name.endswith("_0_conv") for layer in r20.layers)
    table = layer_table(r20).set_index("name")
    assert table.loc["conv3_block1_0_shortcut", "params"] == 0
    # A 1x1 sampling window: the shortcut sees what its input saw.
    assert (
        table.loc["conv3_block1_0_shortcut", "receptive_field"]
        == table.loc["conv2_block3_out", "receptive_field"]
    )


def test_option_b_projects_where_the_shape_changes(r20):
    model = resnet_cifar(20, shortcut="B")
    # Two projections (1x1 conv + BN's gamma and beta): 16*32 + 2*32 and 32*64 + 2*64.
    assert trainable(model) == trainable(r20) + (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert [layer.name for layer in model.layers if layer.name.endswith("_0_conv")] == [
        "conv3_block1_0_conv",
        "conv4_block1_0_conv",
    ]


def test_subsample_zero_pad_is_strided_identity_then_zero_channels():
    x = np.random.default_rng(3).normal(size=(2, 7, 6, 3)).astype("float32")
    y = np.asarray(SubsampleZeroPad(2, 5)(x))
    assert y.shape == (2, 4, 3, 5)
    np.testing.assert_array_equal(y[..., :3], x[:, ::2, ::2, :])
    np.testing.assert_array_equal(y[..., 3:], 0.0)


def test_strided_3x3_and_option_a_sample_the_same_positions():
    """With padding 1 on every side, a stride-2 3x3 is centred on positions 0, 2, 4, ...: the
    ones option A keeps. (Keras's 'same' padding would centre it on 1, 3, 5, ...)"""
    model = resnet_cifar(8, input_shape=(16, 16, 3))
    conv = model.get_layer("conv3_block1_1_conv")
    kernel = np.zeros(conv.kernel.shape, "float32")
    kernel[1, 1] = np.eye(16, 32)  # centre tap only: the conv copies its centre pixel
    conv.set_weights([kernel])
    probe = keras.Model(model.input, [model.get_layer("conv2_block1_out").output, conv.output])
    before, after = (np.asarray(t) for t in probe(images(16)))
    np.testing.assert_allclose(after[..., :16], before[:, ::2, ::2, :], rtol=1e-6)


def test_convolutions_start_as_in_he_et_al_and_each_on_its_own(r20):
    """Section 3.4 initializes "as in [13]": an untruncated Gaussian, std sqrt(2 / fan_in)."""
    kernel = np.asarray(r20.get_layer("conv4_block2_1_conv").kernel)  # 3*3*64*64 = 36,864 draws
    assert kernel.std() == pytest.approx(math.sqrt(2 / (3 * 3 * 64)), rel=0.03)
    assert np.abs(kernel).max() > 3 * kernel.std()  # a truncated normal stops at 2 std
    first, second = (np.asarray(r20.get_layer(f"conv2_block1_{i}_conv").kernel) for i in (1, 2))
    assert not np.array_equal(first, second)


def test_resnet20_saves_and_loads_with_identical_predictions(tmp_path, r20):
    path = tmp_path / "resnet20.keras"
    r20.save(path)
    loaded = keras.models.load_model(path)
    x = images(32, batch=4)
    np.testing.assert_array_equal(np.asarray(r20(x)), np.asarray(loaded(x)))
    assert isinstance(loaded.get_layer("conv3_block1_0_shortcut"), SubsampleZeroPad)
    assert trainable(loaded) == 269_722


def test_smaller_inputs_and_other_class_counts_build():
    assert shape(resnet(34, input_shape=(32, 32, 1), classes=7), "conv5_block3_out") == (1, 1, 512)
    model = resnet_cifar(20, input_shape=(8, 8, 3), classes=100)
    assert shape(model, "conv4_block3_out") == (2, 2, 64) and shape(model, "predictions") == (100,)


# --- The chapter's degradation curves ---------------------------------------------------------


def test_moving_average_is_the_mean_of_the_last_window_values():
    values = np.array([0.9, 0.8, 0.6, 0.7, 0.3])
    expected = [0.9, 0.85, (0.9 + 0.8 + 0.6) / 3, (0.8 + 0.6 + 0.7) / 3, (0.6 + 0.7 + 0.3) / 3]
    np.testing.assert_allclose(plots.moving_average(values, 3), expected)
    np.testing.assert_allclose(plots.moving_average(values, 1), values)
    np.testing.assert_allclose(
        plots.moving_average(values, 10), np.cumsum(values) / np.arange(1, 6)
    )


def test_iteration_curves_draw_one_smoothed_line_per_network():
    errors = {"plain-20": [0.9, 0.7, 0.5], "plain-56": [0.9, 0.9, 0.8]}
    figure = plots.iteration_curves(
        {"plain": errors, "ResNets": {"ResNet-20": [1.0, 0.0]}}, window=2
    )
    left, right = figure.axes
    assert [line.get_label() for line in left.lines] == ["plain-20", "plain-56"]
    np.testing.assert_allclose(left.lines[0].get_ydata(), [0.9, 0.8, 0.6])
    np.testing.assert_allclose(right.lines[0].get_xdata(), [1, 2])


# --- Bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: resnet(20), "depth=20"),
        (lambda: resnet(50, input_shape=(31, 31, 3)), "at least 32x32"),
        (lambda: resnet(50, input_shape=(224, 224)), "(height, width, channels)"),
        (lambda: resnet(50, stride_on="7x7"), "stride_on='7x7'"),
        (lambda: resnet(18, classes=0), "classes=0"),
        (lambda: resnet_cifar(21), "depth=21"),
        (lambda: resnet_cifar(2), "depth=2"),
        (lambda: resnet_cifar(18), "depth=18"),
        (lambda: resnet_cifar(20, shortcut="projection"), "shortcut='projection'"),
        (lambda: resnet_cifar(20, input_shape=(7, 7, 3)), "at least 8x8"),
        (lambda: resnet_cifar(20, classes=-1), "classes=-1"),
        (lambda: copied_resnet(50, "no_bn"), "mistake='no_bn'"),
    ],
)
def test_bad_arguments_raise_value_error_with_what_was_received(build, message):
    with pytest.raises(ValueError, match="Received") as error:
        build()
    assert message in str(error.value)


# --- Arguments a learner would pass ----------------------------------------------------------


def test_numpy_integers_and_bools_build_the_same_networks():
    model = resnet_cifar(
        np.int64(20),
        plain=np.bool_(False),
        input_shape=np.array([32, 32, 3]),
        classes=np.int64(10),
    )
    assert trainable(model) == PAPER["cifar_trainable"][20] and model.name == "resnet20"
    assert type(model.get_layer("predictions").units) is int
    small = resnet(np.int64(18), input_shape=(32, 32, 3), classes=np.int64(1000))
    assert trainable(small) == PAPER["trainable"][18] and small.name == "resnet18"


BASIC_BLOCKS_HAVE_NO_STRIDE_CHOICE = (
    "`stride_on` chooses between a bottleneck block's 1x1 and 3x3 convolutions (ResNet-50, 101, "
    "152); ResNet-{depth}'s basic blocks start with a 3x3 either way, so leave it at its default. "
    "Received: depth={depth}, stride_on='3x3'"
)


@pytest.mark.parametrize("build", [resnet, copied_resnet])
@pytest.mark.parametrize("depth", [18, 34])
def test_stride_on_cannot_apply_to_basic_blocks(build, depth):
    message = BASIC_BLOCKS_HAVE_NO_STRIDE_CHOICE.format(depth=depth)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        build(depth, stride_on="3x3")


def test_a_plain_network_refuses_a_shortcut_option():
    message = (
        "A plain network has no shortcuts, so `shortcut` cannot apply: leave it at its default "
        "with plain=True. Received: plain=True, shortcut='B'"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        resnet_cifar(20, shortcut="B", plain=True)


DEPTH_RULE = (
    "`depth` must be 6n + 2 for an integer n from 1 to 200 (8, 14, 20, 32, 44, 56, 110, ..., "
    "1202). Received: depth="
)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: resnet_cifar(20.0), DEPTH_RULE + "20.0"),
        (lambda: resnet_cifar("20"), DEPTH_RULE + "'20'"),
        (lambda: resnet_cifar(1208), DEPTH_RULE + "1208"),
        (
            lambda: resnet_cifar(20, plain="no"),
            "`plain` must be True or False. Received: plain='no'",
        ),
        (
            lambda: resnet_cifar(20, shortcut="a"),
            "`shortcut` must be one of 'A', 'B'. Received: shortcut='a'",
        ),
        (lambda: resnet_cifar(20, classes=1), "A softmax over one output unit is always 1.0"),
        (lambda: resnet_cifar(20, classifier_activation="softmx"), "Did you mean 'softmax'"),
        (lambda: resnet_cifar(20, name=""), "Received: name=''"),
        (
            lambda: resnet_cifar(20, input_shape=(3, 32, 32)),
            "The CIFAR ResNet-20 needs an input of "
            "at least 8x8 pixels. The channels go last: (height, width, channels). Received: "
            "input_shape=(3, 32, 32)",
        ),
        (
            lambda: resnet_cifar(20, input_shape=(None, None, 3)),
            "The CIFAR ResNet-20 needs a fixed input size",
        ),
        (lambda: resnet(50.0), "`depth` must be one of 18, 34, 50, 101, 152. Received: depth=50.0"),
        (lambda: resnet(True), "`depth` must be one of 18, 34, 50, 101, 152. Received: depth=True"),
        (
            lambda: resnet(50, conv_bias="yes"),
            "`conv_bias` must be True or False. Received: conv_bias='yes'",
        ),
        (lambda: resnet(50, classifier_activation=5), "Received: classifier_activation=5"),
        (lambda: resnet(50, name="res/net"), "Received: name='res/net'"),
        (lambda: resnet(50, input_shape=(1, 224, 224, 3)), "without the batch dimension"),
        (lambda: copied_resnet(50, mistake=None), "Received: mistake=None"),
        (
            lambda: copied_resnet(50, conv_bias=1),
            "`conv_bias` must be True or False. Received: conv_bias=1",
        ),
    ],
)
def test_wrong_values_get_the_packages_error(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_the_blocks_refuse_an_option_they_would_ignore():
    x = keras.Input((32, 32, 16))
    with pytest.raises(
        ValueError, match=re.escape("`option` must be one of 'A', 'B'. Received: option='C'")
    ):
        basic_block(x, 32, strides=2, option="C", name="conv3_block1")
    with pytest.raises(
        ValueError,
        match=re.escape("`stride_on` must be one of '1x1', '3x3'. Received: stride_on='1X1'"),
    ):
        bottleneck_block(x, 16, strides=2, stride_on="1X1", name="conv3_block1")


def test_a_misspelt_mistake_is_an_error_not_the_right_block():
    from cnn_lessons.resnet import basic_block, bottleneck_block

    x = keras.Input((8, 8, 16))
    for block in (basic_block, bottleneck_block):
        with pytest.raises(ValueError, match=r"mistake.*no_relu_after_add.*Received.*'no_relu'"):
            block(x, 4 if block is bottleneck_block else 16, name="b", mistake="no_relu")

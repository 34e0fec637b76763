import gc
import re
from functools import partial

import keras
import numpy as np
import pytest

from cnn_lessons import MODELS, references
from cnn_lessons.arithmetic import layer_table, totals
from cnn_lessons.vgg import (
    TABLE_1,
    conv_stacks,
    copied_vgg16,
    depth,
    parse,
    vgg,
    vgg11,
    vgg13,
    vgg16,
    vgg19,
    vgg_cifar,
)

CONFIGS = ("A", "A-LRN", "B", "C", "D", "E")


def summarize(build):
    """Build a model, keep what the tests need (its layer_table, which also checks every row
    against Keras, and each layer's config), and free the model: a 224 px VGG holds ~550 MB."""
    model = build()
    summary = {
        "name": model.name,
        "count": model.count_params(),
        "table": layer_table(model).set_index("name", drop=False),
        "configs": {layer.name: layer.get_config() for layer in model.layers},
    }
    del model
    gc.collect()
    return summary


@pytest.fixture(scope="module")
def paper():
    """Every Table 1 configuration at 224x224x3, 1000 classes, each built once."""
    return {config: summarize(partial(vgg, config)) for config in CONFIGS}


@pytest.fixture(scope="module")
def keras_apps():
    """keras.applications VGG16 and VGG19 (random weights), each built once."""
    apps = keras.applications
    return {
        "D": summarize(partial(apps.VGG16, weights=None)),
        "E": summarize(partial(apps.VGG19, weights=None)),
    }


def test_all_six_counts_are_the_papers(paper):
    counts = {config: paper[config]["count"] for config in CONFIGS}
    assert counts == references.VGG["params"] == {
        "A": 132_863_336, "A-LRN": 132_863_336, "B": 133_047_848, "C": 133_638_952,
        "D": 138_357_544, "E": 143_667_240,
    }  # fmt: skip
    rounded = {config: round(count / 1e6) for config, count in counts.items()}
    assert rounded == references.VGG["params_millions"]  # Table 2: 133 133 133 134 138 144
    for config in CONFIGS:
        assert totals(paper[config]["table"])["params"] == counts[config]


def test_counts_by_hand_from_the_table():
    """An independent oracle: count each configuration from TABLE_1 with the conv and dense
    formulas, (k*k*C_in + 1)*C_out and (n_in + 1)*n_out, at 224 px and 1000 classes."""
    for config, params in references.VGG["params"].items():
        channels, total = 3, 0
        for block in TABLE_1[config]:
            for entry in block:
                kind, k, filters = parse(entry)
                if kind == "conv":
                    total += (k * k * channels + 1) * filters
                    channels = filters
        for n_in, n_out in ((7 * 7 * 512, 4096), (4096, 4096), (4096, 1000)):
            total += (n_in + 1) * n_out
        assert total == params, config


def test_variants_and_registry():
    assert [(f.func, f.args) for f in (vgg11, vgg13, vgg16, vgg19)] == [
        (vgg, ("A",)), (vgg, ("B",)), (vgg, ("D",)), (vgg, ("E",))
    ]  # fmt: skip
    assert {config: depth(config) for config in CONFIGS} == {
        "A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19
    }  # fmt: skip
    for name, config in (("vgg11", "A"), ("vgg13", "B"), ("vgg16", "D"), ("vgg19", "E")):
        assert (MODELS[name].builder, MODELS[name].bound) == (vgg, {"config": config})
    assert (MODELS["vgg_cifar"].builder, MODELS["vgg_cifar"].bound) == (vgg_cifar, {})


@pytest.mark.parametrize("config, app", [("D", "VGG16"), ("E", "VGG19")])
def test_equal_to_keras_applications_in_count_and_every_stage(paper, keras_apps, config, app):
    ours, theirs = paper[config], keras_apps[config]
    assert ours["count"] == theirs["count"] == references.KERAS_APPLICATIONS_VGG[app]
    # keras.applications names: block<b>_conv<n>, block<b>_pool, flatten, fc1, fc2, predictions
    pairs = {f"pool{b}": f"block{b}_pool" for b in range(1, 6)}
    pairs.update({"flatten": "flatten", "fc6": "fc1", "fc7": "fc2", "fc8": "predictions"})
    for block_index, block in enumerate(TABLE_1[config], start=1):
        for n in range(1, len(block) + 1):
            pairs[f"conv{block_index}_{n}"] = f"block{block_index}_conv{n}"
    for column in ("output_shape", "params"):
        mine = {name: ours["table"].loc[name, column] for name in pairs}
        keras_values = {name: theirs["table"].loc[other, column] for name, other in pairs.items()}
        assert mine == keras_values, column
    stages = [ours["table"].loc[f"pool{b}", "output_shape"] for b in range(1, 6)]
    assert stages == [(112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 512)]


def test_layer_names_follow_the_papers_blocks(paper):
    assert list(paper["D"]["table"]["name"]) == [
        "input",
        "conv1_1", "conv1_2", "pool1",
        "conv2_1", "conv2_2", "pool2",
        "conv3_1", "conv3_2", "conv3_3", "pool3",
        "conv4_1", "conv4_2", "conv4_3", "pool4",
        "conv5_1", "conv5_2", "conv5_3", "pool5",
        "flatten", "fc6", "drop6", "fc7", "drop7", "fc8",
    ]  # fmt: skip
    assert list(paper["A-LRN"]["table"]["name"][:5]) == [
        "input",
        "conv1_1",
        "norm1",
        "pool1",
        "conv2_1",
    ]
    assert "conv5_4" in paper["E"]["table"]["name"] and "conv5_4" not in paper["D"]["table"]["name"]
    names = {config: paper[config]["name"] for config in CONFIGS}
    assert names == {
        "A": "vgg11_A", "A-LRN": "vgg11_A-LRN", "B": "vgg13_B", "C": "vgg16_C", "D": "vgg16_D",
        "E": "vgg19_E",
    }  # fmt: skip


def test_layer_settings_are_the_papers(paper):
    for config in CONFIGS:
        for name, settings in paper[config]["configs"].items():
            if name.startswith("conv"):
                assert (settings["strides"], settings["padding"], settings["activation"]) == (
                    (1, 1),
                    "same",
                    "relu",
                )
            if name.startswith("pool"):
                assert (settings["pool_size"], settings["strides"]) == ((2, 2), (2, 2))
            if name.startswith("drop"):
                assert settings["rate"] == 0.5
    kernels = {
        n: s["kernel_size"] for n, s in paper["C"]["configs"].items() if n.startswith("conv")
    }
    assert {n for n, k in kernels.items() if k == (1, 1)} == {"conv3_3", "conv4_3", "conv5_3"}
    assert paper["C"]["table"].loc["conv3_3", "formula"] == "(1*1*256 + 1)*256 = 65,792"
    lrn = paper["A-LRN"]["configs"]["norm1"]  # Krizhevsky et al.'s LRN, as section 2.1 says
    assert (lrn["size"], lrn["k"], lrn["alpha"], lrn["beta"]) == (5, 2.0, 1e-4, 0.75)
    assert paper["A-LRN"]["table"].loc["norm1", "type"] == "LocalResponseNormalization"
    assert paper["D"]["configs"]["fc8"]["activation"] == "softmax"


def test_receptive_fields_of_the_stacks(paper):
    table = paper["D"]["table"]
    fields = {name: int(table.loc[name, "receptive_field"]) for name in table["name"].iloc[1:19]}
    # By hand: each 3x3 adds 2 * jump, each 2x2/2 pool adds jump then doubles it.
    assert fields == {
        "conv1_1": 3, "conv1_2": 5, "pool1": 6, "conv2_1": 10, "conv2_2": 14, "pool2": 16,
        "conv3_1": 24, "conv3_2": 32, "conv3_3": 40, "pool3": 44, "conv4_1": 60, "conv4_2": 76,
        "conv4_3": 92, "pool4": 100, "conv5_1": 132, "conv5_2": 164, "conv5_3": 196, "pool5": 212,
    }  # fmt: skip
    # Measured on each block's own input map (jump 2**(b-1)), a stack of n 3x3 convolutions
    # sees 2n + 1 positions: two see 5x5, three 7x7, four 9x9; C's 1x1 adds nothing.
    for config in CONFIGS:
        table = paper[config]["table"]
        rf = {name: int(v) for name, v in zip(table["name"], table["receptive_field"]) if v}
        rf["pool0"] = 1
        for block_index, block in enumerate(TABLE_1[config], start=1):
            convs = [parse(entry) for entry in block if entry != "LRN"]
            last = f"conv{block_index}_{len(convs)}"
            jump = 2 ** (block_index - 1)
            seen = (rf[last] - rf[f"pool{block_index - 1}"]) // jump + 1
            assert seen == 1 + sum(k - 1 for _, k, _ in convs), (config, block_index)


def test_stacked_3x3_need_fewer_weights_than_one_large_filter(paper):
    table = paper["D"]["table"]

    def weights(name):  # params minus one bias per filter
        return int(table.loc[name, "params"]) - table.loc[name, "output_shape"][-1]

    c = 256  # conv3_2 and conv3_3 both map 256 channels to 256: a 5x5 field together
    assert weights("conv3_2") + weights("conv3_3") == 2 * 9 * c**2 == 1_179_648
    assert 2 * 9 * c**2 < 25 * c**2
    c = 512  # conv5_1..conv5_3 map 512 to 512: a 7x7 field together
    assert sum(weights(f"conv5_{n}") for n in (1, 2, 3)) == 27 * c**2 == 7_077_888
    assert 27 * c**2 < 49 * c**2
    assert int(table.loc["conv1_2", "receptive_field"]) == 5


def test_multiply_adds_of_d_and_e(paper):
    macs = {config: totals(paper[config]["table"])["macs"] for config in ("D", "E")}
    assert macs == {"D": 15_470_264_320, "E": 19_632_062_464}
    assert abs(macs["E"] / references.VGG["e_multiply_adds"] - 1) < 0.005


def test_other_input_sizes_change_only_the_flatten_size_and_classes_are_respected():
    model = vgg("A", input_shape=(64, 96, 3), classes=7, classifier_activation=None)
    table = layer_table(model).set_index("name")
    assert table.loc["pool5", "output_shape"] == (2, 3, 512)  # (64 // 32, 96 // 32)
    assert table.loc["fc6", "params"] == (2 * 3 * 512 + 1) * 4096
    assert table.loc["fc8", "output_shape"] == (7,)
    assert table.loc["fc8", "params"] == (4096 + 1) * 7
    assert model.get_layer("fc8").get_config()["activation"] == "linear"
    del model, table
    gc.collect()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"config": "F"}, "config='F'"),
        ({"config": "a"}, "'A', 'A-LRN', 'B', 'C', 'D', 'E'"),
        ({"config": "E-LRN"}, "config='E-LRN'"),
        ({"input_shape": (31, 224, 3)}, "at least 32x32"),
        ({"input_shape": (224, 16, 3)}, "input_shape=(224, 16, 3)"),
        ({"input_shape": (224, 224)}, "(height, width, channels)"),
        ({"classes": 0}, "classes=0"),
        ({"classes": -3}, "classes=-3"),
    ],
)
def test_bad_arguments_raise_value_error_with_what_was_received(kwargs, message):
    with pytest.raises(ValueError, match="Received") as error:
        vgg(**kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"config": "Z"}, "config='Z'"),
        ({"width": 0}, "width=0"),
        ({"fc_units": 2.5}, "fc_units=2.5"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"input_shape": (28, 28, 3)}, "at least 32x32"),
        ({"classes": 0}, "classes=0"),
    ],
)
def test_bad_cifar_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match="Received") as error:
        vgg_cifar(**kwargs)
    assert message in str(error.value)


def test_copied_vgg16_count_and_ignored_n_classes(paper):
    ten, two = copied_vgg16(n_classes=10), copied_vgg16(n_classes=2)
    assert ten.count_params() == two.count_params() == references.COPIED_VGG16_PARAMS == 37_694_248
    assert tuple(ten.output.shape) == tuple(two.output.shape) == (None, 1000)  # not 10, not 2
    table = layer_table(ten).set_index("name")
    # The arithmetic in its docstring: D's convolutions, then a 512-input fc6.
    vgg16_table = paper["D"]["table"]
    convs = [name for name in vgg16_table["name"] if name.startswith("conv")]
    assert (
        int(table.loc[convs, "params"].sum())
        == int(vgg16_table.loc[convs, "params"].sum())
        == 14_714_688
    )
    assert table.loc["global_pool", "output_shape"] == (512,)
    assert [table.loc[n, "params"] for n in ("fc6", "fc7", "fc8")] == [
        2_101_248,
        16_781_312,
        4_097_000,
    ]
    assert vgg16_table.loc["fc6", "params"] == 102_764_544
    del ten, two, table
    gc.collect()


def test_cifar_variant_shapes_macs_and_batch_norm():
    model = vgg_cifar()  # config A, width 16
    assert tuple(model.output.shape) == (None, 10)
    table = layer_table(model).set_index("name")
    assert table.loc["pool5", "output_shape"] == (1, 1, 128)  # 32 px halved five times
    # By hand: sum of H*W*C_out*3*3*C_in over the convolutions, plus the head's n_in*n_out.
    by_hand = (
        32 * 32 * 16 * 9 * 3 + 16 * 16 * 32 * 9 * 16 + 8 * 8 * 64 * 9 * 32 + 8 * 8 * 64 * 9 * 64
        + 4 * 4 * 128 * 9 * 64 + 4 * 4 * 128 * 9 * 128 + 2 * 2 * 128 * 9 * 128 * 2
        + 128 * 128 + 128 * 128 + 128 * 10
    )  # fmt: skip
    assert totals(table)["macs"] == by_hand == 9_913_600
    assert totals(table) == {
        "params": 613_498,
        "trainable": 612_122,
        "non_trainable": 1_376,
        "macs": 9_913_600,
    }
    assert table.loc["conv1_1", "formula"] == "3*3*3*16 = 432"  # no bias: batch norm shifts
    assert table.loc["conv1_1_bn", "type"] == "BatchNormalization"
    probabilities = np.asarray(model(np.zeros((2, 32, 32, 3), "float32"), training=False))
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_cifar_depth_setting_and_switches():
    deep = vgg_cifar("E", classes=4, batch_norm=False)
    names = [layer.name for layer in deep.layers]
    assert sum(n.startswith("conv") for n in names) == 16 and "conv5_4" in names
    assert not any(n.endswith("_bn") for n in names)
    assert tuple(deep.output.shape) == (None, 4) and deep.name == "vgg19_cifar_E"
    assert deep.get_layer("conv5_4").count_params() == (3 * 3 * 128 + 1) * 128
    wide = vgg_cifar("A", width=32)
    assert wide.get_layer("pool5").output.shape[-1] == 256  # 8 * width


def test_cifar_variant_saves_and_loads_with_lrn_and_batch_norm(tmp_path):
    model = vgg_cifar("A-LRN", width=8)
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    path = tmp_path / "vgg_cifar.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))
    assert [layer.name for layer in loaded.layers][1:4] == ["conv1_1", "conv1_1_bn", "conv1_1_relu"]
    assert type(loaded.get_layer("norm1")).__name__ == "LocalResponseNormalization"


# --- Arguments a learner would pass ----------------------------------------------------------


def test_numpy_integers_build_the_same_networks():
    model = vgg_cifar(
        width=np.int64(16),
        fc_units=np.int32(128),
        classes=np.int64(10),
        input_shape=np.array([32, 32, 3]),
    )
    assert model.count_params() == 613_498  # as vgg_cifar() above
    assert type(model.get_layer("conv1_1").filters) is int
    small = vgg("A", input_shape=(32, 32, 3), classes=np.int64(10))
    assert type(small.get_layer("fc8").units) is int
    # A's convolutions, then fc6 on pool5's 1x1x512, fc7 and fc8: no other change.
    convs = sum(layer.count_params() for layer in small.layers if layer.name.startswith("conv"))
    assert small.count_params() == convs + 513 * 4096 + 4097 * 4096 + 4097 * 10 == 28_144_010


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width": "16"}, "`width` must be an integer from 1 to 128. Received: width='16'"),
        ({"width": 16.0}, "`width` must be an integer from 1 to 128. Received: width=16.0"),
        ({"width": 10**6}, "`width` must be an integer from 1 to 128. Received: width=1000000"),
        (
            {"fc_units": 5000},
            "`fc_units` must be an integer from 1 to 4096. Received: fc_units=5000",
        ),
        ({"dropout": "0.3"}, "`dropout` must be a number in [0, 1). Received: dropout='0.3'"),
        ({"dropout": None}, "`dropout` must be a number in [0, 1). Received: dropout=None"),
        ({"batch_norm": "no"}, "`batch_norm` must be True or False. Received: batch_norm='no'"),
        ({"config": "a"}, "Received: config='a'"),
        ({"config": 11}, "Received: config=11"),
        ({"classifier_activation": "softmx"}, "Did you mean 'softmax' or 'log_softmax'?"),
        ({"classes": 1}, "A softmax over one output unit is always 1.0"),
        ({"input_shape": (1, 32, 32, 3)}, "without the batch dimension"),
        (
            {"input_shape": (3, 32, 32)},
            "The CIFAR VGG (A) needs an input of at least 32x32 "
            "pixels. The channels go last: (height, width, channels). Received: input_shape=(3, 32, 32)",
        ),
        ({"name": ""}, "Received: name=''"),
    ],
)
def test_cifar_wrong_values_get_the_packages_error(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        vgg_cifar(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"config": None}, "Received: config=None"),
        ({"classes": np.float64(1000)}, "`classes` must be an integer >= 1"),
        ({"classifier_activation": 1}, "Received: classifier_activation=1"),
        ({"input_shape": (None, None, 3)}, "VGG (D) needs a fixed input size"),
        ({"name": "vgg/16"}, "Received: name='vgg/16'"),
    ],
)
def test_wrong_values_get_the_packages_error(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        vgg(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"config": "F"}, "Received: config='F'"),
        ({"width": 0}, "`width` must be an integer >= 1. Received: width=0"),
        ({"batch_norm": "yes"}, "`batch_norm` must be True or False. Received: batch_norm='yes'"),
    ],
)
def test_the_stacks_refuse_a_bad_argument(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        conv_stacks(keras.Input((32, 32, 3)), **{"config": "A", **kwargs})

import re

import keras
import numpy as np
import pytest

from cnn_lessons import MODELS, references
from cnn_lessons.arithmetic import block_totals, compare_blocks, layer_table, totals
from cnn_lessons.googlenet import (
    CIFAR_TABLE,
    COLUMNS,
    TABLE_1,
    TABLE_1_ROWS,
    auxiliary_head,
    copied_inception_module,
    googlenet,
    googlenet_cifar,
    inception_module,
    inference_model,
    table1_row,
)

# Table 1 typed again from the paper (PAPERS.md), independently of cnn_lessons.googlenet, with
# each module's input channels: (in, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
PAPER_ROWS = {
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


def module_formula(c_in, n1, r3, n3, r5, n5, pool_proj):
    """Weights of one inception module, biases not counted."""
    return c_in * n1 + c_in * r3 + 3 * 3 * r3 * n3 + c_in * r5 + 5 * 5 * r5 * n5 + c_in * pool_proj


def aux_head_params(c_in, classes=1000, filters=128, units=1024, side=4):
    return (c_in + 1) * filters + (side * side * filters + 1) * units + (units + 1) * classes


@pytest.fixture(scope="module")
def model():
    return googlenet()


@pytest.fixture(scope="module")
def training_model():
    return googlenet(aux_heads=True)


@pytest.fixture(scope="module")
def image():
    """One smooth, image-like 224x224 RGB input (not white noise)."""
    rng = np.random.default_rng(0)
    coarse = rng.uniform(size=(1, 14, 14, 3)).astype("float32")
    return np.asarray(keras.ops.image.resize(coarse, (224, 224)))


def test_table_is_papers_table_one():
    assert {label: row[1:] for label, row in PAPER_ROWS.items()} == TABLE_1
    # each module's input is the previous module's output: 1x1 + 3x3 + 5x5 + pool proj
    labels = list(PAPER_ROWS)
    for before, after in zip(labels, labels[1:]):
        _, n1, _, n3, _, n5, pool_proj = PAPER_ROWS[before]
        assert PAPER_ROWS[after][0] == n1 + n3 + n5 + pool_proj


def test_exact_parameter_counts(model, training_model):
    assert model.count_params() == 6_998_552
    assert training_model.count_params() == 13_378_280
    heads = {
        head: sum(
            layer.count_params() for layer in training_model.layers if layer.name.startswith(head)
        )
        for head in ("aux1", "aux2")
    }
    assert heads == {"aux1": aux_head_params(512), "aux2": aux_head_params(528)}
    assert heads == {"aux1": 3_188_840, "aux2": 3_190_888}
    assert 6_998_552 + sum(heads.values()) == 13_378_280
    assert googlenet(lrn=False).count_params() == 6_998_552  # LRN has no parameters
    assert totals(layer_table(model))["params"] == 6_998_552


def test_lrn_switch_and_stem_order(model):
    stem = ["input", "conv1", "pool1", "lrn1", "conv2_reduce", "conv2", "lrn2", "pool2"]
    assert [layer.name for layer in model.layers[:8]] == stem
    for before, after in zip(stem, stem[1:]):  # a chain: each layer reads the one before
        assert model.get_layer(after).input is model.get_layer(before).output
    assert not any("lrn" in layer.name for layer in googlenet(lrn=False).layers)


def test_stage_output_shapes_match_table_one(model):
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    expected = {
        "conv1": (112, 112, 64), "pool1": (56, 56, 64), "conv2": (56, 56, 192),
        "pool2": (28, 28, 192), "inception_3a_concat": (28, 28, 256),
        "inception_3b_concat": (28, 28, 480), "pool3": (14, 14, 480),
        "inception_4a_concat": (14, 14, 512), "inception_4b_concat": (14, 14, 512),
        "inception_4c_concat": (14, 14, 512), "inception_4d_concat": (14, 14, 528),
        "inception_4e_concat": (14, 14, 832), "pool4": (7, 7, 832),
        "inception_5a_concat": (7, 7, 832), "inception_5b_concat": (7, 7, 1024),
        "avg_pool": (1, 1, 1024), "dropout": (1024,), "linear": (1000,),
    }  # fmt: skip
    assert {name: shapes[name] for name in expected} == expected
    assert model.get_layer("dropout").rate == 0.4


def test_module_layer_names_and_kernels(model):
    names = [layer.name for layer in model.layers if layer.name.startswith("inception_3a")]
    assert sorted(names) == sorted(
        f"inception_3a_{part}"
        for part in ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj", "concat")
    )
    convs = [n for n in names if "pool" not in n and "concat" not in n]
    kernels = {n: model.get_layer(n).kernel_size for n in convs}
    assert kernels == {
        "inception_3a_1x1": (1, 1), "inception_3a_3x3_reduce": (1, 1), "inception_3a_3x3": (3, 3),
        "inception_3a_5x5_reduce": (1, 1), "inception_3a_5x5": (5, 5),
    }  # fmt: skip
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 3 + 9 * 6
    assert all(layer.activation is keras.activations.relu for layer in convs)


def module_weights(model):
    """Weights (biases not counted) per row of Table 1, as the paper counts them."""
    return block_totals(model, table1_row)["weights"].to_dict()


def test_module_weights_are_our_computed_column(model):
    expected = {"conv1": 7 * 7 * 3 * 64, "conv2": 64 * 64 + 3 * 3 * 64 * 192}
    expected.update({label: module_formula(*row) for label, row in PAPER_ROWS.items()})
    expected["linear"] = 1024 * 1000
    assert module_weights(model) == expected
    assert list(module_weights(model)) == list(TABLE_1_ROWS)
    in_k = {row: round(weights / 1024, 1) for row, weights in module_weights(model).items()}
    assert in_k == {
        "conv1": 9.2, "conv2": 112.0, "3a": 159.5, "3b": 379.0, "4a": 366.8, "4b": 438.0,
        "4c": 497.5, "4d": 590.5, "4e": 847.0, "5a": 1018.0, "5b": 1409.0, "linear": 1000.0,
    }  # fmt: skip
    # the auxiliary heads are not in Table 1's column
    assert module_weights(googlenet(aux_heads=True)) == expected


def table1_comparison(model):
    paper = references.GOOGLENET
    return compare_blocks(
        model, table1_row, paper["table1_params_k"], paper["table1_ops_m"], ("K", paper["k"])
    )


def test_table_one_comparison_finds_the_papers_inconsistent_rows(model):
    comparison = table1_comparison(model)
    # the notebook's table, to the digit
    assert comparison.to_dict("list") == {
        "row": ["conv1", "conv2", "3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b", "linear"],
        "weights": [
            9408, 114688, 163328, 388096, 375552, 448512, 509440, 604672, 867328, 1042432,
            1442816, 1024000,
        ],
        "params_K": [
            9.2, 112.0, 159.5, 379.0, 366.8, 438.0, 497.5, 590.5, 847.0, 1018.0, 1409.0, 1000.0,
        ],
        "paper_params_K": [2.7, 112, 159, 380, 364, 437, 463, 580, 840, 1072, 1388, 1000],
        "difference_K": [6.5, 0.0, 0.5, -1.0, 2.8, 1.0, 34.5, 10.5, 7.0, -54.0, 21.0, 0.0],
        "MACs_M": [118.0, 359.7, 128.0, 304.3, 73.6, 87.9, 99.9, 118.5, 170.0, 51.1, 70.7, 1.0],
        "paper_ops_M": [34, 360, 128, 304, 73, 88, 100, 119, 170, 54, 71, 1],
    }  # fmt: skip
    table = comparison.set_index("row")
    assert list(table.index) == list(references.GOOGLENET["table1_params_k"])
    relative = (table["difference_K"] / table["paper_params_K"]).abs()
    assert sorted(relative[relative > 0.03].index) == ["4c", "5a", "conv1"]
    # The ops column agrees with our MACs to rounding except where the params column is off too:
    # conv1's and 5a's ops were computed from the wrong params; 4c's ops (100M) match 497.5K, so
    # its 463K is a slip in the params column alone.
    off = (table["MACs_M"] - table["paper_ops_M"]).abs()
    assert sorted(off[off > 1].index) == ["5a", "conv1"]
    assert table.loc["4c", "MACs_M"] == pytest.approx(100, abs=0.5)


def test_total_macs_against_the_papers_budget(model):
    macs = totals(layer_table(model))["macs"]
    assert macs == 1_582_671_872
    assert sum(references.GOOGLENET["table1_ops_m"].values()) == 1502  # the paper's 1.5 billion
    # ours exceeds it by conv1's row: 118M computed against the table's 34M
    conv1 = 112 * 112 * 64 * 7 * 7 * 3
    assert layer_table(model).set_index("name").loc["conv1", "macs"] == conv1 == 118_013_952
    assert abs(macs - conv1 + 34e6 - references.GOOGLENET["multiply_adds"]) < 0.01e9


def test_torchvision_count_is_explained_by_its_two_changes(model):
    # batch norm (2 per channel) instead of conv biases (1 per channel), 3x3 in the "5x5" branch
    count = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            if layer.name.endswith("_5x5"):
                kh = kw = 3
            count += kh * kw * c_in * c_out + 2 * c_out
        elif isinstance(layer, keras.layers.Dense):
            count += layer.count_params()
    assert count == references.TORCHVISION_GOOGLENET["params"]


def test_pool_branch_pools_first_then_projects(model):
    pool, proj = model.get_layer("inception_3a_pool"), model.get_layer("inception_3a_pool_proj")
    assert isinstance(pool, keras.layers.MaxPooling2D)
    assert (pool.pool_size, pool.strides, pool.padding) == ((3, 3), (1, 1), "same")
    assert pool.input is model.get_layer("pool2").output  # the module's input goes to the pool
    assert proj.input is pool.output  # and the projection reads the pooled map
    assert proj.kernel_size == (1, 1) and proj.filters == 32


def _one_module(module, shape=(16, 16, 48)):
    inputs = keras.Input(shape, name="input")
    return keras.Model(inputs, module(inputs, *CIFAR_TABLE["3a"], name="inception_3a"))


def test_pool_branch_against_a_numpy_oracle_and_the_copied_module():
    ours, copied = _one_module(inception_module), _one_module(copied_inception_module)
    assert sorted(x.name for x in ours.layers) == sorted(x.name for x in copied.layers)
    for layer in ours.layers:  # the same weights, layer by layer
        copied.get_layer(layer.name).set_weights(layer.get_weights())
    rng = np.random.default_rng(1)
    coarse = rng.uniform(size=(2, 4, 4, 48)).astype("float32")  # smooth maps, like features
    x = np.asarray(keras.ops.image.resize(coarse, (16, 16)))
    x = x + 0.05 * rng.normal(size=x.shape).astype("float32")
    # the oracle: 3x3 max pool, stride 1, padding that never wins a max; then 1x1 conv and ReLU
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    pooled = np.max([padded[:, i : i + 16, j : j + 16] for i in range(3) for j in range(3)], axis=0)
    kernel, bias = ours.get_layer("inception_3a_pool_proj").get_weights()
    oracle = np.maximum(pooled @ kernel[0, 0] + bias, 0)
    got, wrong = np.asarray(ours(x)), np.asarray(copied(x))
    np.testing.assert_allclose(got[..., -8:], oracle, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[..., :-8], wrong[..., :-8])  # the other branches agree
    assert np.abs(got[..., -8:] - wrong[..., -8:]).max() > 0.05  # the pool branch does not
    # copied: the projection reads the module's input, the pool reads the projection
    pool, proj = copied.get_layer("inception_3a_pool"), copied.get_layer("inception_3a_pool_proj")
    assert proj.input is copied.inputs[0] and pool.input is proj.output


def test_aux_heads_shapes_names_and_loss_weights(training_model):
    assert [tuple(output.shape) for output in training_model.outputs] == [(None, 1000)] * 3
    assert training_model.output_names == ["linear", "aux1_linear", "aux2_linear"]
    for head, module in (("aux1", "inception_4a_concat"), ("aux2", "inception_4d_concat")):
        pool = training_model.get_layer(f"{head}_pool")
        assert pool.input is training_model.get_layer(module).output
        assert (pool.pool_size, pool.strides, pool.padding) == ((5, 5), (3, 3), "valid")
        channels = training_model.get_layer(module).output.shape[-1]
        assert tuple(pool.output.shape[1:]) == (4, 4, channels)
        assert training_model.get_layer(f"{head}_conv").filters == 128
        assert training_model.get_layer(f"{head}_fc").units == 1024
        assert training_model.get_layer(f"{head}_dropout").rate == 0.7


def test_inference_model_shares_the_training_models_weights(training_model, image):
    inference = inference_model(training_model)
    assert inference.count_params() == 6_998_552
    assert not any(layer.name.startswith("aux") for layer in inference.layers)
    training_ids = {id(variable) for variable in training_model.weights}
    assert all(id(variable) in training_ids for variable in inference.weights)
    main_output = np.asarray(training_model(image)[0])
    np.testing.assert_array_equal(np.asarray(inference(image)), main_output)


def test_paper_model_round_trips_through_saving(tmp_path, model, image):
    path = tmp_path / "googlenet.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(model(image)), np.asarray(loaded(image)))


def test_cifar_variant_round_trips_with_its_aux_head(tmp_path):
    model = googlenet_cifar(aux_heads=True)
    x = np.random.default_rng(3).uniform(size=(4, 32, 32, 3)).astype("float32")
    model.save(tmp_path / "cifar.keras")
    loaded = keras.models.load_model(tmp_path / "cifar.keras")
    for ours, theirs in zip(model(x), loaded(x)):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    np.testing.assert_array_equal(
        np.asarray(inference_model(model)(x)), np.asarray(inference_model(loaded)(x))
    )


def test_convolutions_are_he_initialized_and_each_draws_its_own_kernel():
    """Variance 2 / fan-in (Keras's "he_normal": truncated at two standard deviations and widened
    to make up for it), the ReLU scaling chapter 4 chose on validation."""
    model = googlenet_cifar()
    for name in ("conv1", "inception_3a_3x3", "inception_4c_5x5_reduce"):
        kernel = model.get_layer(name).get_weights()[0]
        fan_in = np.prod(kernel.shape[:-1])
        assert kernel.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.1), name
    first, second = (
        model.get_layer(f"inception_{n}_pool_proj").get_weights()[0] for n in ("4b", "4c")
    )
    assert first.shape == second.shape == (1, 1, 128, 16)
    assert not np.array_equal(first, second)


def test_cifar_variant_counts_shapes_and_macs():
    model = googlenet_cifar()
    assert model.count_params() == 121_178
    aux = aux_head_params(128, classes=10, filters=32, units=256, side=2)  # on 4a: 8x8x128
    assert googlenet_cifar(aux_heads=True).count_params() == 121_178 + aux == 160_900
    assert totals(layer_table(model))["macs"] == 15_485_184
    # Table 1 at a quarter width; the stem's 48 maps are the paper's 192 // 4 as well
    quarter = {
        label: tuple(w // 4 for w in PAPER_ROWS[label]) for label in ("3a", "3b", "4a", "4b", "4c")
    }
    expected = {"conv1": 3 * 3 * 3 * 48, "linear": 128 * 10}
    expected.update({label: module_formula(*row) for label, row in quarter.items()})
    assert module_weights(model) == expected
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    stages = ("pool1", "inception_3b_concat", "pool3", "inception_4c_concat")
    assert [shapes[n] for n in stages] == [(16, 16, 48), (16, 16, 120), (8, 8, 120), (8, 8, 128)]


def test_registered_models():
    assert {"googlenet", "googlenet_aux", "googlenet_cifar", "googlenet_cifar_aux"} <= set(MODELS)
    assert len(MODELS["googlenet_cifar_aux"]().outputs) == 2


@pytest.mark.parametrize(
    "builder, kwargs, message",
    [
        (googlenet, {"input_shape": (192, 192, 3)}, "at least 193x193"),
        (googlenet, {"input_shape": (224, 224)}, "(height, width, channels)"),
        (googlenet, {"classes": 0}, "classes=0"),
        (googlenet, {"aux_heads": "yes"}, "aux_heads='yes'"),
        (googlenet, {"lrn": None}, "lrn=None"),
        (googlenet_cifar, {"input_shape": (16, 16, 3)}, "at least 17x17"),
        (googlenet_cifar, {"classes": -1}, "classes=-1"),
    ],
)
def test_bad_arguments_raise_value_error_with_what_was_received(builder, kwargs, message):
    with pytest.raises(ValueError, match="Received") as error:
        builder(**kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize("module", [inception_module, copied_inception_module])
@pytest.mark.parametrize(
    "widths", [(64, 96, 128, 16, 32, 0), (64, 96, -1, 16, 32, 32), (64, 96, 128.5, 16, 32, 32)]
)
def test_a_module_row_with_a_bad_width_is_refused(module, widths):
    inputs = keras.Input((28, 28, 192))
    with pytest.raises(ValueError, match="Received") as error:
        module(inputs, *widths, name="inception_3a")
    assert "inception_3a" in str(error.value)
    received = ", ".join(f"{c}={w!r}" for c, w in zip(COLUMNS, widths))
    assert f"Received: ({received})" in str(error.value)


# --- Arguments a learner would pass ----------------------------------------------------------


def test_numpy_integers_and_bools_build_the_same_networks():
    model = googlenet_cifar(
        aux_heads=np.bool_(True), input_shape=np.array([32, 32, 3]), classes=np.int64(10)
    )
    assert model.count_params() == 160_900  # as googlenet_cifar(aux_heads=True)
    assert len(model.outputs) == 2 and type(model.get_layer("aux1_linear").units) is int
    inputs = keras.Input((28, 28, 192))
    row = np.array(PAPER_ROWS["3a"][1:])  # NumPy integers, as read from an array
    module = keras.Model(inputs, inception_module(inputs, *row, name="inception_3a"))
    assert module.count_params() == module_formula(*PAPER_ROWS["3a"]) + sum(TABLE_1["3a"])
    assert type(module.get_layer("inception_3a_1x1").filters) is int


@pytest.mark.parametrize(
    "builder, kwargs, message",
    [
        (
            googlenet,
            {"aux_heads": "no"},
            "`aux_heads` must be True or False. Received: aux_heads='no'",
        ),
        (googlenet, {"aux_heads": 1}, "`aux_heads` must be True or False. Received: aux_heads=1"),
        (googlenet, {"lrn": "yes"}, "`lrn` must be True or False. Received: lrn='yes'"),
        (
            googlenet,
            {"classifier_activation": "softmx"},
            "Received: classifier_activation='softmx'",
        ),
        (googlenet, {"classes": 1}, "A softmax over one output unit is always 1.0"),
        (googlenet, {"name": ""}, "Received: name=''"),
        (
            googlenet,
            {"input_shape": (3, 224, 224)},
            "GoogLeNet needs an input of at least 193x193 "
            "pixels. The channels go last: (height, width, channels). Received: input_shape=(3, 224, 224)",
        ),
        (
            googlenet_cifar,
            {"aux_heads": None},
            "`aux_heads` must be True or False. Received: aux_heads=None",
        ),
        (
            googlenet_cifar,
            {"classes": 10.0},
            "`classes` must be an integer >= 1. Received: classes=10.0",
        ),
        (googlenet_cifar, {"classifier_activation": 0}, "Received: classifier_activation=0"),
        (
            googlenet_cifar,
            {"input_shape": (None, None, 3)},
            "The CIFAR GoogLeNet needs a fixed input size",
        ),
        (googlenet_cifar, {"input_shape": (8, 32, 32, 3)}, "without the batch dimension"),
    ],
)
def test_wrong_values_get_the_packages_error(builder, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        builder(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": 0}, "`filters` must be an integer >= 1. Received: filters=0"),
        ({"units": 1024.0}, "`units` must be an integer >= 1. Received: units=1024.0"),
        ({"classes": "10"}, "`classes` must be an integer >= 1. Received: classes='10'"),
        ({"classifier_activation": "softmaxx"}, "Did you mean 'softmax'"),
    ],
)
def test_an_auxiliary_head_with_a_bad_argument_is_refused(kwargs, message):
    inputs = keras.Input((14, 14, 512))
    with pytest.raises(ValueError, match=re.escape(message)):
        auxiliary_head(inputs, "aux1", **{"classes": 10, **kwargs})

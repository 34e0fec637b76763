import json

import keras
import numpy as np
import pytest

from cnn_lessons import alexnet, experiments
from cnn_lessons.cli import main


@pytest.mark.parametrize("initializer", ["paper", "glorot"])
def test_figure1_network_has_four_weighted_layers_and_the_counted_parameters(initializer):
    model = alexnet.figure1_network("tanh", initializer)
    # conv 5x5: 3->32, 32->32, 32->64; 3x3/2 pools 32 -> 16 -> 8 -> 4; dense 4*4*64 -> 10
    weighted = [layer for layer in model.layers if layer.weights]
    assert [layer.name for layer in weighted] == ["conv1", "conv2", "conv3", "output"]
    assert model.count_params() == (75 * 32 + 32) + (800 * 32 + 32) + (800 * 64 + 64) + (
        1024 * 10 + 10
    )
    assert model.count_params() == 89_578
    assert model.get_layer("conv2").activation is keras.activations.tanh


def test_figure1_networks_paper_initialization_is_a_gaussian_of_0_01():
    kernel = alexnet.figure1_network("relu", "paper").get_layer("conv3").get_weights()[0]
    assert abs(kernel.mean()) < 1e-3 and kernel.std() == pytest.approx(0.01, rel=0.05)
    glorot = alexnet.figure1_network("relu", "glorot").get_layer("conv3").get_weights()[0]
    assert glorot.std() == pytest.approx(np.sqrt(2 / (800 + 1600)), rel=0.05)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "sigmoid"}, "Received: activation='sigmoid'"),
        ({"initializer": "he"}, "Received: initializer='he'"),
        ({"input_shape": (4, 4, 3)}, "at least 8x8"),
    ],
)
def test_figure1_network_refuses_what_it_does_not_build(kwargs, message):
    with pytest.raises(ValueError, match=message):
        alexnet.figure1_network(**kwargs)


def test_paper_inputs_are_raw_pixels_less_the_mean_image():
    x = np.stack([np.zeros((2, 2, 3)), np.ones((2, 2, 3))]).astype("float32")
    np.testing.assert_allclose(
        experiments.paper_inputs(x), [-127.5 * np.ones((2, 2, 3)), 127.5 * np.ones((2, 2, 3))]
    )


def test_epochs_to_and_fastest_follow_the_papers_rule():
    assert experiments.epochs_to([0.9, 0.5, 0.25, 0.1]) == 3
    assert experiments.epochs_to([0.9, 0.5]) is None
    curves = {
        "paper/relu/0.001": [0.6, 0.3, 0.2],  # reaches 25 % in epoch 3
        "paper/relu/0.003": [0.5, 0.24, 0.1],  # in epoch 2: the fastest
        "paper/tanh/0.01": [0.8, 0.6, 0.4],  # never: ranked by the last error
        "paper/tanh/0.02": [0.8, 0.7, 0.5],
    }
    assert experiments.fastest(curves, "paper", "relu") == ("paper/relu/0.003", 2)
    assert experiments.fastest(curves, "paper", "tanh") == ("paper/tanh/0.01", None)
    with pytest.raises(ValueError, match="No curve for glorot/relu"):
        experiments.fastest(curves, "glorot", "relu")


def test_last_quarter_and_share_above():
    mean, error = experiments.last_quarter([1.0] * 6 + [0.0, 1.0])
    assert mean == 0.5 and error == pytest.approx(0.5)
    assert experiments.share_above([0.9] * 10, [0.5] * 10, window=2) == 1.0
    assert experiments.share_above([0.9] * 5 + [0.1] * 5, [0.5] * 10, window=1) == 0.5


def test_below_from_is_where_one_curve_passes_the_other_for_good():
    assert experiments.below_from([0.9, 0.1, 0.9, 0.1, 0.1], [0.5] * 5, window=1) == 4
    assert experiments.below_from([0.1] * 3, [0.5] * 3, window=1) == 1
    assert experiments.below_from([0.1, 0.9], [0.5] * 2, window=1) is None
    # windows of 2: means 0.9, 0.5, 0.1 against 0.5 throughout; 0.5 is not below 0.5
    assert experiments.below_from([0.9, 0.1, 0.1], [0.5] * 3, window=2) == 3


def test_a_run_records_its_curves_command_code_machine_and_time(cifar10_dir, tmp_path):
    result = experiments.run("relu_tanh", "quick", data_dir=cifar10_dir, verbose=False,
                             n_images=256, epochs=2)  # fmt: skip
    assert set(result["curves"]) == {"paper/relu/0.001", "paper/tanh/0.01"}
    assert all(
        len(curve) == 2 and all(0 <= e <= 1 for e in curve) for curve in result["curves"].values()
    )
    # the command line has no flags for the overrides: the record is the call that repeats it
    assert result["command"] == "experiments.run('relu_tanh', 'quick', n_images=256, epochs=2)"
    assert result["settings"]["n_images"] == 256 and result["machine"]["precision"] == "float32"
    assert result["code_version"] and result["wall_seconds"] > 0 and result["date"].startswith("20")
    path = experiments.save(result, tmp_path)
    assert path.name == "relu_tanh_quick.json" and json.loads(path.read_text()) == result
    assert [p.name for p in tmp_path.iterdir()] == ["relu_tanh_quick.json"]  # no temporary left


def test_the_chapters_precision_is_put_back_after_a_run(cifar10_dir):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    experiments.run("relu_tanh", "quick", data_dir=cifar10_dir, verbose=False, n_images=128, epochs=1,
                    conditions=("glorot",), rates={"glorot": {"relu": (0.01,), "tanh": (0.01,)}})  # fmt: skip
    assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"


def test_unknown_experiments_and_missing_results_say_what_to_do(tmp_path):
    with pytest.raises(
        ValueError,
        match="choose one of relu_tanh, regularization, vgg_depth, degradation, resnet_depth. Received: name='relu'",
    ):
        experiments.get("relu")
    with pytest.raises(ValueError, match="Received: size='huge'"):
        experiments.get("relu_tanh").settings("huge")
    with pytest.raises(FileNotFoundError, match="run `cnn-lessons experiment degradation`"):
        experiments.load("degradation", tmp_path)


def test_the_command_writes_the_result_where_it_is_told(cifar10_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNN_LESSONS_DATA", str(cifar10_dir))
    assert main(["experiment", "relu_tanh", "--size", "quick", "--output-dir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "relu_tanh_quick.json").read_text())
    assert result["settings"] == experiments._jsonable(
        experiments.get("relu_tanh").settings("quick")
    )
    assert "saved" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["experiment", "relu"])
    assert stop.value.code == 2


@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_each_committed_long_result_is_the_long_run_of_the_code(name):
    result = experiments.load(name)
    assert result["size"] == "long" and result["command"] == f"cnn-lessons experiment {name}"
    assert result["settings"] == experiments._jsonable(experiments.get(name).settings("long"))
    assert not result["code_version"].endswith("+changes")  # a commit a reader can check out
    assert set(result["curves"]) == set(result["seconds"])


def test_held_out_accuracy_is_the_last_quarters_mean_with_its_binomial_error():
    mean, error = experiments.held_out_accuracy([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.4, 0.6], 100)
    assert mean == pytest.approx(0.5) and error == pytest.approx(0.05)  # sqrt(0.25 / 100)
    assert experiments.held_out_accuracy([0.3], 10)[0] == pytest.approx(0.3)


def test_a_regularization_run_measures_each_arm_on_held_out_training_images(cifar10_dir):
    result = experiments.run("regularization", "quick", data_dir=cifar10_dir, verbose=False,
                             n_images=128, n_held=64, epochs=2, arms=("none", "dropout"))  # fmt: skip
    assert set(result["curves"]) == set(result["final_train"]) == {"none", "dropout"}
    for curves in result["curves"].values():
        assert [len(curves[key]) for key in ("train", "held_out", "held_out_loss")] == [2, 2, 2]
        # 64 held-out images: every accuracy is a multiple of 1/64
        assert all(abs(a * 64 - round(a * 64)) < 1e-3 for a in curves["held_out"])
    with pytest.raises(ValueError, match="Received: arm='mixup'"):
        experiments.regularization(128, 64, 1, arms=("mixup",), data_dir=cifar10_dir)


def test_the_gap_table_reads_a_regularization_result():
    result = {
        "settings": {"n_held": 100},
        "final_train": {"none": 1.0, "dropout": 0.9},
        "curves": {
            "none": {"train": [0.5, 1.0], "held_out": [0.4, 0.5], "held_out_loss": [2.0, 3.0]},
            "dropout": {"train": [0.4, 0.8], "held_out": [0.5, 0.6], "held_out_loss": [2.0, 1.5]},
        },
    }
    table = experiments.gap_table(result)
    assert table.loc["none"].tolist() == [100.0, 50.0, 5.0, 50.0, 3.0]
    assert table.loc["dropout", "gap (points)"] == 30.0  # 90 % - 60 %, the last quarter's mean
    assert list(experiments.gap_table(result, ["dropout"]).index) == ["dropout"]


def test_the_layers_e_takes_from_a_exist_in_both_columns_with_the_same_shapes():
    from cnn_lessons import vgg

    shallow, deep = vgg.vgg_cifar("A", batch_norm=False), vgg.vgg_cifar("E", batch_norm=False)
    for name in experiments.FROM_A:
        assert [w.shape for w in shallow.get_layer(name).weights] == [
            w.shape for w in deep.get_layer(name).weights
        ]
    # the paper's count: four convolutions and the three fully connected layers
    assert sum(name.startswith("conv") for name in experiments.FROM_A) == 4


def test_a_vgg_depth_run_trains_a_before_e_from_its_layers(cifar10_dir):
    result = experiments.run("vgg_depth", "quick", data_dir=cifar10_dir, verbose=False,
                             n_images=64, n_held=32, epochs=1, arms=("E from A", "A"))  # fmt: skip
    assert list(result["curves"]) == ["A", "E from A"]
    assert all(len(curves["held_out"]) == 1 for curves in result["curves"].values())
    with pytest.raises(ValueError, match="add the arm 'A'. Received: arms=\\['E from A'\\]"):
        experiments.vgg_depth(64, 32, 1, arms=("E from A",), data_dir=cifar10_dir)
    with pytest.raises(ValueError, match="Received: arm='F'"):
        experiments.vgg_depth(64, 32, 1, arms=("F",), data_dir=cifar10_dir)


def test_the_dropout_arm_builds_the_network_at_the_rate_asked(cifar10_dir, monkeypatch):
    built, build = [], alexnet.alexnet_cifar

    def recording(**kwargs):
        built.append(kwargs["dropout"])
        return build(**kwargs)

    monkeypatch.setattr(alexnet, "alexnet_cifar", recording)
    experiments.regularization(64, 32, 1, arms=("none", "dropout"), dropout=0.8,
                               data_dir=cifar10_dir, verbose=False)  # fmt: skip
    assert built == [0.0, 0.8]


def test_the_depth_table_reads_a_vgg_depth_result():
    result = {
        "settings": {"n_held": 100},
        "curves": {
            "A": {"train": [0.3, 0.6], "held_out": [0.3, 0.5]},
            "E from A": {"train": [0.4, 0.5], "held_out": [0.45, 0.4]},
        },
    }
    table = experiments.depth_table(result)
    assert list(table.index) == ["A", "E from A"]
    assert table.loc["A"].tolist() == [60.0, 30.0, 50.0, 5.0]
    assert table.loc["E from A", "held-out % (first epoch)"] == 45.0


def test_e_starts_only_from_layers_a_has(cifar10_dir):
    with pytest.raises(ValueError, match="Received: from_a=\\('conv1_2',\\)"):
        experiments.vgg_depth(64, 32, 1, arms=("A", "E from A"), from_a=("conv1_2",),
                              data_dir=cifar10_dir)  # fmt: skip


def test_the_degradation_runs_only_the_networks_it_is_asked_for(cifar10_dir):
    for networks in ("ResNet", ("ResNet",)):  # one name, or several
        result = experiments.degradation(64, 1, depths=(8,), networks=networks, flip=True,
                                         shift=4, data_dir=cifar10_dir, verbose=False)  # fmt: skip
        assert set(result["curves"]) == {"ResNet-8"} and len(result["curves"]["ResNet-8"]) == 2
    with pytest.raises(ValueError, match="Received: networks='resnet'"):
        experiments.degradation(64, 1, networks=("resnet",), data_dir=cifar10_dir)

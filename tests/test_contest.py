"""Chapter 6: the papers' numbers as published, where the networks spend parameters and MACs,
what came after, and the contest's harness (speed probe, budgets, runs, summary, noise)."""

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cnn_lessons import MODELS, compare_plots, contest, course, data, references, training

SHOWN = {  # (network, kind): (top1, top5, test_top5), fractions, as the papers print them
    ("AlexNet", "single"): (0.407, 0.182, None),
    ("AlexNet", "ensemble"): (0.381, 0.164, 0.164),
    ("VGG", "single"): (0.244, 0.072, None),
    ("VGG", "ensemble"): (0.237, 0.068, 0.068),
    ("GoogLeNet", "single"): (None, 0.0789, None),
    ("GoogLeNet", "ensemble"): (None, 0.0667, 0.0667),
    ("ResNet", "single"): (0.2074, 0.0525, None),
    ("ResNet", "ensemble"): (None, None, 0.0357),
}


# --- The papers' numbers ---------------------------------------------------------------------
def test_each_paper_has_a_single_model_and_an_ensemble_with_its_source():
    rows = references.IMAGENET_ERRORS
    for row in rows:
        assert row["kind"] in ("single", "ensemble") and row["network"] in contest.LABELS[1:]
        assert row["source"] and row["entry"] and row["evaluation"]
        for key in ("top1", "top5", "test_top5"):
            assert row[key] is None or 0 < row[key] < 1, (row["entry"], key)
        assert row["model"] is None or row["model"] in MODELS
    shown = {(n, k): contest._published(n, k) for n, k in SHOWN}
    assert {key: (r["top1"], r["top5"], r["test_top5"]) for key, r in shown.items()} == SHOWN
    # an ensemble of a paper beats its single model, on every number both publish
    for label in contest.LABELS[1:]:
        single, ensemble = shown[label, "single"], shown[label, "ensemble"]
        for key in ("top1", "top5"):
            if single[key] is not None and ensemble[key] is not None:
                assert ensemble[key] < single[key]


def test_the_new_rows_agree_with_the_numbers_the_chapters_already_quote():
    by_entry = {row["entry"]: row for row in references.IMAGENET_ERRORS}
    winning = by_entry["7 CNNs*, two pre-trained on ImageNet Fall 2011"]["test_top5"]
    assert winning == references.ALEXNET["ilsvrc2012_top5_error"]["alexnet"] == 0.153
    submission = by_entry["ILSVRC-2014 submission, 7 nets"]["test_top5"]
    assert submission == references.VGG["ilsvrc2014_top5_error"] == 0.073
    assert by_entry["7 models, 144 crops"]["test_top5"] == references.GOOGLENET["top5_error"]
    resnet = by_entry["6 models of different depths"]["test_top5"]
    assert round(100 * resnet, 2) == references.RESNET["ilsvrc2015_top5_error"] == 3.57


@pytest.fixture(scope="module")
def tables():
    return contest.paper_tables()


def test_paper_table_counts_each_network_as_published(tables):
    papers = contest.paper_table(tables)
    assert list(papers.index) == ["LeNet-5", "AlexNet", "VGG", "GoogLeNet", "ResNet"]
    assert list(papers["params"]) == [60_840, 60_965_224, 138_357_544, 6_998_552, 25_610_152]
    assert list(papers["MACs"]) == [
        328_096, 724_406_816, 15_470_264_320, 1_582_671_872, 3_857_973_248
    ]  # fmt: skip
    assert list(papers["counted"]) == [
        "lenet5 at 32x32x1", "alexnet at 227x227x3", "vgg16 at 224x224x3",
        "googlenet at 224x224x3", "resnet50 at 224x224x3",
    ]  # fmt: skip
    assert list(papers["year"]) == [1998, 2012, 2014, 2014, 2015]
    assert papers.loc["AlexNet", "single top-5 %"] == 18.2
    assert papers.loc["ResNet", "ensemble top-5 % (test)"] == 3.57
    assert math.isnan(papers.loc["GoogLeNet", "single top-1 %"])  # not published
    assert papers.loc["LeNet-5", "note"].startswith(
        "no ImageNet result (1998): MNIST test error 0.95%"
    )
    assert "Table 2" in papers.loc["AlexNet", "note"]


def test_spending_shares_of_parameters_and_macs(tables):
    shares = contest.spending(tables)
    alexnet = shares.loc["AlexNet"]
    fc = 37_752_832 + 16_781_312 + 4_097_000  # fc6, fc7, fc8
    assert alexnet["params in FC %"] == round(100 * fc / 60_965_224, 1) == 96.2
    assert (alexnet["largest layer"], alexnet["its params %"]) == ("fc6", 61.9)
    fc_macs = 9_216 * 4_096 + 4_096 * 4_096 + 4_096 * 1_000
    assert alexnet["MACs in FC %"] == round(100 * fc_macs / 724_406_816, 1) == 8.1
    assert alexnet["MACs in conv %"] == 91.9
    assert shares.loc["ResNet", "params in FC %"] == round(100 * 2_049_000 / 25_610_152, 1) == 8.0
    assert shares.loc["VGG", "largest layer"] == "fc6"
    assert shares.loc["ResNet", "MACs per param"] == round(3_857_973_248 / 25_610_152, 1)
    with pytest.raises(ValueError, match=r"layer tables of the five networks.*Received: \['VGG'\]"):
        contest.spending({"VGG": tables["VGG"]})


def test_a_depthwise_separable_convolution_against_a_standard_one():
    kinds = contest.convolution_kinds(size=14, channels=256, kernel=3)
    by_layer = kinds.set_index("layer")
    assert by_layer.loc["conv", "params"] == 3 * 3 * 256 * 256 == 589_824
    assert by_layer.loc["conv", "MACs"] == 14 * 14 * 589_824 == 115_605_504
    assert by_layer.loc["depthwise", "params"] == 3 * 3 * 256 == 2_304
    assert by_layer.loc["pointwise", "params"] == 256 * 256 == 65_536
    assert by_layer.loc["separable", "params"] == 2_304 + 65_536 == 67_840
    assert by_layer.loc["separable", "MACs"] == 14 * 14 * 67_840 == 13_296_640
    pair = kinds[kinds["kind"] == "depthwise + pointwise"]
    assert pair["params"].sum() == 67_840 and pair["MACs"].sum() == 13_296_640
    with pytest.raises(
        ValueError, match=r"`channels` must be an integer >= 1. Received: channels=0"
    ):
        contest.convolution_kinds(channels=0)


def test_vit_b16_by_hand_matches_torchvision():
    # torchvision.models.vit_b_16: num_params 86,567,656, "GFLOPS" (multiply-adds) 17.56
    vit = contest.vit_counts()
    assert vit["params"].sum() == 86_567_656
    assert round(vit["MACs"].sum() / 1e9, 2) == 17.56
    # a bigger image changes only the position embeddings (and every MAC count)
    bigger = contest.vit_counts(image_size=384)
    assert bigger["params"].sum() - vit["params"].sum() == (577 - 197) * 768
    with pytest.raises(ValueError, match="multiple of `patch`. Received: image_size=225, patch=16"):
        contest.vit_counts(image_size=225)


def test_later_networks_are_counted_by_the_same_rules(tables):
    later = contest.later_networks(contest.later_tables(), tables["ResNet"])
    assert list(later.index) == ["ResNet-50", "ResNet-50 v2", "DenseNet-121", "MobileNetV2",
                                 "ViT-B/16"]  # fmt: skip
    assert later.loc["DenseNet-121", "params"] == 8_062_504  # keras.applications' count
    assert later.loc["MobileNetV2", "params"] == 3_538_984
    assert later.loc["ViT-B/16", "params"] == 86_567_656
    assert later.loc["ResNet-50", "MACs"] == 3_857_973_248


# --- The contest's harness -------------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _batches(probe, clock, count, seconds_each, epoch=0, logs=None):
    probe.on_epoch_begin(epoch)
    for batch in range(count):
        clock.now += 5.0 if (epoch, batch) == (0, 0) else seconds_each  # the first step traces
        probe.on_train_batch_end(batch, logs)


def test_the_speed_probe_times_batches_after_the_warm_up_only():
    clock = FakeClock()
    probe = contest.SpeedProbe(32, warmup=2, batches=3, clock=clock)
    _batches(probe, clock, 10, 0.5, logs={"loss": np.float32(2.3)})
    assert probe.first[0] == 2 and probe.last[0] == 5  # batches 2..5: 3 intervals
    assert probe.images_per_second == pytest.approx(3 * 32 / 1.5)
    _batches(probe, clock, 10, 10.0, epoch=1)  # later epochs change nothing
    assert probe.images_per_second == pytest.approx(64.0)
    short = contest.SpeedProbe(32, warmup=3, clock=FakeClock())
    _batches(short, short.clock, 4, 0.5)
    with pytest.raises(ValueError, match=r"at least 5 batches.*Received: 4 batches"):
        _ = short.images_per_second


def test_epochs_for_a_budget():
    recipe = course.CONTEST  # batch 64, no validation share: 9,984 of 10,000 images train
    assert contest.epochs_for(30, 3_000, 10_000, recipe) == round(30 / (9_984 / 3_000)) == 9
    assert contest.epochs_for(30, 3_000, 10_000, recipe, per_epoch=1.0) == 7
    assert contest.epochs_for(30, 300, 10_000, recipe) == 1  # never 0
    assert contest.epochs_for(np.int64(30), np.float32(3_000), np.int64(10_000), recipe) == 9
    with pytest.raises(
        ValueError, match=r"`seconds` must be a number in \(0, inf\). Received: seconds=0"
    ):
        contest.epochs_for(0, 3_000, 10_000, recipe)
    with pytest.raises(ValueError, match="`images_per_second` must be a number"):
        contest.epochs_for(30, -1, 10_000, recipe)


def test_standard_error_of_an_accuracy():
    assert contest.standard_error(0.5, 5_000) == pytest.approx(math.sqrt(0.25 / 5_000))
    assert contest.standard_error(1.0, 100) == 0.0
    with pytest.raises(
        ValueError, match=r"`accuracy` must be a number in \[0, 1\]. Received: accuracy=1.5"
    ):
        contest.standard_error(1.5, 100)
    with pytest.raises(ValueError, match="`n_test` must be an integer >= 1. Received: n_test=0"):
        contest.standard_error(0.5, 0)


def _result(network, accuracy, seed=0, contest_name="same seconds", n_test=5_000):
    return contest.Result(network, "m", contest_name, seed, 2, 1_000, 10.0, 500.0, accuracy,
                          n_test, 100, 1_000)  # fmt: skip


def test_summary_averages_seeds_and_differences_tell_noise_from_a_real_gap():
    results = [_result("A", 0.60, 0), _result("A", 0.62, 1), _result("B", 0.66), _result("C", 0.61)]
    table = contest.summary(results).set_index("network")
    assert table.loc["A", "seeds"] == 2 and table.loc["A", "test accuracy"] == 0.61
    assert table.loc["A", "spread over seeds"] == round(float(np.std([0.60, 0.62], ddof=1)), 4)
    assert pd.isna(table.loc["B", "spread over seeds"])  # one seed: no spread
    assert table.loc["A", "standard error"] == round(math.sqrt(0.61 * 0.39 / 5_000), 4)
    assert table.loc["A", "images"] == 2_000
    verdicts = contest.differences(table.reset_index(), "same seconds").set_index("pair")
    assert verdicts.loc["A - B", "verdict"] == "real"  # 5 points, about 7 standard errors
    assert verdicts.loc["A - C", "verdict"] == "noise"  # 0 points
    assert verdicts.loc["A - C", "standard error"] == round(math.hypot(0.0069, 0.0069), 4)
    with pytest.raises(ValueError, match=r"no contest 'same minutes'; it has 'same seconds'"):
        contest.differences(table.reset_index(), "same minutes")
    with pytest.raises(ValueError, match="needs the list of `Result`s"):
        contest.summary([])


def test_ranking_marks_the_neighbours_the_test_set_cannot_tell_apart():
    results = [_result("A", 0.60), _result("B", 0.66), _result("C", 0.61), _result("D", 0.5)]
    table = contest.summary(results)
    # B - C: 5 points, 7 standard errors; C - A: 1 point, 1.0; A - D: 10 points
    assert contest.ranking(table, "same seconds") == "B 66.0% > C 61.0% ≈ A 60.0% > D 50.0%"
    with pytest.raises(ValueError, match=r"no contest 'same epochs'; it has 'same seconds'"):
        contest.ranking(table, "same epochs")


def test_metrics_name_each_network_and_budget():
    labels = contest.LABELS[:2]
    results = [_result(labels[0], 0.6, contest_name="same epochs"), _result(labels[0], 0.7),
               _result(labels[1], 0.5)]  # fmt: skip
    assert contest.metrics(results) == {
        "lenet5_epochs_test_accuracy": 0.6,
        "lenet5_seconds_test_accuracy": 0.7,
        "alexnet_seconds_test_accuracy": 0.5,
        "same_epochs_run_seconds": {"lenet5": 10.0},
        "same_epochs_run_epochs": {"lenet5": 2},
        "same_seconds_run_seconds": {"lenet5": 10.0, "alexnet": 10.0},
        "same_seconds_run_epochs": {"lenet5": 2, "alexnet": 2},
    }


def test_holdout_replaces_the_test_set_with_held_out_training_images():
    x, y = np.zeros((10, 32, 32, 3), "float32"), np.arange(10) % 10
    dataset = data.Dataset("cifar10", x, y, x[:2], y[:2], source=None)
    held = contest.holdout(dataset, 0.3)
    assert (len(held.y_train), len(held.y_test)) == (7, 3)
    assert list(held.y_test) == [7, 8, 9]
    with pytest.raises(ValueError, match=r"leaves none to train on. Received: share=0.95"):
        contest.holdout(dataset, 0.95)
    with pytest.raises(ValueError, match=r"`share` must be a number in \(0, 1\)"):
        contest.holdout(dataset, 1)


def test_network_lookup_and_bad_arguments_name_the_fix():
    assert contest.network("VGG").cifar_model == "vgg_cifar"
    with pytest.raises(ValueError, match=r"no network 'vgg'.*'VGG'.*Received: 'vgg'"):
        contest.network("vgg")
    dataset = data.Dataset("cifar10", np.zeros((4, 32, 32, 3)), np.zeros(4), np.zeros((1, 32, 32, 3)),
                           np.zeros(1), source=None)  # fmt: skip
    with pytest.raises(
        ValueError, match=r"no training speed for LeNet-5.*Received: speeds for \['VGG'\]"
    ):
        contest.same_seconds(dataset, course.CONTEST, 5, {"VGG": 100.0})
    with pytest.raises(ValueError, match="`networks` must be some of `contest.NETWORKS`"):
        contest.same_epochs(dataset, course.CONTEST, networks=["LeNet-5"])
    with pytest.raises(ValueError, match=r"`seeds` must be an integer >= 0. Received: seeds=-1"):
        contest.same_epochs(dataset, course.CONTEST, seeds=(-1,))


@pytest.fixture(scope="module")
def small_cifar(cifar10_dir):
    return data.load_cifar10(640, 100, seed=0, data_dir=cifar10_dir)


def test_a_contest_run_repeats_bit_for_bit_so_an_identical_run_is_reused(small_cifar, monkeypatch):
    training.configure(precision="float32")
    recipe = course.CONTEST.replace(epochs=1, batch_size=64)  # 10 batches of 64
    lenet = contest.NETWORKS[:1]
    (first,) = contest.same_epochs(small_cifar, recipe, networks=lenet, verbose=False)
    assert (first.network, first.model, first.contest) == (
        "LeNet-5",
        "lenet5_modern",
        "same epochs",
    )
    assert (first.epochs, first.trained, first.images, first.n_test) == (1, 640, 640, 100)
    assert (first.params, first.macs) == (62_006, 651_720)  # LeNet-5 (modern) on 32x32x3
    assert first.images_per_second > 0 and 0 <= first.test_accuracy <= 1 and first.seconds > 0
    again = contest.train_one(lenet[0], small_cifar, recipe, seed=0, verbose=False)
    assert again.test_accuracy == first.test_accuracy and again.history == first.history

    # the budget that one epoch fills: the same network, recipe and seed, so the same run
    speeds = {"LeNet-5": 640 / 2.0}
    monkeypatch.setattr(contest, "train_one", lambda *a, **k: pytest.fail("trained again"))
    (reused,) = contest.same_seconds(small_cifar, recipe, 2.0, speeds, networks=lenet,
                                     earlier=[first], verbose=False)  # fmt: skip
    assert reused.reused and reused.contest == "same seconds"
    assert dataclasses.replace(reused, contest="same epochs", reused=False) == first


def test_budgets_are_sized_by_whole_run_rates_not_the_probe():
    # 2 epochs of 1,000 images in 10 s (tracing and augmentation included): 200 images/s, though
    # the probe measured 500 between batches
    runs = [_result("A", 0.5), _result("A", 0.5, seed=1), _result("B", 0.5)]
    runs[1] = dataclasses.replace(runs[1], seconds=5.0)
    assert contest.measured_speeds(runs) == {"A": 300.0, "B": 200.0}  # the median of 200 and 400


def test_same_seconds_gives_each_network_the_epochs_its_speed_fills(small_cifar, monkeypatch):
    training.configure(precision="float32")
    recipe = course.CONTEST.replace(epochs=1, batch_size=64)
    (run,) = contest.same_seconds(small_cifar, recipe, 4.0, {"LeNet-5": 640.0},
                                  networks=contest.NETWORKS[:1], verbose=False)  # fmt: skip
    assert (run.epochs, run.images, run.contest, run.reused) == (4, 2_560, "same seconds", False)
    assert run.recipe == recipe.replace(epochs=4)


# --- The course table ----------------------------------------------------------------------
def test_the_chapter_plan_trains_the_five_on_the_one_contest_recipe():
    plan = course.CHAPTERS["06_side_by_side"]
    assert set(plan.models) == {n.cifar_model for n in contest.NETWORKS}
    assert plan.models[0] == "resnet20" and plan.dataset == "cifar10"  # the benchmarks' model
    assert MODELS[plan.models[0]]().input_shape == (None, 32, 32, 3)
    for mode in course.MODES:
        assert plan.recipe(mode).replace(epochs=course.CONTEST.epochs) == course.CONTEST
        assert course.CONTEST_SECONDS[mode] > 0 and course.CONTEST_SEEDS[mode] >= 1
    assert course.CONTEST.validation_split == 0  # chosen on validation, then trained on all
    assert course.CONTEST_SECONDS["gpu"] > course.CONTEST_SECONDS["cpu"]
    assert plan.sizes("gpu", 10, 5) == (10, 5)
    trials = pd.DataFrame(contest.RECIPE_TRIALS)
    chosen = trials[trials["chosen"]]
    assert len(chosen) == 1 and chosen["mean"].iloc[0] == trials["mean"].max()


# --- Figures ---------------------------------------------------------------------------------
def test_the_figures_draw_from_the_contest_tables(tables):
    papers = contest.paper_table(tables)
    figure = compare_plots.error_against_macs(papers)
    (ax,) = figure.axes
    assert "no ImageNet result: LeNet-5" in ax.get_title()
    assert ax.get_xscale() == "log" and "top-5 error" in ax.get_ylabel()
    assert {t.get_text().split("\n")[0] for t in ax.texts} == {
        "AlexNet",
        "VGG",
        "GoogLeNet",
        "ResNet",
    }
    results = contest.summary([_result("A", 0.6), _result("A", 0.5, contest_name="same epochs")])
    left, right = compare_plots.contest_figure(results).axes
    assert left.get_xscale() == "log" and "seconds" in right.get_xlabel()
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["same epochs", "same seconds"]
    bars = compare_plots.spending_figure(contest.spending(tables))
    assert [t.get_text() for t in bars.axes[0].get_yticklabels()] == list(contest.LABELS)
    with pytest.raises(ValueError, match=r"lacks MACs, seconds"):
        compare_plots.contest_figure(results.drop(columns=["MACs", "seconds"]))


def test_the_figures_module_needs_no_keras():
    code = "import sys, cnn_lessons.compare_plots; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

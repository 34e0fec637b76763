"""Data parallelism on two virtual CPU devices, on JAX and TensorFlow; the batch and learning-rate
rule; the papers' full-scale recipes; the arithmetic of scale.

Two devices need the backend configured before it starts (XLA_FLAGS for JAX, logical devices for
TensorFlow), so each backend's run happens in a fresh Python: this file itself, run as a script
(`python tests/test_distributed.py jax OUT`), writes what it measured as JSON for the tests.
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_lessons import course, distributed
from cnn_lessons.recipes import Recipe

ROOT = Path(__file__).resolve().parents[1]

# Same global batch, same seed: two devices add each gradient in another order (each averages
# its half, then the all-reduce averages the two), so the weights differ by float32 rounding
# (measured after 2 epochs: 2e-7 to 1.7e-6 of each tensor's largest weight, float32's epsilon
# being 1.2e-7). The tolerance is 2e-5 of that largest weight: over 10x that noise, and over
# 10,000x below a real difference (the same run with a global batch twice as large: 0.6-0.8).
TOLERANCE = 2e-5


# --- The worker: runs in its own process, on two virtual devices ---------------------------------


def _worker(backend, output):
    os.environ["KERAS_BACKEND"] = backend
    distributed.simulate_devices(2)  # before the backend starts
    import numpy as np

    from cnn_lessons import pipeline, training
    from cnn_lessons._keras import keras

    seen = []  # (replica, rows of the batch this device computed on), appended at run time

    class Probe(keras.layers.Layer):
        """The identity, which records at run time the rows each device holds of each batch."""

        def call(self, x):
            if keras.backend.backend() == "jax":
                import jax

                # partitioned: called once per device, with that device's shard of the batch
                jax.debug.callback(lambda v: seen.append((-1, len(v))), x, partitioned=True)
            else:
                import tensorflow as tf

                context = tf.distribute.get_replica_context()
                if context is not None:  # None while Keras builds the graph symbolically

                    def record(v, replica):
                        seen.append((int(replica), len(v)))
                        return np.float32(0)

                    tf.numpy_function(record, [x, context.replica_id_in_sync_group], tf.float32)
            return x

    class Placement(keras.callbacks.Callback):
        """Where the trained copy's variables live (the model `fit` trains, not the caller's)."""

        def on_train_end(self, logs=None):
            value = self.model.trainable_variables[0].value
            if keras.backend.backend() == "jax":
                self.devices = sorted(str(d) for d in value.sharding.device_set)
                self.kind = type(value.sharding).__name__
            else:
                import tensorflow as tf

                self.devices = sorted(v.device for v in getattr(value, "values", [value]))
                self.kind = type(value).__name__
                self.replicas = tf.distribute.get_strategy().num_replicas_in_sync

    def build(size=16, seed=1):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((size, size, 3))
        x = Probe(name="probe")(inputs)
        x = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(x)
        x = keras.layers.AveragePooling2D(2, name="pool")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        outputs = keras.layers.Dense(3, activation="softmax", name="fc")(x)
        return keras.Model(inputs, outputs)

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(250, 16, 16, 3)).astype("float32")
    y = (x[:, :8].mean(axis=(1, 2, 3)) * 30).astype("int64") % 3  # something to learn
    recipe = Recipe(optimizer="sgd", learning_rate=0.05, weight_decay=1e-3, warmup=0.2,
                    batch_size=32, epochs=2, flip=True, shift=2)  # fmt: skip
    report = {"available": distributed.available()}

    def run(devices, recipe=recipe, data=(x, y), validation=None):
        model, placement = build(), Placement()
        seen.clear()
        result = training.train(model, data, recipe, seed=0, validation=validation,
                                verbose=False, callbacks=[placement], devices=devices)  # fmt: skip
        return model, result, placement, list(seen)

    one, run_one, _, seen_one = run(None)
    two, run_two, placement, seen_two = run(2)
    wide, _, _, _ = run(2, recipe.replace(batch_size=64))  # the batch not kept global: a mistake

    def difference(a, b):  # per weight tensor, relative to its largest weight
        return max(
            float(np.max(np.abs(p - q)) / np.max(np.abs(p)))
            for p, q in zip(a.get_weights(), b.get_weights())
        )

    report.update(
        arrays_difference=difference(one, two), wide_difference=difference(one, wide),
        held_out=[run_one.held_out, run_two.held_out], trained=[run_one.trained, run_two.trained],
        devices=[run_one.devices, run_two.devices], seen_one=seen_one, seen_two=seen_two,
        variable_devices=placement.devices, variable_kind=placement.kind,
        replicas=getattr(placement, "replicas", None),
    )  # fmt: skip
    if backend == "jax":  # how `fit` lays out a batch: half of its rows on each device
        import jax

        layout = distributed.DataParallel(2).distribution.get_data_layout((32, 16, 16, 3))
        batch = jax.device_put(x[:32], layout.backend_layout)
        report["batch_shards"] = sorted(
            [str(s.device), list(s.data.shape)] for s in batch.addressable_shards
        )
    # the same on JPEG files through the input pipeline
    folder = Path(output).parent / "images"
    write_images(folder, classes=3, per_class=12, size=(20, 24))
    files = pipeline.ImageFolder(folder, image_size=16)
    held = pipeline.ImageFolder(folder, image_size=16, shard=(0, 4))  # 9 images: 8 kept on 2
    on_files = Recipe(optimizer="sgd", learning_rate=0.05, batch_size=8, epochs=2, flip=True,
                      validation_split=0.0)  # fmt: skip
    files_one, files_run_one, _, _ = run(None, on_files, files, held)
    files_two, files_run_two, _, seen_files = run(2, on_files, files, held)
    report.update(
        files_difference=difference(files_one, files_two),
        files_held_out=[files_run_one.held_out, files_run_two.held_out],
        files_trained=files_run_two.trained, seen_files=seen_files,
        files_val_loss=[files_run_one.history["val_loss"], files_run_two.history["val_loss"]],
    )  # fmt: skip
    Path(output).write_text(json.dumps(report))


def write_images(folder, classes=3, per_class=4, size=(40, 30)):
    """A small image folder: `classes` sub-folders of `per_class` JPEG files each, every class
    one pure colour (red, green, blue, ...) so a label can be read back from the pixels; the
    files' sizes vary (width `size[0]` + 4 per file)."""
    from PIL import Image

    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    for label in range(classes):
        (folder / f"class_{label}").mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            image = Image.new("RGB", (size[0] + 4 * index, size[1]), colours[label])
            image.save(folder / f"class_{label}" / f"image_{index:02d}.JPEG", quality=95)


def _two_devices(backend, tmp_path):
    output = tmp_path / f"{backend}.json"
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": backend}
    environment.pop("XLA_FLAGS", None)
    result = subprocess.run(
        [sys.executable, __file__, backend, str(output)], capture_output=True, text=True,
        env=environment, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(output.read_text())


BACKENDS = [
    "tensorflow",
    pytest.param(
        "jax",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("jax") is None,
            reason="JAX is not installed here (requirements-jax.txt: `make test` installs it)",
        ),
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def two_devices(request, tmp_path_factory):
    backend = request.param
    return backend, _two_devices(backend, tmp_path_factory.mktemp(backend))


def test_two_devices_train_the_same_weights_as_one(two_devices):
    backend, report = two_devices
    assert report["available"] == ["cpu:0", "cpu:1"]
    assert report["devices"] == [1, 2]
    assert report["arrays_difference"] < TOLERANCE, report["arrays_difference"]
    # the check can fail: the same run with a global batch twice as large is another run
    assert report["wide_difference"] > 100 * TOLERANCE, report["wide_difference"]
    # 250 images: 25 held out, 224 trained (7 whole batches); two devices keep 24 of the 25
    assert report["trained"] == [224, 224] and report["held_out"] == [25, 24]


def test_both_devices_computed_their_half_of_every_batch(two_devices):
    backend, report = two_devices
    # 2 epochs of 7 training steps of 32 images, and the validation batches (25 or 24 images)
    train_rows = [rows for _, rows in report["seen_one"] if rows == 32]
    assert len(train_rows) == 14
    halves = [(replica, rows) for replica, rows in report["seen_two"] if rows == 16]
    assert len(halves) == 2 * 14  # every step ran on both devices, 16 images each
    assert sorted({rows for _, rows in report["seen_two"]}) == [12, 16]  # 24 held out = 2 x 12
    if backend == "tensorflow":
        assert report["replicas"] == 2
        assert sorted({replica for replica, _ in halves}) == [0, 1]
        assert [r for r, _ in halves].count(0) == [r for r, _ in halves].count(1) == 14
        assert report["variable_kind"] == "MirroredVariable"
        assert [d.split("/")[-1] for d in report["variable_devices"]] == ["device:CPU:0",
                                                                          "device:CPU:1"]  # fmt: skip
    else:
        assert report["variable_kind"] == "NamedSharding"  # replicated over the mesh
        assert report["variable_devices"] == ["cpu:0", "cpu:1"]
        assert report["batch_shards"] == [["cpu:0", [16, 16, 16, 3]], ["cpu:1", [16, 16, 16, 3]]]


def test_two_devices_train_the_same_on_files_through_the_pipeline(two_devices):
    backend, report = two_devices
    assert report["files_difference"] < TOLERANCE, report["files_difference"]
    # 36 files: 4 batches of 8 per epoch; 9 held out, 8 of them on two devices
    assert report["files_trained"] == 32 and report["files_held_out"] == [9, 8]
    assert sorted({rows for _, rows in report["seen_files"]}) == [4]  # 8 = 2 x 4, also held out
    assert len(report["files_val_loss"][1]) == 2


def test_the_arithmetic_and_the_pipeline_module_import_no_framework():
    probe = (
        "import sys\nimport cnn_lessons.distributed, cnn_lessons.pipeline, cnn_lessons.course\n"
        "print(sorted({'keras', 'tensorflow', 'jax'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


# --- Asking for devices --------------------------------------------------------------------------


@pytest.mark.parametrize("devices", ["two", 0, -1, 2.0, True, "2"])
def test_a_bad_number_of_devices_is_named(devices):
    with pytest.raises(ValueError, match=r"`devices` must be 'all', a positive number.*Received: "):
        distributed.resolve(devices)


def test_more_devices_than_the_machine_has_are_refused():
    found = distributed.available()
    with pytest.raises(
        ValueError, match=rf"This machine has {len(found)} device.*Received: devices=64"
    ):
        distributed.resolve(64)
    assert distributed.resolve("all") == found and distributed.resolve(1) == found[:1]


def test_a_batch_that_does_not_split_over_the_devices_is_refused_before_training():
    from cnn_lessons import training
    from cnn_lessons.lenet import lenet5

    parallel = distributed.DataParallel(1)
    parallel.count = 3  # as on a machine with three devices
    with pytest.raises(ValueError, match=r"batch of 128 images.*over 3 devices.*multiple of 3"):
        parallel.batch_per_device(128)
    assert parallel.batch_per_device(129) == 43
    with pytest.raises(ValueError, match=r"Received: devices=5"):
        training.train(lenet5("modern"), ([0], [0]), Recipe(), devices=5)
    with pytest.raises(ValueError, match=r"over 2 hosts.*batch_size=129, hosts=2"):
        distributed.per_host_batch(129, 2)
    assert distributed.per_host_batch(256, 2) == 128


def test_the_command_trains_on_the_devices_asked_for_and_refuses_others_at_once(
    mnist_dir, tmp_path, capsys
):
    from cnn_lessons.cli import main

    common = ["--dataset", "mnist", "--n-train", "1000", "--n-test", "200", "--epochs", "1",
              "--precision", "float32", "--output-dir", str(tmp_path)]  # fmt: skip
    assert main(["train", "lenet5_modern", *common, "--devices", "all"]) == 0
    record = json.loads((tmp_path / "lenet5_modern_mnist.json").read_text())
    assert record["devices"] == len(distributed.available()) and record["n_train"] == 1000
    capsys.readouterr()
    assert main(["train", "lenet5_modern", *common, "--devices", "64"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Received: devices=64" in err
    assert "epoch" not in err  # refused before any training
    with pytest.raises(SystemExit) as usage:
        main(["train", "lenet5_modern", "--devices", "two"])
    assert usage.value.code == 2
    assert "expected 'all' or a positive number, got 'two'" in capsys.readouterr().err


def test_simulating_devices_after_the_backend_started_says_how_to_do_it():
    distributed.available()  # the backend starts (if no test started it before)
    with pytest.raises(RuntimeError, match="can no longer be split: call simulate_devices first"):
        distributed.simulate_devices(2)


# --- The batch and the learning rate -------------------------------------------------------------


def test_the_linear_scaling_rule_gives_goyal_et_al_s_numbers():
    plan = course.FULL_SCALE["resnet50_imagenet"]
    # Goyal et al. 2017: lr = 0.1 x kn / 256; 8k images per step: 3.2, 5 epochs of warm-up
    big = distributed.linear_scaling(plan.recipe, 8192)
    assert big.learning_rate == pytest.approx(3.2) and big.batch_size == 8192
    assert big.warmup == pytest.approx(5 / 90) and big.milestones == plan.recipe.milestones
    # the paper's own batch changes nothing; a smaller one scales down, with no warm-up added
    assert distributed.linear_scaling(plan.recipe, 256) == plan.recipe
    small = distributed.linear_scaling(plan.recipe, 32)
    assert small.learning_rate == pytest.approx(0.0125) and small.warmup == 0
    # a run too short for 5 epochs of warm-up warms up over at most half of it
    assert distributed.linear_scaling(Recipe(epochs=4), 1024).warmup == 0.5
    with pytest.raises(ValueError, match=r"`batch_size` must be an integer >= 1"):
        distributed.linear_scaling(plan.recipe, 0)


# --- The papers' full-scale recipes --------------------------------------------------------------


def test_the_full_scale_recipes_are_the_papers():
    alexnet, vgg, resnet50, cifar = (course.FULL_SCALE[k] for k in (
        "alexnet_imagenet", "vgg16_imagenet", "resnet50_imagenet", "resnet_cifar10"))  # fmt: skip
    for plan in course.FULL_SCALE.values():
        recipe = plan.recipe
        assert (recipe.optimizer, recipe.momentum, recipe.schedule) == ("sgd", 0.9, "steps")
        # the papers' L2 goes through the momentum: Keras's decoupled decay is 10x it
        assert recipe.weight_decay == pytest.approx(plan.paper_l2 * 10)
        assert recipe.flip and recipe.label_smoothing == 0 and recipe.warmup == 0
        assert plan.models[0] in __import__("cnn_lessons").MODELS
    assert (alexnet.recipe.learning_rate, alexnet.recipe.batch_size, alexnet.recipe.epochs) == (
        0.01, 128, 90)  # fmt: skip
    assert alexnet.paper_l2 == 5e-4 and len(alexnet.recipe.milestones) == 3  # "three times"
    assert (vgg.recipe.learning_rate, vgg.recipe.batch_size, vgg.recipe.epochs) == (0.01, 256, 74)
    assert vgg.paper_l2 == 5e-4 and len(vgg.recipe.milestones) == 3
    assert vgg.steps == 74 * 5_004 == 370_296  # "stopped after 370K iterations (74 epochs)"
    assert (resnet50.recipe.learning_rate, resnet50.recipe.batch_size) == (0.1, 256)
    assert resnet50.paper_l2 == 1e-4 and resnet50.recipe.epochs == 90
    assert [round(m * 90) for m in resnet50.recipe.milestones] == [30, 60]
    assert (cifar.recipe.learning_rate, cifar.recipe.batch_size, cifar.paper_l2) == (0.1, 128, 1e-4)
    assert (cifar.recipe.shift, cifar.recipe.validation_split) == (4, 0.1)  # 45k / 5k


def test_the_cifar_recipe_stops_at_the_papers_64k_iterations():
    from cnn_lessons import training

    plan = course.FULL_SCALE["resnet_cifar10"]
    trained, held = training.split(50_000, 128, plan.recipe.validation_split)
    assert (trained, held) == (44_928, 5_000) and plan.images == 45_000
    assert plan.steps == 182 * 351 == 63_882
    assert abs(plan.steps - 64_000) < 351  # within one epoch of the paper's 64k
    schedule = training.schedule_for(plan.recipe, plan.steps)
    assert schedule.milestones == (31_941, 47_912)  # the paper's 32k and 48k
    rates = [plan.recipe.learning_rate_at(s, plan.steps) for s in (31_940, 31_941, 47_912)]
    assert rates == pytest.approx([0.1, 0.01, 0.001])


# --- Scale on paper ------------------------------------------------------------------------------


def test_the_all_reduce_moves_twice_the_gradient_less_one_share():
    # ResNet-50: 25,557,032 trainable parameters, 102.2 MB of float32 gradients
    assert distributed.all_reduce_bytes(25_557_032, 1) == 0
    assert distributed.all_reduce_bytes(25_557_032, 2) == 25_557_032 * 4
    assert distributed.all_reduce_bytes(25_557_032, 8) == pytest.approx(2 * 7 / 8 * 102_228_128)


def test_the_scaling_table_adds_compute_and_the_gradients_all_reduce():
    rows = distributed.scaling_table(
        images_per_second=2_000, parameters=25_557_032, batch_per_device=256, epochs=90,
        recipe=course.FULL_SCALE["resnet50_imagenet"].recipe,
    )  # fmt: skip
    one, eight, sixty_four = rows
    assert [r["devices"] for r in rows] == [1, 8, 64] and [r["hosts"] for r in rows] == [1, 1, 8]
    assert one["compute_ms"] == pytest.approx(128) and one["communication_ms"] == 0
    steps = math.ceil(1_281_167 / 256)
    assert one["epoch_hours"] == pytest.approx(steps * 0.128 / 3600)
    assert one["run_hours"] == pytest.approx(90 * one["epoch_hours"])
    # 8 GPUs in one host: 2 x 7/8 x 102.2 MB over 450 GB/s
    assert eight["communication_ms"] == pytest.approx(2 * 7 / 8 * 102.228128 / 450)
    assert eight["within_host_megabytes"] == pytest.approx(178.9, abs=0.1)
    # 64 GPUs in 8 hosts: the same inside each host, then 2 x 7/8 of it through each host's link
    between = 2 * 7 / 8 * 102.228128 / 12.5
    assert sixty_four["communication_ms"] == pytest.approx(eight["communication_ms"] + between)
    assert sixty_four["global_batch"] == 16_384 and sixty_four["learning_rate"] == pytest.approx(
        6.4
    )
    assert 1 < eight["speedup"] < 8 and sixty_four["speedup"] < 64
    table = distributed.markdown_table(rows)
    assert table.splitlines()[0].startswith("| devices | global batch | learning rate |")
    assert len(table.splitlines()) == 5


def test_the_readme_table_is_the_one_the_recorded_measurements_give():
    """The README's section quotes the table benchmarks/scaling.py prints from its record."""
    spec = importlib.util.spec_from_file_location("scaling", ROOT / "benchmarks" / "scaling.py")
    scaling = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scaling)
    record = json.loads((ROOT / "benchmarks" / "results" / "scaling.json").read_text())
    readme = (ROOT / "README.md").read_text()
    for table in scaling.tables(record).values():
        assert table in readme


if __name__ == "__main__":  # the worker: python tests/test_distributed.py BACKEND OUTPUT
    _worker(*sys.argv[1:])

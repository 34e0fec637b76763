"""The one trainer: recipes as data, every kind of output, progress, NaN, and its small parts."""

import math

import numpy as np
import pytest

from cnn_lessons import augment, data, progress, training
from cnn_lessons._keras import keras
from cnn_lessons.lenet import lenet5
from cnn_lessons.recipes import Recipe

# Fixed seeds on real MNIST: 6,000 training images, 3 epochs, 2,000 test images.
RECIPE = Recipe(optimizer="adam", learning_rate=2e-3, epochs=3, batch_size=128)
FLOORS = {"modern": 0.90, "paper": 0.90}  # measured here: 0.924 and 0.924


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return data.load_mnist(6_000, 2_000, seed=0, data_dir=mnist_dir)


def _trained(model, mnist, recipe=RECIPE, seed=0, **kwargs):
    training.set_seed(seed)
    run = training.train(model, mnist, recipe, seed=seed, verbose=False, **kwargs)
    return model, run


@pytest.mark.parametrize("variant", ["modern", "paper"])
def test_a_short_run_on_real_mnist_reaches_the_floor(variant, mnist):
    training.set_seed(0)
    model, run = _trained(lenet5(variant), mnist)
    accuracy, predicted = training.evaluate(model, mnist.x_test, mnist.y_test)
    assert accuracy >= FLOORS[variant], f"{variant}: {accuracy:.3f}"
    assert set(run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert (run.trained, run.held_out) == (5_376, 600)  # 42 whole batches; 24 images left out
    assert run.steps == 3 * 42 and predicted.shape == mnist.y_test.shape


def test_the_same_seed_repeats_a_run_exactly(mnist):
    small = (mnist.x_train[:640], mnist.y_train[:640])
    weights = []
    for _ in range(2):
        training.set_seed(3)
        model, _ = _trained(lenet5("modern"), small, RECIPE.replace(epochs=1, shift=2), seed=3)
        weights.append(model.get_layer("C1").get_weights()[0])
    np.testing.assert_array_equal(*weights)


def test_logits_are_trained_with_a_loss_from_logits(mnist):
    """A model built with classifier_activation=None outputs logits: the trainer must not treat
    them as probabilities (that gave a loss of 9.46 where the true cross-entropy was 2.30)."""
    small = (mnist.x_train[:1_280], mnist.y_train[:1_280])
    recipe = RECIPE.replace(epochs=1)
    training.set_seed(0)
    logits = lenet5("modern", classifier_activation=None)
    assert training.output_kind(logits) == "logits"
    training.compile_for(logits, recipe, steps=10)
    initial = logits.evaluate(*small, verbose=0, return_dict=True)["loss"]
    assert initial == pytest.approx(math.log(10), abs=0.3)  # the cross-entropy of a fresh net
    accuracies = {}
    for name, activation in (("logits", None), ("softmax", "softmax")):
        training.set_seed(0)
        model, _ = _trained(lenet5("modern", classifier_activation=activation), small, recipe)
        accuracies[name] = training.evaluate(model, mnist.x_test, mnist.y_test)[0]
    assert accuracies["logits"] == pytest.approx(accuracies["softmax"], abs=0.01)


def test_an_output_the_trainer_cannot_score_is_refused():
    inputs = keras.Input((8,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="sigmoid", name="scores")(inputs))
    with pytest.raises(ValueError, match=r"Received: output layer 'scores' \(Dense\).*'sigmoid'"):
        training.compile_for(model, RECIPE, steps=10)


def test_several_outputs_need_a_weight_each_and_get_a_metric_each():
    from cnn_lessons.googlenet import googlenet_cifar

    model = googlenet_cifar(aux_heads=True)
    with pytest.raises(ValueError, match=r"2 outputs \(linear, aux1_linear\).*output_weights"):
        training.compile_for(model, RECIPE, steps=10)
    training.compile_for(model, RECIPE.replace(output_weights=(1.0, 0.3)), steps=10)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(size=(16, 32, 32, 3)).astype("float32"), rng.integers(0, 10, 16)
    results = model.evaluate(x, (y, y), batch_size=16, verbose=0, return_dict=True)
    losses = [float(np.mean(keras.losses.sparse_categorical_crossentropy(y, p))) for p in model(x)]
    assert results["loss"] == pytest.approx(losses[0] + 0.3 * losses[1], rel=1e-4)
    assert {"linear_accuracy", "aux1_linear_accuracy"} <= set(results)


def test_a_nan_loss_stops_the_run_with_what_to_change(mnist):
    recipe = Recipe(optimizer="sgd", learning_rate=1e9, epochs=3)
    with pytest.raises(
        training.TrainingError, match=r"became nan in epoch \d.*Received: learning_rate=1e\+09"
    ):
        _trained(lenet5("modern"), (mnist.x_train[:512], mnist.y_train[:512]), recipe)


@pytest.mark.parametrize(
    "recipe",
    [
        Recipe(schedule="cosine", warmup=0.1),
        Recipe(schedule="steps", milestones=(0.5, 0.75)),
        Recipe(schedule="constant", warmup=0.25),
    ],
    ids=["cosine", "steps", "constant"],
)
def test_the_keras_schedule_is_the_recipe_arithmetic(recipe):
    steps = 200
    schedule = training.schedule_for(recipe, steps)
    ours = [float(schedule(step)) for step in range(steps)]
    expected = [recipe.learning_rate_at(step, steps) for step in range(steps)]
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-9)  # float32 near 0
    assert max(ours) == pytest.approx(recipe.learning_rate)


def test_label_smoothing_spreads_the_target():
    loss = training.SparseCrossEntropy(label_smoothing=0.1)
    probabilities = np.full((1, 10), 0.1, "float32")
    assert float(loss(np.array([3]), probabilities)) == pytest.approx(math.log(10), rel=1e-5)
    confident = np.eye(10, dtype="float32")[[3]] * 0.9 + 0.01  # 0.91 on the class, sums to 1
    smoothed = -(0.91 * math.log(0.91) + 9 * 0.01 * math.log(0.01))  # target 0.9 + 0.1/10, 0.01
    assert float(loss(np.array([3]), confident)) == pytest.approx(smoothed, rel=1e-4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"learning_rate": float("nan")}, r"`learning_rate` must be a finite number"),
        (
            {"learning_rate": -1},
            r"`learning_rate` must be in \(0.0, inf\]. Received: learning_rate=-1",
        ),
        ({"learning_rate": "0.1"}, r"Received: learning_rate='0.1'"),
        ({"optimizer": "adagrad"}, r"`optimizer` must be one of 'adam', 'adamw', 'sgd'"),
        ({"epochs": 0}, r"`epochs` must be an integer >= 1. Received: epochs=0"),
        ({"batch_size": 64.0}, r"Received: batch_size=64.0"),
        ({"flip": 1}, r"`flip` must be True or False"),
        ({"shift": -2}, r"`shift` must be an integer >= 0 pixels"),
        ({"milestones": (0.75, 0.5)}, r"`milestones` must increase"),
        ({"warmup": 1.0}, r"`warmup` must be in \[0.0, 1.0\)"),
        ({"momentum": True}, r"`momentum` must be a finite number"),
        ({"output_weights": (1.0, float("inf"))}, r"`output_weights` must be a finite number"),
    ],
)
def test_a_bad_recipe_value_is_named(changes, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**changes)


def test_replace_keeps_none_and_names_an_unknown_field():
    recipe = Recipe(epochs=5)
    assert recipe.replace(epochs=None, batch_size=None) == recipe
    assert recipe.replace(epochs=np.int64(2)).epochs == 2
    with pytest.raises(ValueError, match=r"no field 'epoch'; its fields: optimizer, "):
        recipe.replace(epoch=2)


def test_describe_reads_as_a_sentence():
    text = Recipe(optimizer="sgd", learning_rate=0.1, weight_decay=1e-4, warmup=0.2, flip=True,
                  shift=4, batch_size=64, epochs=3).describe()  # fmt: skip
    assert text == (
        "SGD (momentum 0.9); peak learning rate 0.1; 20% warm-up, then cosine decay to 0; "
        "weight decay 0.0001; augmentation: flips and shifts of 4 px; batch 64, 3 epochs"
    )


def test_images_with_nan_are_refused_before_training(mnist):
    images = mnist.x_train[:256].copy()
    images[3, 5, 5, 0] = np.nan
    with pytest.raises(ValueError, match=r"1 pixel values that are NaN or infinite"):
        training.train(lenet5("modern"), (images, mnist.y_train[:256]), RECIPE)


def test_evaluate_wants_one_label_per_image(mnist):
    model = lenet5("modern")
    with pytest.raises(ValueError, match=r"one label per image. Received: 300 images and 1 labels"):
        training.evaluate(model, mnist.x_test[:300], mnist.y_test[:1])
    with pytest.raises(ValueError, match=r"Received: 0 images"):
        training.evaluate(model, mnist.x_test[:0], mnist.y_test[:0])
    with pytest.raises(ValueError, match=r"Received: 512 images and 500 labels"):
        training.train(model, (mnist.x_train[:512], mnist.y_train[:500]), RECIPE)


def test_predictions_of_a_short_last_batch_are_those_of_single_images(mnist):
    model = lenet5("paper")
    images = mnist.x_test[:37]
    predicted = training.predict_classes(model, images, batch_size=16)
    one_by_one = [int(np.argmin(model.predict_on_batch(image[None]))) for image in images]
    assert predicted.tolist() == one_by_one  # the smallest RBF penalty wins


def test_flip_and_shift_move_whole_images_and_fill_with_zeros():
    rng = np.random.default_rng(0)
    images = rng.uniform(0.1, 1.0, size=(64, 8, 8, 3)).astype("float32")
    np.testing.assert_array_equal(augment.flip_and_shift(images, rng), images)
    flipped = augment.flip_and_shift(images, np.random.default_rng(1), flip=True)
    mirrored = [np.array_equal(f, i[:, ::-1]) for f, i in zip(flipped, images)]
    same = [np.array_equal(f, i) for f, i in zip(flipped, images)]
    assert all(m != s for m, s in zip(mirrored, same)) and 16 < sum(mirrored) < 48
    shifted = augment.flip_and_shift(images, np.random.default_rng(2), shift=2)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    for out, window in zip(shifted, padded):  # each output is one 8x8 window of its padded image
        offsets = [(r, c) for r in range(5) for c in range(5)
                   if np.array_equal(window[r : r + 8, c : c + 8], out)]  # fmt: skip
        assert offsets
    assert (shifted == 0).any() and shifted.dtype == images.dtype
    with pytest.raises(
        ValueError, match=r"\(N, height, width, channels\). Received: shape \(8, 8\)"
    ):
        augment.flip_and_shift(images[0, :, :, 0], rng, flip=True)


def test_progress_leaves_one_line_per_epoch_and_shows_batches_on_a_terminal(capsys):
    line = progress.epoch_line(1, 4, {"val_accuracy": 0.5, "accuracy": 0.25, "loss": 1.5}, 2.25)
    assert line == "epoch 2/4  loss 1.5000  accuracy 25.00%  val_accuracy 50.00%  (2.2 s)"
    for kind in ("lines", "terminal"):
        shown = progress.Progress(epochs=2, every=0.0, kind=kind)
        shown.start_epoch(0, steps=10)
        for batch in range(10):
            shown.on_train_batch_begin(batch)
        shown.end_epoch({"loss": 1.0})
        out = capsys.readouterr().out
        if kind == "lines":
            assert out.splitlines() == [out.splitlines()[0]] and out.startswith("epoch 1/2  loss")
        else:
            assert "\repoch 1/2  [" in out and "batch 9/10" in out and "left in the epoch" in out
            assert out.endswith("\n") and out.rsplit("\r", 1)[1].startswith("epoch 1/2  loss")


def test_configure_picks_the_cpu_or_quick_mode(monkeypatch):
    monkeypatch.setenv("CNN_LESSONS_PRECISION", "float32")
    mode = training.configure()
    assert (mode.name, mode.device, mode.precision) == ("cpu", "CPU", "float32")
    assert mode.pick(quick=2, cpu=4, gpu=15) == 4
    assert training.configure(quick=True).pick(quick=2, cpu=4, gpu=15) == 2
    assert str(mode) == "cpu mode on CPU, float32"


def test_the_precision_can_be_set_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv("CNN_LESSONS_PRECISION", "mixed_bfloat16")
    try:
        assert training.configure().precision == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        with pytest.raises(ValueError, match="'half'"):
            training.configure(precision="half")
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_split_holds_out_the_share_and_trains_on_whole_batches():
    assert training.split(10_000, 128) == (8_960, 1_000)  # 70 batches; 40 images left out
    assert training.split(2_000, 64) == (1_792, 200)
    assert training.split(320, 32, validation_split=0) == (320, 0)
    assert training.split(20, 32) == (18, 2)  # less than a batch: all of it trains
    assert training.steps_per_epoch(10_000, 128) == 70


@pytest.mark.parametrize("free", [training.clear_session, training.free_memory])
def test_clear_session_and_free_memory_keep_the_precision_policy(free):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        free()
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_the_background_augmentation_of_a_gpu_run_gives_the_same_run(mnist, monkeypatch):
    """On a GPU the next epoch is augmented on a thread while this one trains; on a CPU one buffer
    is reused. Both must see the same images in the same order."""
    small, recipe = (mnist.x_train[:640], mnist.y_train[:640]), RECIPE.replace(epochs=2, shift=2)
    kernels = []
    for device in ("CPU", "GPU (pretend)"):
        monkeypatch.setattr(training, "accelerator", lambda device=device: device)
        training.set_seed(5)
        model, _ = _trained(lenet5("modern"), small, recipe, seed=5)
        kernels.append(model.get_layer("C1").get_weights()[0])
    np.testing.assert_array_equal(*kernels)


def test_evaluating_many_new_models_prints_no_retracing_warning(capfd):
    """A chapter builds and tests many models; TensorFlow counts their first traces together and
    warns of "retracing", which misleads a learner: the trainer and `evaluate` drop that one
    warning."""
    x, y = np.zeros((8, 8, 8, 1), "float32"), np.zeros(8, "int64")
    for _ in range(8):
        model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(2, activation="softmax")])  # fmt: skip
        training.evaluate(model, x, y)
    assert "retracing" not in capfd.readouterr().err

import keras
import numpy as np
import pytest

from cnn_lessons import data, training
from cnn_lessons.lenet import lenet5

# Fixed seeds on real MNIST: 6,000 training images, 3 epochs, 2,000 test images.
N_TRAIN, EPOCHS = 6_000, 3
FLOORS = {"modern": 0.90, "paper": 0.90}  # measured here: 0.931 and 0.926


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return data.load_mnist(N_TRAIN, 2_000, seed=0, data_dir=mnist_dir)


def _train(variant, mnist, seed=0):
    training.set_seed(seed)
    model = lenet5(variant)
    decay_steps = EPOCHS * training.steps_per_epoch(N_TRAIN, 128)
    training.compile_classifier(model, 2e-3, decay_steps)
    run = training.fit(model, mnist.x_train, mnist.y_train, EPOCHS, 128, verbose=False)
    return model, run


@pytest.mark.parametrize("variant", ["modern", "paper"])
def test_short_training_run_on_real_mnist_reaches_the_floor(variant, mnist):
    model, run = _train(variant, mnist)
    accuracy, predicted = training.evaluate(model, mnist.x_test, mnist.y_test)
    assert accuracy >= FLOORS[variant], f"{variant}: {accuracy:.3f}"
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert predicted.shape == mnist.y_test.shape


def test_the_same_seed_repeats_a_run_exactly(mnist):
    small = data.Dataset(
        "mnist", mnist.x_train[:512], mnist.y_train[:512], mnist.x_test, mnist.y_test, mnist.source
    )
    weights = []
    for _ in range(2):
        training.set_seed(3)
        model = lenet5("modern")
        training.compile_classifier(model)
        training.fit(model, small.x_train, small.y_train, 1, 128, verbose=False)
        weights.append(model.get_layer("C1").get_weights()[0])
    np.testing.assert_array_equal(*weights)


def test_predict_classes_takes_the_smallest_rbf_penalty(mnist):
    model = lenet5("paper")
    penalties = model.predict(mnist.x_test[:8], verbose=0)
    np.testing.assert_array_equal(
        training.predict_classes(model, mnist.x_test[:8]), penalties.argmin(axis=1)
    )


def test_configure_picks_the_cpu_or_quick_mode_in_float32_here(monkeypatch):
    monkeypatch.delenv("CNN_LESSONS_PRECISION", raising=False)
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


def test_fit_trains_on_whole_batches_and_validates(mnist):
    class Batches(keras.callbacks.Callback):
        seen = []

        def on_train_batch_begin(self, batch, logs=None):
            self.seen.append(batch)

    training.set_seed(0)
    model = training.compile_classifier(lenet5("modern"))
    counter = Batches()
    run = training.fit(
        model, mnist.x_train[:600], mnist.y_train[:600], 1, 128, verbose=False, callbacks=[counter]
    )
    assert len(counter.seen) == 4  # 540 training images: 4 whole batches of 128, 28 left out
    assert run.images_per_second == pytest.approx(512 / run.seconds)
    assert "val_accuracy" in run.history


def test_clear_session_keeps_the_precision_policy():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        training.clear_session()
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")

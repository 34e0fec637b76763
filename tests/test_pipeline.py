"""The full-size input pipeline on a small folder of JPEG files the tests write themselves: labels,
shapes, the augmentation's bounds, sharding and determinism; all of CIFAR-10, or a clear no."""

import numpy as np
import pytest
from test_distributed import write_images

from cnn_lessons import data, pipeline, training
from cnn_lessons._keras import keras
from cnn_lessons.recipes import Recipe

tf = pytest.importorskip("tensorflow")  # the pipeline is tf.data (TensorFlow, on JAX too)
LOW = [(0 - m) / s for m, s in zip(pipeline.MEAN, pipeline.STD)]
HIGH = [(1 - m) / s for m, s in zip(pipeline.MEAN, pipeline.STD)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """3 classes (red, green, blue) of 5 JPEG files each, 40-56 x 30 pixels, and a stray file."""
    root = tmp_path_factory.mktemp("images")
    write_images(root, classes=3, per_class=5, size=(40, 30))
    (root / "class_0" / "README.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    return root


def _colour_labels(images):
    """The class a batch of images shows: the channel that is brightest (red 0, green 1, blue 2)."""
    return np.argmax(np.asarray(images).mean(axis=(1, 2)), axis=-1)


def test_the_folder_is_listed_by_class_and_file_name(folder):
    paths, labels, names = pipeline.list_images(folder)
    assert names == ("class_0", "class_1", "class_2")
    assert labels == [0] * 5 + [1] * 5 + [2] * 5
    assert [p.split("/")[-2:] for p in paths[:2]] == [["class_0", "image_00.JPEG"],
                                                      ["class_0", "image_01.JPEG"]]  # fmt: skip
    images = pipeline.ImageFolder(folder, image_size=32)
    assert len(images) == 15 and repr(images).endswith("15 images of 3 classes at 32x32>")


def test_training_batches_have_the_shape_labels_and_range_they_promise(folder):
    images = pipeline.ImageFolder(folder, image_size=24)
    x, y = next(iter(images.batches(5, training=True, seed=0)))
    assert x.shape == (5, 24, 24, 3) and x.dtype == tf.float32 and y.dtype == tf.int32
    assert list(_colour_labels(x)) == list(y.numpy())  # each image is its own class's colour
    x = x.numpy()
    for channel in range(3):  # normalized pixels stay between those of black and white
        assert LOW[channel] - 1e-5 <= x[..., channel].min()
        assert x[..., channel].max() <= HIGH[channel] + 1e-5
    # one epoch of 15 images in batches of 5: each image exactly once, in a fresh order
    epoch = [b for _, b in images.batches(5, training=True, seed=0).take(3)]
    assert sorted(np.concatenate(epoch)) == [0] * 5 + [1] * 5 + [2] * 5


def test_validation_batches_are_every_image_once_in_order_and_centre_cropped(folder):
    images = pipeline.ImageFolder(folder, image_size=24)
    batches = list(images.batches(4, training=False))
    assert [len(y) for _, y in batches] == [4, 4, 4, 3]
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert list(labels) == images.labels
    again = np.concatenate([x.numpy() for x, _ in images.batches(4, training=False)])
    np.testing.assert_array_equal(np.concatenate([x.numpy() for x, _ in batches]), again)


def test_the_random_crop_keeps_its_area_and_aspect_bounds():
    boxes = [[int(v) for v in pipeline.crop_box((300, 400, 3), [7, seed])] for seed in range(200)]
    areas = [h * w / (300 * 400) for _, _, h, w in boxes]
    aspects = [w / h for _, _, h, w in boxes]
    assert all(top >= 0 and left >= 0 and top + h <= 300 and left + w <= 400
               for top, left, h, w in boxes)  # fmt: skip
    assert 0.08 - 0.01 <= min(areas) and max(areas) <= 1.0
    # width / height within 3/4-4/3, give or take the rounding to whole pixels
    assert 3 / 4 - 0.02 <= min(aspects) and max(aspects) <= 4 / 3 + 0.02
    assert max(areas) - min(areas) > 0.5  # the crops really vary
    assert len({tuple(b) for b in boxes}) > 150


def test_a_flip_mirrors_the_whole_image_or_leaves_it():
    image = np.zeros((8, 8, 3), "uint8")
    image[:, :4] = 255  # left half white
    # the whole image as the crop, so only the flip changes it
    outputs = [
        pipeline.train_image(image, [1, seed], 8, area=(1.0, 1.0), aspect=(1.0, 1.0)).numpy()
        for seed in range(12)
    ]
    plain = pipeline.normalize(image).numpy()
    flipped = [np.allclose(o, plain[:, ::-1]) for o in outputs]
    assert all(f or np.allclose(o, plain) for f, o in zip(flipped, outputs))
    assert 0 < sum(flipped) < len(outputs)
    no_flip = pipeline.train_image(image, [1, 3], 8, flip=False, area=(1.0, 1.0), aspect=(1.0, 1.0))
    np.testing.assert_allclose(no_flip.numpy(), plain)


def test_the_same_seed_gives_the_same_batches_and_another_seed_others(folder):
    images = pipeline.ImageFolder(folder, image_size=16)

    def first_batches(seed):
        return [(x.numpy(), y.numpy()) for x, y in images.batches(5, True, seed=seed).take(6)]

    one, again, other = first_batches(3), first_batches(3), first_batches(4)
    for (x1, y1), (x2, y2) in zip(one, again):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert any(not np.array_equal(x1, x2) for (x1, _), (x2, _) in zip(one, other))
    # epoch 2 (batches 4-6) is another order and other crops than epoch 1
    first_epoch = np.concatenate([x for x, _ in one[:3]])
    second_epoch = np.concatenate([x for x, _ in one[3:]])
    assert not np.array_equal(first_epoch, second_epoch)


def test_shards_get_disjoint_files_that_cover_the_folder(folder):
    shards = [pipeline.ImageFolder(folder, image_size=16, shard=(i, 3)) for i in range(3)]
    files = [set(s.paths) for s in shards]
    assert [len(f) for f in files] == [5, 5, 5]
    assert not (files[0] & files[1] or files[0] & files[2] or files[1] & files[2])
    assert set().union(*files) == set(pipeline.ImageFolder(folder).paths)
    assert [sorted(set(s.labels)) for s in shards] == [[0, 1, 2]] * 3  # every class in each
    # a shard's batches come from its own files only
    labels = np.concatenate([y for _, y in shards[1].batches(5, training=False)])
    assert list(labels) == shards[1].labels


@pytest.mark.parametrize(
    "shard, message",
    [((3, 3), r"0 <= index < shards"), ((0, 0), r"0 <= index < shards"), (2, r"\(index, shards\)"),
     ((0, 16), r"16 shards of 15 files would leave some hosts without images")],
)  # fmt: skip
def test_a_bad_shard_is_named(folder, shard, message):
    with pytest.raises(ValueError, match=message + r".*Received: shard="):
        pipeline.ImageFolder(folder, shard=shard)


def test_a_folder_without_class_folders_of_jpegs_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"Received: folder='.*missing'.*, which is missing"):
        pipeline.ImageFolder(tmp_path / "missing")
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "cat.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"No JPEG files.*Received: 1 sub-folders and no images"):
        pipeline.ImageFolder(tmp_path)


def test_a_validation_folder_with_other_classes_is_refused(folder, tmp_path):
    write_images(tmp_path, classes=2, per_class=1)
    names = pipeline.ImageFolder(folder).class_names
    with pytest.raises(ValueError, match=r"other classes.*Received: 2 classes .* for 3 expected"):
        pipeline.ImageFolder(tmp_path, class_names=names)


def _small_model(size, classes=3):
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))


def test_the_trainer_trains_on_files_and_checks_the_recipe_against_them(folder):
    images = pipeline.ImageFolder(folder, image_size=16)
    recipe = Recipe(optimizer="adam", learning_rate=1e-2, batch_size=5, epochs=2,
                    validation_split=0.0)  # fmt: skip
    training.set_seed(0)
    run = training.train(_small_model(16), images, recipe, validation=images, verbose=False)
    assert (run.trained, run.held_out, run.steps) == (15, 15, 6)
    assert len(run.history["loss"]) == 2 and len(run.history["val_accuracy"]) == 2
    with pytest.raises(ValueError, match=r"takes 32x32 images.*Received: image_size=16"):
        training.train(_small_model(32), images, recipe, verbose=False)
    with pytest.raises(ValueError, match=r"shift=0. Received: shift=4"):
        training.train(_small_model(16), images, recipe.replace(shift=4), verbose=False)
    with pytest.raises(ValueError, match=r"as `validation`.*Received: validation=None"):
        training.train(_small_model(16), images, Recipe(batch_size=5), verbose=False)
    with pytest.raises(ValueError, match=r"fewer images than one batch.*batch_size=16"):
        training.train(_small_model(16), images, recipe.replace(batch_size=16), verbose=False)


def test_a_cifar_subset_is_refused_for_the_full_scale_recipes(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (20, 32, 32, 3), dtype="uint8"),
        "y_train": np.arange(20) % 10,
        "x_test": rng.integers(0, 256, (10, 32, 32, 3), dtype="uint8"),
        "y_test": np.arange(10),
    }
    np.savez(tmp_path / "cifar10.npz", **arrays)
    with pytest.raises(
        data.DatasetError, match=r"all of CIFAR-10.*Received: 20 training and 10 test images"
    ):
        pipeline.full_cifar10(tmp_path)

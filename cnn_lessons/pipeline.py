"""The full-size input pipeline: all of CIFAR-10 as arrays, and ImageNet as a folder of JPEG files.

CIFAR-10 fits in memory (50,000 images of 32x32x3, 150 MB as bytes): `full_cifar10` loads all
of it with `data.load` and refuses a subset, and `training.train` augments it in NumPy as ever.

ImageNet does not (1,281,167 training images, ~140 GB of JPEG files): `ImageFolder` lists the
files of a folder with one sub-folder per class (ImageNet's `train/n01440764/*.JPEG` layout, the
one `keras.utils.image_dataset_from_directory` reads) and `ImageFolder.batches` reads them with
tf.data: a fresh order every epoch, then per image, in parallel (`num_parallel_calls=AUTOTUNE`):
decode, a random-resized crop (a random share of 8 %-100 % of the area, aspect 3/4-4/3, resized
to `image_size`), a random left-right flip, scaling by ImageNet's channel means and deviations;
batches, prefetched while the model trains. Validation images are resized (shorter side
image_size x 256/224) and cropped in the centre. Every random choice comes from stateless seeds
(the run's seed, the image's position in the stream), so a seed repeats the same batches
whatever the parallelism. `training.train` takes an `ImageFolder` as its data.

Sharding: across the devices of one host, Keras splits every batch (`distributed`); across
hosts, each host reads its own share of the files, `shard=(host, hosts)` (every hosts-th file:
disjoint, each with all classes), e.g. `shard=distributed.host_shard()`.

tf.data needs TensorFlow installed, on JAX too (`pip install tensorflow-cpu` beside JAX: the
pipeline runs on the CPU). The files are decoded with `tf.io.decode_image`, which also reads the
few PNG and CMYK files ImageNet's training set holds under a .JPEG name.
"""

import time
from pathlib import Path

from .validation import is_integer, positive_int

EXTENSIONS = (".jpg", ".jpeg")  # compared in lower case: ImageNet's files end in .JPEG
# torchvision's ImageNet statistics per channel (RGB), for pixels scaled to [0, 1]
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
AREA = (0.08, 1.0)  # the random-resized crop's share of the image (Szegedy et al. 2015)
ASPECT = (3 / 4, 4 / 3)  # and its width / height
RESIZE_SHARE = 256 / 224  # validation: the shorter side resized to image_size x 256 / 224


def _tensorflow():
    try:
        import tensorflow as tf
    except ImportError:
        raise ImportError(
            "The ImageNet input pipeline reads files with tf.data, so it needs TensorFlow, on "
            "JAX too: `pip install tensorflow-cpu` (the pipeline runs on the CPU)."
        ) from None
    return tf


# --- CIFAR-10: arrays ----------------------------------------------------------------------------


def full_cifar10(data_dir=None, seed=0):
    """All of CIFAR-10 (50,000 training and 10,000 test images) as a `data.Dataset`, for the
    paper's recipe (`course.FULL_SCALE["resnet_cifar10"]`: 45,000 trained, 5,000 held out). A
    subset (such as the 10,000-image one the course ships for CPU runs) is refused: a full-scale
    recipe on a fifth of the images would train five times fewer steps than the paper's."""
    from . import data

    found = data.available("cifar10", data_dir)
    if found != data.FULL_SIZE["cifar10"]:
        raise data.DatasetError(
            f"The full-scale recipes need all of CIFAR-10 (50,000 training and 10,000 test "
            f"images); the archive found holds a subset. Fetch the full set with "
            f"`{data.FETCH_COMMAND} --dataset cifar10` into a folder of its own. "
            f"Received: {found[0]:,} training and {found[1]:,} test images"
        )
    return data.load("cifar10", seed=seed, data_dir=data_dir)


# --- ImageNet: a folder of JPEG files ------------------------------------------------------------


def list_images(folder):
    """(paths, labels, class names) of the JPEG files in `folder`'s class sub-folders: the
    classes sorted by name (label 0 is the first), the files of each sorted by name. Other files
    and hidden folders are ignored."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(
            f"The image folder must be a folder with one sub-folder of JPEG files per class "
            f"(as ImageNet's train/n01440764/...). Received: folder={str(folder)!r}, which is "
            f"{'a file' if folder.exists() else 'missing'}"
        )
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    paths, labels = [], []
    for label, name in enumerate(classes):
        files = sorted(
            entry.name
            for entry in (folder / name).iterdir()
            if entry.suffix.lower() in EXTENSIONS and entry.is_file()
        )
        paths += [str(folder / name / file) for file in files]
        labels += [label] * len(files)
    if not paths:
        raise ValueError(
            f"No JPEG files (.jpg, .jpeg) in class sub-folders of {folder}: the layout is "
            f"folder/<class>/<image>.jpg. Received: {len(classes)} sub-folders and no images"
        )
    return paths, labels, tuple(classes)


def _shard(shard, count):
    """(index, shards) checked: a share of `count` files no host would get empty."""
    if shard is None:
        return 0, 1
    try:
        index, shards = shard
    except (TypeError, ValueError):
        index, shards = None, None
    ok = is_integer(index) and is_integer(shards)
    if not ok or shards < 1 or not 0 <= index < shards:
        raise ValueError(
            "`shard` must be (index, shards) with 0 <= index < shards, such as (0, 2) for the "
            f"first of two hosts. Received: shard={shard!r}"
        )
    if shards > count:
        raise ValueError(
            f"{shards} shards of {count} files would leave some hosts without images. "
            f"Received: shard={shard!r}"
        )
    return int(index), int(shards)


class ImageFolder:
    """The JPEG files of a folder with one sub-folder per class, to train on (`batches`).

    Args:
        folder: e.g. ImageNet's `train/` (1,000 sub-folders) or `val/` sorted the same way.
        image_size: the side of the square images the model sees (224 for ImageNet models; 227
            for AlexNet as built here).
        shard: (index, shards): keep every shards-th file from the index-th, this host's share.
        class_names: the classes the model was built for (a training folder's `class_names`):
            a validation folder with other classes is refused instead of mislabelled.
    """

    def __init__(self, folder, image_size=224, shard=None, class_names=None):
        paths, labels, names = list_images(folder)
        if class_names is not None and tuple(class_names) != names:
            raise ValueError(
                f"{folder} has other classes than the ones given: its labels would not match. "
                f"Received: {len(names)} classes ({', '.join(names[:3])}, ...) for "
                f"{len(class_names)} expected ({', '.join(tuple(class_names)[:3])}, ...)"
            )
        index, shards = _shard(shard, len(paths))
        self.folder, self.class_names = Path(folder), names
        self.image_size = positive_int("image_size", image_size)
        self.paths, self.labels = paths[index::shards], labels[index::shards]

    def __len__(self):
        return len(self.paths)

    def __repr__(self):
        return (
            f"<ImageFolder {self.folder}: {len(self):,} images of {len(self.class_names)} "
            f"classes at {self.image_size}x{self.image_size}>"
        )

    def first(self, count):
        """The same folder with only its first `count` files (a whole number of batches)."""
        copy = object.__new__(ImageFolder)
        copy.__dict__.update(self.__dict__)
        copy.paths, copy.labels = self.paths[:count], self.labels[:count]
        return copy

    def batches(self, batch_size, training, seed=0, flip=True, outputs=1):
        """A tf.data.Dataset of (images, labels) batches: float32 (batch, size, size, 3) scaled by
        `MEAN` and `STD`, int32 labels (repeated as a tuple for a model with several `outputs`).

        Training (`training=True`): endless, one epoch after another, each a fresh order cut to
        whole batches, each image cropped and (with `flip`) mirrored at random, all from `seed`.
        Otherwise: every image once, in order, resized and cropped in the centre."""
        tf = _tensorflow()
        autotune = tf.data.AUTOTUNE
        batch_size = positive_int("batch_size", batch_size)
        paths = tf.constant(self.paths)
        labels = tf.constant(self.labels, tf.int32)
        size, count = self.image_size, len(self.paths)
        if training:
            whole = count - count % batch_size
            if not whole:
                raise ValueError(
                    f"{self.folder} has fewer images than one batch. Received: {count} images, "
                    f"batch_size={batch_size}"
                )

            def epoch(number):  # the images of epoch `number`, in an order of its own
                key = tf.stack([tf.constant(seed, tf.int64), number])
                order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=key)
                return tf.data.Dataset.from_tensor_slices(order[:whole])

            def load(position, index):
                key = tf.stack([tf.constant(seed, tf.int64), position])
                image = _decode(tf, paths[index])
                return train_image(image, key, size, flip=flip), labels[index]

            stream = tf.data.Dataset.counter().flat_map(epoch).enumerate()
            images = stream.map(load, num_parallel_calls=autotune).batch(batch_size, True)
        else:
            images = tf.data.Dataset.from_tensor_slices((paths, labels))
            images = images.map(
                lambda path, label: (eval_image(_decode(tf, path), size), label),
                num_parallel_calls=autotune,
            ).batch(batch_size)
        if outputs > 1:
            images = images.map(lambda x, y: (x, tuple(y for _ in range(outputs))))
        return images.prefetch(autotune)


def _decode(tf, path):
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def crop_box(shape, seed, area=AREA, aspect=ASPECT):
    """The random-resized crop's box in an image of `shape` (height, width, channels): (top,
    left, height, width), a share `area` of the image with width / height in `aspect` (after
    10 failed tries, the whole image). `seed` is a stateless seed: two integers."""
    tf = _tensorflow()
    begin, box, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.cast(shape, tf.int32), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        seed=seed, min_object_covered=0.0, aspect_ratio_range=aspect, area_range=area,
        max_attempts=10, use_image_if_no_bounding_boxes=True,
    )  # fmt: skip
    return begin[0], begin[1], box[0], box[1]


def normalize(image):
    """Pixels 0-255 -> (pixel / 255 - mean) / deviation, per channel."""
    tf = _tensorflow()
    return (tf.cast(image, tf.float32) / 255.0 - tf.constant(MEAN)) / tf.constant(STD)


def train_image(image, seed, size, flip=True, area=AREA, aspect=ASPECT):
    """One training image: a random-resized crop to `size` x `size`, a random flip, normalized;
    `seed` (two integers) fixes both choices."""
    tf = _tensorflow()
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    top, left, height, width = crop_box(tf.shape(image), crop_seed, area, aspect)
    image = tf.image.resize(image[top : top + height, left : left + width], [size, size])
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, flip_seed)
    return normalize(image)


def eval_image(image, size):
    """One validation image: its shorter side resized to size x 256 / 224, the centre
    `size` x `size` cropped, normalized."""
    tf = _tensorflow()
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scaled = tf.cast(
        tf.round(shape * (round(size * RESIZE_SHARE) / tf.reduce_min(shape))), tf.int32
    )
    image = tf.image.resize(image, scaled)
    top, left = (scaled[0] - size) // 2, (scaled[1] - size) // 2
    # the crop's size is known, though slicing at computed offsets hides it: say it, so that a
    # Flatten downstream knows its width (Keras 3.8's cannot flatten a batch of unknown size)
    crop = tf.ensure_shape(
        image[top : top + size, left : left + size], (size, size, image.shape[-1])
    )
    return normalize(crop)


# --- Training on files ---------------------------------------------------------------------------


def train_on_files(model, data, recipe, seed=0, validation=None, verbose=True, callbacks=()):
    """`training.train` on an `ImageFolder` (it calls this): the same trainer (the recipe's
    optimizer and schedule, the loss from the model's output, progress, the NaN check, Ctrl-C),
    fed by `ImageFolder.batches`. An epoch is the folder's images cut to whole batches; the
    held-out images are `validation`, another `ImageFolder` (ImageNet's val/), since a recipe's
    `validation_split` of a folder is not taken here."""
    from . import training
    from .progress import Progress

    if recipe.shift:
        raise ValueError(
            "Shifts by whole pixels are the small images' augmentation (CIFAR); the files are "
            "cropped at random by the pipeline instead: use a recipe with shift=0. "
            f"Received: shift={recipe.shift}"
        )
    if validation is None and recipe.validation_split:
        raise ValueError(
            "Give the held-out images of a folder of files as `validation` (another "
            "ImageFolder, such as ImageNet's val/), with a recipe of validation_split=0. "
            f"Received: validation=None, validation_split={recipe.validation_split:g}"
        )
    expected = tuple(model.input_shape[1:3])
    if expected != (data.image_size, data.image_size):
        raise ValueError(
            f"The model takes {expected[0]}x{expected[1]} images, the folder gives "
            f"{data.image_size}x{data.image_size}: build the ImageFolder with "
            f"image_size={expected[0]}. Received: image_size={data.image_size}"
        )
    steps = len(data) // recipe.batch_size
    if not steps:
        raise ValueError(
            f"{data.folder} has fewer images than one batch. Received: {len(data)} images, "
            f"batch_size={recipe.batch_size}"
        )
    training.compile_for(model, recipe, steps * recipe.epochs)
    outputs = len(model.outputs)
    batches = data.batches(recipe.batch_size, True, seed=seed, flip=recipe.flip, outputs=outputs)
    held = (
        None
        if validation is None
        else validation.batches(recipe.batch_size, False, outputs=outputs)
    )
    training.set_seed(seed)
    progress = Progress(recipe.epochs, kind=None if verbose else "silent")
    started = time.perf_counter()
    with training._Interrupted() as interrupted:
        epochs = training._Epochs(progress, interrupted, recipe, steps)
        model.fit(batches, epochs=recipe.epochs, steps_per_epoch=steps, validation_data=held,
                  shuffle=False, verbose=0, callbacks=[epochs, *callbacks])  # fmt: skip
    seconds = time.perf_counter() - started
    trained = steps * recipe.batch_size
    held_out = 0 if validation is None else len(validation)
    return training.TrainingRun(
        epochs.history, recipe, seconds, trained * recipe.epochs / seconds, trained, held_out
    )


def images_per_second(folder, batch_size=64, batches=20, seed=0):
    """How fast the training pipeline alone delivers `folder`'s images (an `ImageFolder`),
    after one batch to start it: images per second."""
    stream = iter(folder.batches(batch_size, training=True, seed=seed))
    next(stream)
    started = time.perf_counter()
    for _ in range(batches):
        next(stream)
    return batches * batch_size / (time.perf_counter() - started)

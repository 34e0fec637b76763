"""Chapter 6: the five networks side by side.

Two halves, one idea (comparing like with like):

- **As published.** Each paper's network at ImageNet size, counted by `arithmetic.layer_table`
  without allocating its weights (`paper_tables`), beside the errors its paper published
  (`references.IMAGENET_ERRORS`): `paper_table`; and where each network spends its parameters
  and its multiply-accumulates (`spending`).
- **A fair contest on the learner's machine.** The CIFAR-10 versions of the five (`NETWORKS`),
  trained on the same images with the same augmentation and the same recipe (`course.CONTEST`),
  for the same number of epochs (`same_epochs`, whose runs also probe each network's steady
  training speed, `SpeedProbe`) or for the same seconds of training (`same_seconds`: each network
  gets the epochs its first run's whole-run rate, `measured_speeds`, fills the budget with, so
  the recipe's schedule fits the budget).
  `summary` tabulates accuracy with its standard error, parameters, MACs, speed and seconds, and
  `differences` says which gaps are within the noise.
"""

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import data as datasets
from . import references, training
from ._keras import keras
from .arithmetic import layer_table, totals
from .registry import MODELS
from .validation import check_number, is_integer, positive_int


@dataclass(frozen=True)
class Network:
    """One of the five: when it appeared, its key idea, the registered model of its paper
    (counted at ImageNet size, or LeNet-5's own 32x32x1) and of its CIFAR-10 version, and the
    short `key` its metrics are reported under."""

    label: str
    year: int
    idea: str
    paper_model: str
    cifar_model: str
    key: str
    cifar_options: dict = field(default_factory=dict)


NETWORKS = (
    Network("LeNet-5", 1998, "learned convolutions: local receptive fields, shared weights, "
            "sub-sampling", "lenet5", "lenet5_modern", "lenet5", {"input_shape": (32, 32, 3)}),
    Network("AlexNet", 2012, "a big CNN on ImageNet: ReLU, dropout, two GPUs", "alexnet",
            "alexnet_cifar", "alexnet"),
    Network("VGG", 2014, "depth from stacks of 3x3 convolutions", "vgg16", "vgg_cifar", "vgg"),
    Network("GoogLeNet", 2014, "Inception modules: parallel branches behind 1x1 reductions",
            "googlenet", "googlenet_cifar", "googlenet"),
    Network("ResNet", 2015, "residual shortcuts, y = F(x) + x, with batch normalization",
            "resnet50", "resnet20", "resnet20"),
)  # fmt: skip
LABELS = tuple(network.label for network in NETWORKS)
CONV_TYPES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "SparseConv2D")
DENSE_TYPES = ("Dense",)


def network(label):
    """The `Network` called `label` ("LeNet-5", "AlexNet", "VGG", "GoogLeNet" or "ResNet")."""
    for candidate in NETWORKS:
        if candidate.label == label:
            return candidate
    raise ValueError(
        f"There is no network {label!r} in the contest; its networks are "
        f"{', '.join(map(repr, LABELS))}. Received: {label!r}"
    )


# --- As published: the papers' networks and numbers -------------------------------------------
def counted(build, **options):
    """`layer_table` of the model `build(**options)` builds, built without allocating its weights
    (VGG-16's 138 million would take 553 MB), then let go of: a chapter stays under 2 GB."""
    with keras.StatelessScope(initialize_variables=False):
        model = build(**options)
    table = layer_table(model)
    del model
    training.free_memory()
    return table


def paper_tables():
    """{label: layer_table} of each paper's network: LeNet-5 at its own 32x32x1, AlexNet at
    227x227x3 (the size its layer arithmetic needs), the others at 224x224x3."""
    return {n.label: counted(MODELS[n.paper_model]) for n in NETWORKS}


def cifar_table():
    """The contest's CIFAR-10 versions: one row per network, its registered model, parameters
    (all, and trainable) and MACs per 32x32x3 image."""
    rows = []
    for n in NETWORKS:
        counts = totals(counted(MODELS[n.cifar_model], **n.cifar_options))
        rows.append({"network": n.label, "model": n.cifar_model, "params": counts["params"],
                     "trainable": counts["trainable"], "MACs": counts["macs"]})  # fmt: skip
    return pd.DataFrame(rows).set_index("network")


def _published(label, kind):
    rows = [r for r in references.IMAGENET_ERRORS if r["network"] == label and r["kind"] == kind]
    return rows[0] if rows else None


def _percent(value):
    return None if value is None else round(100 * value, 2)


def paper_table(tables):
    """One row per network: year, key idea, what was counted, parameters and MACs per image
    (from `tables`, as `paper_tables` returns them), and the ImageNet errors its paper published
    (%, `references.IMAGENET_ERRORS`): the single model's top-1 and top-5 on the validation set
    and the ensemble's top-5 on the test set. LeNet-5 has no ImageNet result: its MNIST error is
    in `note`."""
    _check_tables(tables)
    rows = []
    for n in NETWORKS:
        counts = totals(tables[n.label])
        single, ensemble = _published(n.label, "single"), _published(n.label, "ensemble")
        shape = tables[n.label]["output_shape"].iloc[0]
        row = {
            "network": n.label, "year": n.year, "key idea": n.idea,
            "counted": f"{n.paper_model} at {'x'.join(map(str, shape))}",
            "params": counts["params"], "MACs": counts["macs"],
            "single": single["entry"] if single else None,
            "single top-1 %": _percent(single and single["top1"]),
            "single top-5 %": _percent(single and single["top5"]),
            "single evaluation": single["evaluation"] if single else None,
            "ensemble": ensemble["entry"] if ensemble else None,
            "ensemble top-5 % (test)": _percent(ensemble and ensemble["test_top5"]),
        }  # fmt: skip
        if single is None:
            errors = references.LENET5["test_error"]
            row["note"] = (
                f"no ImageNet result (1998): MNIST test error {errors['no distortions']:.2%}, "
                f"{errors['with distortions']:.1%} with distorted training digits"
            )
        else:
            row["note"] = f"{single['source']}; {ensemble['source']}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("network")


def _check_tables(tables):
    if not isinstance(tables, dict) or set(tables) != set(LABELS):
        received = sorted(tables) if isinstance(tables, dict) else type(tables).__name__
        raise ValueError(
            f"Pass the layer tables of the five networks, {{label: layer_table}}, as "
            f"`paper_tables()` returns them. Received: {received}"
        )


def spending(tables):
    """Where each network spends its parameters and its multiply-accumulates: the shares in
    convolutions and in fully connected (Dense) layers, the share of its largest layer, and how
    many MACs each parameter does per image (a weight shared over many positions does many)."""
    _check_tables(tables)
    rows = []
    for label, table in tables.items():
        counts = totals(table)
        conv, dense = table["type"].isin(CONV_TYPES), table["type"].isin(DENSE_TYPES)
        largest = table.loc[table["params"].idxmax()]
        rows.append({
            "network": label, "params": counts["params"],
            "params in conv %": round(100 * table.loc[conv, "params"].sum() / counts["params"], 1),
            "params in FC %": round(100 * table.loc[dense, "params"].sum() / counts["params"], 1),
            "largest layer": largest["name"],
            "its params %": round(100 * largest["params"] / counts["params"], 1),
            "MACs": counts["macs"],
            "MACs in conv %": round(100 * table.loc[conv, "macs"].sum() / counts["macs"], 1),
            "MACs in FC %": round(100 * table.loc[dense, "macs"].sum() / counts["macs"], 1),
            "MACs per param": round(counts["macs"] / counts["params"], 1),
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("network")


def convolution_kinds(size=14, channels=256, kernel=3):
    """A standard k x k convolution against its depthwise-separable factorization (MobileNet),
    channels -> channels on a size x size map, no biases, counted by `layer_table`: one row per
    layer of `standard`, `depthwise + pointwise` (two layers) and `SeparableConv2D` (one)."""
    size, channels = positive_int("size", size), positive_int("channels", channels)
    kernel = positive_int("kernel", kernel)
    layers = keras.layers
    inputs = keras.Input((size, size, channels), name="input")

    def model(name, *stack):
        x = inputs
        for layer in stack:
            x = layer(x)
        return keras.Model(inputs, x, name=name)

    models = (
        model("standard", layers.Conv2D(channels, kernel, padding="same", use_bias=False,
                                        name="conv")),
        model("depthwise + pointwise",
              layers.DepthwiseConv2D(kernel, padding="same", use_bias=False, name="depthwise"),
              layers.Conv2D(channels, 1, use_bias=False, name="pointwise")),
        model("SeparableConv2D", layers.SeparableConv2D(channels, kernel, padding="same",
                                                        use_bias=False, name="separable")),
    )  # fmt: skip
    rows = []
    for built in models:
        table = layer_table(built)
        for _, row in table[table["params"] > 0].iterrows():
            rows.append({"kind": built.name, "layer": row["name"], "type": row["type"],
                         "formula": row["formula"], "params": row["params"],
                         "MACs": row["macs"]})  # fmt: skip
    training.free_memory()
    return pd.DataFrame(rows)


# --- What came after, in the same arithmetic ----------------------------------------------------
LATER = (
    ("ResNet-50 v2", 2016, "pre-activation: batch norm and ReLU before each convolution",
     "ResNet50V2"),
    ("DenseNet-121", 2017, "each layer sees the maps of all the layers before it", "DenseNet121"),
    ("MobileNetV2", 2018, "depthwise-separable convolutions in inverted residual blocks",
     "MobileNetV2"),
)  # fmt: skip


def vit_counts(image_size=224, patch=16, width=768, depth=12, mlp=3072, classes=1000):
    """Parameters and multiply-accumulates of a Vision Transformer (Dosovitskiy et al. 2021), by
    hand: `layer_table` has no rule for attention. The same arithmetic: a dense layer has
    (inputs + 1) * units parameters and does inputs * units MACs per token. The defaults are
    ViT-B/16 at 224x224x3: 196 patches of 16x16x3 and one class token. One row per part."""
    for argument, value in (("image_size", image_size), ("patch", patch), ("width", width),
                            ("depth", depth), ("mlp", mlp), ("classes", classes)):  # fmt: skip
        positive_int(argument, value)
    if image_size % patch:
        raise ValueError(
            f"The patches must tile the image: `image_size` must be a multiple of `patch`. "
            f"Received: image_size={image_size}, patch={patch}"
        )
    patches = (image_size // patch) ** 2
    tokens = patches + 1
    rows = [
        ("patch embedding", (patch * patch * 3 + 1) * width, patches * patch * patch * 3 * width),
        ("class token and position embeddings", width + tokens * width, 0),
        (f"{depth} x layer norms (2 per block)", depth * 2 * 2 * width, 0),
        (f"{depth} x attention: q, k, v and output projections", depth * 4 * (width + 1) * width,
         depth * 4 * tokens * width * width),
        (f"{depth} x attention: scores and weighted sums", 0, depth * 2 * tokens * tokens * width),
        (f"{depth} x MLP", depth * ((width + 1) * mlp + (mlp + 1) * width),
         depth * 2 * tokens * width * mlp),
        ("final layer norm", 2 * width, 0),
        ("head (on the class token)", (width + 1) * classes, width * classes),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["part", "params", "MACs"])


def later_tables():
    """{label: layer_table} of each of `LATER` (keras.applications, built without weights)."""
    return {
        label: counted(getattr(keras.applications, application), weights=None)
        for label, _, _, application in LATER
    }


def later_networks(tables, resnet_table=None):
    """What came after, counted: one row per network of `LATER` (`tables`, as `later_tables`
    returns them) and ViT-B/16 (`vit_counts`), after ResNet-50 (`resnet_table`, if given) to
    compare with: year, idea, parameters, trainable, MACs per 224x224 image, how it was counted."""
    rows = []
    if resnet_table is not None:
        rows.append(("ResNet-50", 2015, "residual shortcuts (chapter 5)", totals(resnet_table),
                     "layer_table"))  # fmt: skip
    for label, year, idea, _ in LATER:
        rows.append((label, year, idea, totals(tables[label]), "layer_table"))
    vit = vit_counts()
    counts = {"params": int(vit["params"].sum()), "trainable": int(vit["params"].sum()),
              "macs": int(vit["MACs"].sum())}  # fmt: skip
    rows.append(("ViT-B/16", 2021, "no convolutions: attention between 16x16 patches", counts,
                 "by hand (vit_counts)"))  # fmt: skip
    return pd.DataFrame(
        [{"network": label, "year": year, "idea": idea, "params": c["params"],
          "trainable": c["trainable"], "MACs": c["macs"], "counted": how}
         for label, year, idea, c, how in rows]
    ).set_index("network")  # fmt: skip


# --- The contest --------------------------------------------------------------------------------
# How `course.CONTEST` was chosen: each variant of the recipe trained the five networks for 3
# epochs on 9,000 of the default run's 10,000 training images (seed 0) and was scored on the
# 1,000 held out: `same_epochs(holdout(data.load_cifar10(10_000, 100)), recipe)`, on the course's
# 2-core CPU (TensorFlow 2.21, float32, 2026-12-02). Validation accuracies; `mean` of the five.
RECIPE_TRIALS = (
    {"variant": "batch 128, flips and shifts", "LeNet-5": 0.386, "AlexNet": 0.371, "VGG": 0.429,
     "GoogLeNet": 0.313, "ResNet": 0.485, "mean": 0.3968, "chosen": False},
    {"variant": "batch 128, flips and shifts, learning rate 1e-3", "LeNet-5": 0.348,
     "AlexNet": 0.408, "VGG": 0.417, "GoogLeNet": 0.324, "ResNet": 0.465, "mean": 0.3924,
     "chosen": False},
    {"variant": "batch 64, flips and shifts", "LeNet-5": 0.425, "AlexNet": 0.384, "VGG": 0.418,
     "GoogLeNet": 0.349, "ResNet": 0.534, "mean": 0.422, "chosen": True},
)  # fmt: skip


class SpeedProbe(keras.callbacks.Callback):
    """A run's steady training speed, from a few of its first epoch's batches after a warm-up:
    images/s between the end of batch `warmup` and the end of batch `warmup + batches` (or of
    the epoch's last batch, if it ends sooner). The first step traces or compiles the model,
    and an epoch ends with a validation pass: neither is in the probe.

    It reads the loss at the two ends of the window only, which waits for those steps to finish
    (on a GPU the backend runs ahead of Python); in between it costs nothing."""

    def __init__(self, batch_size, warmup=3, batches=10, clock=time.perf_counter):
        super().__init__()
        self.batch_size = positive_int("batch_size", batch_size)
        self.warmup = positive_int("warmup", warmup)
        self.batches = positive_int("batches", batches)
        self.clock = clock
        self.first = self.last = None  # (batch, time)
        self.epoch, self.seen = None, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch not in (None, 0):
            return
        self.seen = batch + 1
        if batch < self.warmup:
            return
        if self.first is not None and batch - self.first[0] > self.batches:
            return
        if logs and "loss" in logs:
            float(logs["loss"])  # wait for this step to finish
        if self.first is None:
            self.first = (batch, self.clock())
        else:
            self.last = (batch, self.clock())

    @property
    def images_per_second(self):
        if self.first is None or self.last is None:
            raise ValueError(
                f"The speed probe needs at least {self.warmup + 2} batches in the first epoch "
                f"({self.warmup} to warm up, then two to time); train on more images or "
                f"smaller batches. Received: {self.seen} batches"
            )
        images = (self.last[0] - self.first[0]) * self.batch_size
        return images / (self.last[1] - self.first[1])


@dataclass
class Result:
    """One training run of the contest: which network, how it was trained, how it did."""

    network: str
    model: str
    contest: str
    seed: int
    epochs: int
    trained: int  # training images per epoch (the validation share held out)
    seconds: float  # the whole run: tracing, every epoch and its validation pass
    images_per_second: float  # the probe's steady training speed
    test_accuracy: float
    n_test: int
    params: int
    macs: int
    recipe: object = None
    reused: bool = False  # the same run as one made before (same network, recipe and seed)
    history: dict = field(default_factory=dict, repr=False)

    @property
    def images(self):
        """Training images seen in the whole run."""
        return self.epochs * self.trained


def standard_error(accuracy, n_test):
    """The standard error of an accuracy measured on `n_test` images: sqrt(p(1 - p) / n). Two
    accuracies whose difference is within about twice the standard error of that difference,
    sqrt(se1² + se2²), are not told apart by a test set this size."""
    accuracy = check_number("accuracy", accuracy, 0, 1, high_inclusive=True)
    n_test = positive_int("n_test", n_test)
    return math.sqrt(accuracy * (1 - accuracy) / n_test)


def epochs_for(seconds, images_per_second, n_images, recipe, per_epoch=0.0):
    """The whole epochs of `recipe`'s trainer on `n_images` that fill `seconds` of training at
    `images_per_second`, each epoch also costing `per_epoch` seconds; at least 1."""
    seconds = check_number("seconds", seconds, 0, low_inclusive=False)
    speed = check_number("images_per_second", images_per_second, 0, low_inclusive=False)
    per_epoch = check_number("per_epoch", per_epoch, 0)
    n_images = positive_int("n_images", n_images)
    trained = training.split(n_images, recipe.batch_size, recipe.validation_split)[0]
    return max(1, round(seconds / (trained / speed + per_epoch)))


def _check_networks(networks):
    chosen = tuple(networks)
    if not chosen or not all(isinstance(n, Network) for n in chosen):
        raise ValueError(
            "`networks` must be some of `contest.NETWORKS`, e.g. NETWORKS[:2]. "
            f"Received: networks={networks!r}"
        )
    return chosen


def _check_seeds(seeds):
    seeds = (seeds,) if is_integer(seeds) else tuple(seeds)
    if not seeds:
        raise ValueError(f"Give at least one seed, e.g. seeds=(0,). Received: seeds={seeds!r}")
    return tuple(positive_int("seeds", seed, minimum=0) for seed in seeds)


def holdout(data, share=0.1):
    """`data` (a `data.Dataset`) with its test images replaced by the last `share` of its
    training images, which no longer train: what the contest's recipe was chosen on
    (`RECIPE_TRIALS`), so that the test set is touched once, at the end."""
    share = check_number("share", share, 0, 1, low_inclusive=False)
    n = len(data.y_train)
    held = math.ceil(n * share)
    if held >= n:
        raise ValueError(
            f"Holding out {share:.0%} of {n:,} training images leaves none to train on. "
            f"Received: share={share}"
        )
    x, y = data.x_train, data.y_train
    return datasets.Dataset(data.name, x[: n - held], y[: n - held], x[n - held :],
                            y[n - held :], data.source)  # fmt: skip


def train_one(network, data, recipe, seed=0, contest="", verbose=True):
    """Train `network`'s CIFAR model on `data` (a `data.Dataset`) with `recipe` and `seed`,
    probe its speed, test it once; a `Result`. The model is let go of afterwards."""
    training.set_seed(seed)
    model = MODELS[network.cifar_model](**network.cifar_options)
    counts = totals(layer_table(model))
    probe = SpeedProbe(recipe.batch_size)
    run = training.train(model, data, recipe, seed=seed, verbose=False, callbacks=[probe])
    accuracy, _ = training.evaluate(model, data.x_test, data.y_test)
    result = Result(
        network.label, network.cifar_model, contest, seed, recipe.epochs, run.trained,
        run.seconds, probe.images_per_second, accuracy, len(data.y_test), counts["params"],
        counts["macs"], recipe, history=run.history,
    )  # fmt: skip
    del model
    training.free_memory()
    if verbose:
        print(f"{network.label:<10} seed {seed}: {result.epochs:>3} epochs of {result.trained:,} "
              f"images in {result.seconds:5.1f} s ({result.images_per_second:,.0f} images/s), "
              f"test accuracy {accuracy:.2%}", flush=True)  # fmt: skip
    return result


def same_epochs(data, recipe, seeds=(0,), networks=NETWORKS, verbose=True):
    """Every network for `recipe.epochs` epochs, once per seed: a list of `Result`s, whose
    `images_per_second` (the probe's) sizes `same_seconds`."""
    networks, seeds = _check_networks(networks), _check_seeds(seeds)
    return [
        train_one(n, data, recipe, seed, "same epochs", verbose) for n in networks for seed in seeds
    ]


def measured_speeds(results):
    """{network: images/s}, the median over each network's runs in `results` of its whole-run
    rate: the images it trained on over the seconds its run took, everything included (tracing
    the training step, each epoch's augmentation and set-up, a busy machine), which the probe's
    steady speed (`Result.images_per_second`) leaves out. It is what sizes a budget of seconds."""
    found = {}
    for result in results:
        found.setdefault(result.network, []).append(result.images / result.seconds)
    return {label: float(np.median(values)) for label, values in found.items()}


def same_seconds(
    data, recipe, seconds, speeds, seeds=(0,), networks=NETWORKS, earlier=(), verbose=True
):
    """Every network for about `seconds` of training, once per seed: the whole epochs that its
    speed (`speeds[label]`, images/s, e.g. `measured_speeds(same_epochs(...))`) fills the budget
    with, so that the recipe's schedule, sized in steps, ends when the budget does. A list of
    `Result`s, with the seconds each run actually took.

    `earlier` holds runs already made on the same `data` (e.g. `same_epochs`'s): where one has
    the network, recipe (epochs included) and seed a run would have, it is that run (on a CPU,
    bit for bit), so its result is reused, marked `reused`, instead of trained again."""
    networks, seeds = _check_networks(networks), _check_seeds(seeds)
    check_number("seconds", seconds, 0, low_inclusive=False)
    missing = [n.label for n in networks if n.label not in speeds]
    if missing:
        raise ValueError(
            f"`speeds` has no training speed for {', '.join(missing)}: measure it first, e.g. "
            f"speeds = contest.measured_speeds(contest.same_epochs(...)). Received: speeds for "
            f"{sorted(speeds)}"
        )
    made = {(r.network, r.recipe, r.seed, r.n_test): r for r in earlier}
    results = []
    for n in networks:
        epochs = epochs_for(seconds, speeds[n.label], len(data.y_train), recipe)
        budgeted = recipe.replace(epochs=epochs)
        for seed in seeds:
            same = made.get((n.label, budgeted, seed, len(data.y_test)))
            if same is None:
                results.append(train_one(n, data, budgeted, seed, "same seconds", verbose))
                continue
            results.append(dataclasses.replace(same, contest="same seconds", reused=True))
            if verbose:
                print(f"{n.label:<10} seed {seed}: {budgeted.epochs:>3} epochs, the same run as "
                      f"before (test accuracy {same.test_accuracy:.2%})", flush=True)  # fmt: skip
    return results


def summary(results):
    """One row per contest and network: epochs, images seen, seconds, probe images/s, test
    accuracy (the mean over seeds) with its spread over seeds (their standard deviation, where
    there are several) and its standard error from the test set's size, parameters and MACs per
    image."""
    if not results or not all(isinstance(r, Result) for r in results):
        raise ValueError(
            "`summary` needs the list of `Result`s that `same_epochs` or `same_seconds` return. "
            f"Received: {type(results).__name__} of {len(results) if results else 0}"
        )
    groups = {}
    for result in results:
        groups.setdefault((result.contest, result.network), []).append(result)
    rows = []
    for (contest, label), runs in groups.items():
        accuracy = float(np.mean([r.test_accuracy for r in runs]))
        spread = float(np.std([r.test_accuracy for r in runs], ddof=1)) if len(runs) > 1 else None
        rows.append({
            "contest": contest, "network": label, "seeds": len(runs), "epochs": runs[0].epochs,
            "images": runs[0].images, "seconds": round(float(np.mean([r.seconds for r in runs])), 1),
            "images/s": round(float(np.median([r.images_per_second for r in runs]))),
            "test accuracy": round(accuracy, 4),
            "spread over seeds": None if spread is None else round(spread, 4),
            "standard error": round(standard_error(accuracy, runs[0].n_test), 4),
            "params": runs[0].params, "MACs": runs[0].macs,
        })  # fmt: skip
    return pd.DataFrame(rows)


def differences(table, contest):
    """Each pair of networks in `contest` (a `summary` table's "same epochs" or "same seconds"):
    the difference of their test accuracies, its standard error sqrt(se1² + se2²) from the
    test set's size, and whether the difference is beyond twice that ("real") or not ("noise")."""
    rows = table[table["contest"] == contest].set_index("network")
    if rows.empty:
        raise ValueError(
            f"The summary has no contest {contest!r}; it has "
            f"{', '.join(map(repr, table['contest'].unique()))}. Received: {contest!r}"
        )
    pairs = []
    labels = list(rows.index)
    for i, first in enumerate(labels):
        for second in labels[i + 1 :]:
            difference = rows.loc[first, "test accuracy"] - rows.loc[second, "test accuracy"]
            error = math.hypot(
                rows.loc[first, "standard error"], rows.loc[second, "standard error"]
            )
            pairs.append({
                "pair": f"{first} - {second}", "difference": round(difference, 4),
                "standard error": round(error, 4),
                "verdict": "real" if abs(difference) > 2 * error else "noise",
            })  # fmt: skip
    return pd.DataFrame(pairs)


def ranking(table, contest):
    """`contest`'s networks (a `summary` table's "same epochs" or "same seconds") from the best
    test accuracy down, in one line: ">" between two neighbours whose difference is beyond twice
    its standard error (`differences`), "≈" where it is within the noise of the test set."""
    rows = table[table["contest"] == contest].sort_values("test accuracy", ascending=False)
    if rows.empty:
        differences(table, contest)  # raises the error that names the contests there are
    line = ""
    previous = None
    for _, row in rows.iterrows():
        if previous is not None:
            gap = previous["test accuracy"] - row["test accuracy"]
            error = math.hypot(previous["standard error"], row["standard error"])
            line += " > " if gap > 2 * error else " ≈ "
        line += f"{row['network']} {row['test accuracy']:.1%}"
        previous = row
    return line


def metrics(results):
    """What the chapter reports, for `training.report`: each network's test accuracy per budget
    (`<key>_epochs_test_accuracy`, `<key>_seconds_test_accuracy`, the mean over seeds), and per
    contest the seconds each network's run took and its epochs (`same_epochs_run_seconds`,
    `same_seconds_run_epochs`, ...)."""
    table = summary(results)
    keys = {n.label: n.key for n in NETWORKS}
    found = {}
    for _, row in table.iterrows():
        key, contest = keys[row["network"]], row["contest"].replace(" ", "_")
        found[f"{key}_{contest.removeprefix('same_')}_test_accuracy"] = row["test accuracy"]
        found.setdefault(f"{contest}_run_seconds", {})[key] = row["seconds"]
        found.setdefault(f"{contest}_run_epochs", {})[key] = int(row["epochs"])
    return found

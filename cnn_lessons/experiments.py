"""The papers' claims as experiments, each at three sizes: `quick` and `default`, the learner's
own short run in the chapter, and `long`, run once with `cnn-lessons experiment NAME`, its
result committed as data in `cnn_lessons/results/NAME.json` (the curves, the exact command, the
code version, the machine, the date and the wall time), which the chapter plots beside the
learner's run.

- `relu_tanh` (chapter 2, AlexNet's Figure 1): epochs a four-layer network needs to reach 25 %
  training error on CIFAR-10 with ReLU and with tanh, under the paper's initialization and input
  scale and under Keras's defaults, each activation at its fastest learning rate.
- `regularization` (chapter 2, AlexNet's sections 4.1 and 4.2): the gap between accuracy on
  the training images and on held-out ones, without regularization, with dropout and with
  random crops and flips, at a size where the network memorises its training images.
- `vgg_depth` (chapter 3, VGG's section 3.1): the shallowest and deepest columns, A and E,
  without batch normalization from random weights, E started from A's trained layers as the
  paper did, and both with batch normalization, which removes the need.
- `degradation` (chapter 5, ResNet's Figure 6): the training error of plain and residual
  networks of 20 and 56 layers, trained on the same batches in the same order.
- `resnet_depth` (chapter 5, Figure 6's right panel): the same measure for ResNet-20 and
  ResNet-56 alone, with the paper's flips and shifts and four times the iterations, to see
  whether the deeper network passes the shallower one with more training.

Every run is in float32 (as the papers were) whatever the chapter's precision, so that a result
does not depend on the CPU it ran on. The test set is never used: both measures are training
errors, as in the papers' figures, or accuracies on held-out training images.
"""

import dataclasses
import datetime
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

from .validation import check_choice

RESULTS = Path(__file__).parent / "results"
SIZES = ("quick", "default", "long")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A named experiment: its chapter, the claim it tests, the function that runs it and its
    settings at each of `SIZES`."""

    name: str
    chapter: str
    claim: str
    function: str
    sizes: dict

    def settings(self, size):
        return dict(self.sizes[check_choice("size", size, SIZES)])


# --- AlexNet, Figure 1 ---------------------------------------------------------------------------

THRESHOLD = 0.25  # Figure 1: epochs to reach 25 % training error


def paper_inputs(x):
    """The paper's input (section 2): raw pixel values, 0-255, less the mean image of the
    training images, from `cnn_lessons.data`'s [0, 1] floats."""
    x = np.asarray(x, dtype="float32") * 255.0
    return x - x.mean(axis=0)


def epochs_to(errors, threshold=THRESHOLD):
    """The first epoch (counted from 1) whose training error is at most `threshold`, or None."""
    reached = np.flatnonzero(np.asarray(errors) <= threshold)
    return int(reached[0]) + 1 if len(reached) else None


def relu_tanh(n_images, epochs, rates, conditions=("paper", "glorot"), batch_size=128, seed=0,
              data_dir=None, verbose=True):  # fmt: skip
    """Train `alexnet.figure1_network` with plain SGD (momentum 0.9, a constant learning rate,
    batches of `batch_size`, no weight decay, no augmentation) for `epochs` on `n_images`
    CIFAR-10 training images, for each condition, activation and learning rate of
    `rates[condition][activation]`. The same seed gives every run the same images in the same
    order. Returns {"curves": {"condition/activation/rate": training error per epoch},
    "seconds": {same keys: wall time}}; the training error of an epoch is the share of its
    images misclassified while it trains, the measure of Figure 1."""
    from . import alexnet, data, training
    from .recipes import Recipe

    cifar = data.load_cifar10(n_train=n_images, n_test=1, seed=seed, data_dir=data_dir)
    curves, seconds = {}, {}
    for condition in conditions:
        check_choice("condition", condition, ("paper", "glorot"))
        x = paper_inputs(cifar.x_train) if condition == "paper" else cifar.x_train
        for activation in ("relu", "tanh"):
            for rate in rates[condition][activation]:
                key = f"{condition}/{activation}/{rate:g}"
                training.free_memory()
                training.set_seed(seed)
                model = alexnet.figure1_network(activation, initializer=condition)
                recipe = Recipe(optimizer="sgd", learning_rate=rate, momentum=0.9,
                                schedule="constant", batch_size=batch_size, epochs=epochs,
                                validation_split=0.0)  # fmt: skip
                run = training.train(model, (x, cifar.y_train), recipe, seed=seed, verbose=False)
                curves[key] = [round(1.0 - a, 5) for a in run.history["accuracy"]]
                seconds[key] = round(run.seconds, 1)
                if verbose:
                    reached = epochs_to(curves[key])
                    print(f"{key:>20}: training error {curves[key][-1]:.1%} after {epochs} epochs, "
                          f"25 % {f'in epoch {reached}' if reached else 'not reached'} "
                          f"({run.seconds:.0f} s)", flush=True)  # fmt: skip
    return {"curves": curves, "seconds": seconds}


def fastest(curves, condition, activation, threshold=THRESHOLD):
    """(key, epochs to `threshold`) of the fastest learning rate tried for `condition` and
    `activation`, as the paper chose each network's rate "to make training as fast as
    possible"; a rate that never reaches it ranks by its last error."""
    keys = [k for k in curves if k.startswith(f"{condition}/{activation}/")]
    if not keys:
        raise ValueError(f"No curve for {condition}/{activation}. Received: {sorted(curves)}")

    def rank(key):
        reached = epochs_to(curves[key], threshold)
        return (reached is None, reached or 0, curves[key][-1])

    best = min(keys, key=rank)
    return best, epochs_to(curves[best], threshold)


# --- AlexNet, sections 4.1 and 4.2: dropout and data augmentation -------------------------------

ARMS = {"none": {}, "dropout": {"dropout": True}, "augmentation": {"flip": True, "shift": 4}}


def regularization(n_images, n_held, epochs, arms=tuple(ARMS), dropout=0.5, batch_size=128,
                   learning_rate=1e-3, seed=0, data_dir=None, verbose=True):  # fmt: skip
    """Train `alexnet.alexnet_cifar` for `epochs` on the first `n_images` of `n_images + n_held`
    CIFAR-10 training images and measure it after every epoch on the other `n_held` (held out;
    the test set is not used), once per arm of `ARMS`: no regularization, dropout after fc6 and
    fc7 at the rate `dropout` (the paper's 0.5), or random crops (shifts of up to 4 pixels) and
    mirror images. Adam at a constant `learning_rate`; the same seed gives every arm the same
    initial weights and the same order of images. Returns {"curves": {arm: `epoch_curves`},
    "final_train": {arm: training accuracy after the last epoch, measured as at test time},
    "seconds": {arm: wall time}}."""
    from . import alexnet, training
    from .recipes import Recipe

    arms = [check_choice("arm", arm, tuple(ARMS)) for arm in arms]  # before any work
    (x, y), held = _trained_and_held_out(n_images, n_held, seed, data_dir)
    curves, final_train, seconds = {}, {}, {}
    for arm in arms:
        settings = ARMS[arm]
        training.free_memory()
        training.set_seed(seed)
        model = alexnet.alexnet_cifar(dropout=dropout if settings.get("dropout") else 0.0)
        recipe = Recipe(optimizer="adam", learning_rate=learning_rate, schedule="constant",
                        batch_size=batch_size, epochs=epochs, validation_split=0.0,
                        flip=settings.get("flip", False), shift=settings.get("shift", 0))  # fmt: skip
        run = training.train(model, (x, y), recipe, seed=seed, validation=held, verbose=False)
        curves[arm] = epoch_curves(run.history)
        final_train[arm] = round(training.evaluate(model, x, y)[0], 5)
        seconds[arm] = round(run.seconds, 1)
        if verbose:
            mean, error = held_out_accuracy(curves[arm]["held_out"], n_held)
            print(f"{arm:>12}: {epochs} epochs in {run.seconds:.0f} s; training accuracy "
                  f"{final_train[arm]:.1%}, held-out {mean:.1%} ± {error:.1%} over the last "
                  f"quarter of the epochs", flush=True)  # fmt: skip
    return {"curves": curves, "final_train": final_train, "seconds": seconds}


def _trained_and_held_out(n_images, n_held, seed, data_dir):
    """The first `n_images` of `n_images + n_held` CIFAR-10 training images, to train on, and the
    other `n_held`, to measure on, each as (x, y): the test set stays untouched."""
    from . import data

    cifar = data.load_cifar10(n_train=n_images + n_held, n_test=1, seed=seed, data_dir=data_dir)
    x, y = cifar.x_train, cifar.y_train
    return (x[:n_images], y[:n_images]), (x[n_images:], y[n_images:])


def epoch_curves(history):
    """A run's curves per epoch: "train", the accuracy on the training images during each epoch;
    "held_out", the accuracy on the held-out images after it; "held_out_loss", their loss."""
    keys = {"train": "accuracy", "held_out": "val_accuracy", "held_out_loss": "val_loss"}
    return {name: [round(value, 5) for value in history[key]] for name, key in keys.items()}


def quarter(values):
    """The last quarter of a run's per-epoch values (at least one), as floats."""
    return np.asarray(values[-max(1, len(values) // 4) :], dtype=float)


def held_out_accuracy(accuracies, n_held):
    """The mean held-out accuracy over the last quarter of the epochs (at least one), and its
    noise: one binomial standard error for `n_held` images, sqrt(p (1 - p) / n). The epochs'
    accuracies are measured on the same images, so averaging them smooths the run's wobble but
    does not shrink this error."""
    mean = float(quarter(accuracies).mean())
    return mean, float(np.sqrt(mean * (1 - mean) / n_held))


def gap_table(result, arms=None):
    """One row per arm of a `regularization` result (all, or `arms`): the training accuracy
    after the last epoch (as at test time), the held-out accuracy and its standard error
    (`held_out_accuracy`) and the gap between the two, in percent, rounded to 0.1, and the
    held-out loss over the same epochs."""
    import pandas as pd

    n_held = result["settings"]["n_held"]
    rows = {}
    for arm in arms or result["curves"]:
        held, error = held_out_accuracy(result["curves"][arm]["held_out"], n_held)
        train = result["final_train"][arm]
        rows[arm] = {
            "training %": train,
            "held-out %": held,
            "± %": error,
            "gap (points)": train - held,
        }
    table = (100 * pd.DataFrame(rows).T).round(1)
    # The held-out cross-entropy over the same epochs: a memorising network grows overconfident
    # on images it has not seen, and its held-out loss rises while its accuracy stands still.
    losses = [quarter(result["curves"][arm]["held_out_loss"]).mean() for arm in table.index]
    table["held-out loss"] = np.round(losses, 2)
    return table


# --- VGG, section 3.1: training the deep columns --------------------------------------------------

DEPTH_ARMS = ("A", "E", "E from A", "A with BN", "E with BN")
# Section 3.1: the deeper nets started with "the first four convolutional layers and the last
# three fully-connected layers" of the trained net A, the others random. These are their names
# in both columns (the first layer of each block keeps its name and shape from A to E).
FROM_A = ("conv1_1", "conv2_1", "conv3_1", "conv3_2", "fc6", "fc7", "fc8")


def vgg_depth(n_images, n_held, epochs, arms=DEPTH_ARMS, from_a=FROM_A, width=16, batch_size=64,
              learning_rate=1e-3, flip=False, shift=0, seed=0, data_dir=None,
              verbose=True):  # fmt: skip
    """Train `vgg.vgg_cifar` columns A and E for `epochs` on the first `n_images` of
    `n_images + n_held` CIFAR-10 training images and measure them after every epoch on the other
    `n_held` (held out; the test set is not used), once per arm of `DEPTH_ARMS`: A and E without
    batch normalization from random weights (Keras's Glorot initialization), E started from the
    trained A's layers named in `from_a` (the paper's, `FROM_A`, or some of them; the rest
    random; "E from A" needs the "A" arm, which trains first), and A and E with batch
    normalization. Adam at a constant `learning_rate`, no dropout, so that only depth,
    initialization and normalization differ; `flip` and `shift` augment every arm's images as
    the paper's crops and mirror images did. The same seed gives every arm the same order of
    images. Returns {"curves": {arm: `epoch_curves`}, "seconds": {arm: wall time}}."""
    from . import training, vgg
    from .recipes import Recipe

    arms = [check_choice("arm", arm, DEPTH_ARMS) for arm in arms]  # before any work
    if "E from A" in arms and "A" not in arms:
        raise ValueError(
            f"The arm 'E from A' starts from the trained A: add the arm 'A'. Received: arms={arms}"
        )
    arms = [arm for arm in DEPTH_ARMS if arm in arms]  # A before E from A
    unknown = sorted(set(from_a) - set(FROM_A))
    if unknown:
        raise ValueError(
            f"E can start only from A's layers of the same name and shape, {', '.join(FROM_A)}. "
            f"Received: from_a={tuple(from_a)}"
        )
    (x, y), held = _trained_and_held_out(n_images, n_held, seed, data_dir)
    recipe = Recipe(optimizer="adam", learning_rate=learning_rate, schedule="constant",
                    batch_size=batch_size, epochs=epochs, validation_split=0.0, flip=flip,
                    shift=shift)  # fmt: skip
    curves, seconds, trained_a = {}, {}, None
    for arm in arms:
        training.free_memory()
        training.set_seed(seed)
        model = vgg.vgg_cifar(arm[0], width=width, dropout=0.0, batch_norm=arm.endswith("BN"))
        if arm == "E from A":
            for name in from_a:
                model.get_layer(name).set_weights(trained_a[name])
        run = training.train(model, (x, y), recipe, seed=seed, validation=held, verbose=False)
        if arm == "A":
            trained_a = {name: model.get_layer(name).get_weights() for name in FROM_A}
        curves[arm] = epoch_curves(run.history)
        seconds[arm] = round(run.seconds, 1)
        if verbose:
            mean, error = held_out_accuracy(curves[arm]["held_out"], n_held)
            print(f"{arm:>10}: {epochs} epochs in {run.seconds:.0f} s; training accuracy "
                  f"{curves[arm]['train'][-1]:.1%} in the last epoch, held-out {mean:.1%} ± "
                  f"{error:.1%} over the last quarter", flush=True)  # fmt: skip
    return {"curves": curves, "seconds": seconds}


def depth_table(result):
    """One row per arm of a `vgg_depth` result: the training accuracy of the last epoch (during
    it), the held-out accuracy after the first epoch (where starting from A's layers shows) and
    over the last quarter with its standard error (`held_out_accuracy`), in percent."""
    import pandas as pd

    n_held = result["settings"]["n_held"]
    rows = {}
    for arm, curves in result["curves"].items():
        held, error = held_out_accuracy(curves["held_out"], n_held)
        rows[arm] = {"training % (last epoch)": curves["train"][-1],
                     "held-out % (first epoch)": curves["held_out"][0],
                     "held-out %": held, "± %": error}  # fmt: skip
    return (100 * pd.DataFrame(rows).T).round(1)


# --- ResNet, Figure 6 ----------------------------------------------------------------------------


def degradation(n_images, passes, depths=(20, 56), batch_size=32, learning_rate=0.025, warmup=20,
                milestones=(), networks=("plain", "ResNet"), flip=False, shift=0, seed=0,
                data_dir=None, verbose=True):  # fmt: skip
    """Train `networks` (plain and residual `resnet.resnet_cifar`) of each depth with
    `residual.training_errors` (the paper's SGD, momentum 0.9, Keras's weight decay 1e-4, the
    learning rate warmed up over `warmup` iterations and divided by 10 at `milestones`, batches
    flipped and shifted by up to `shift` pixels if asked) for `passes` passes over `n_images`
    CIFAR-10 training images, all on the same batches in the same order.
    Returns {"curves": {"plain-20": training error of each batch, ...}, "seconds": {...}}."""
    from . import data, residual, resnet, training

    networks = [networks] if isinstance(networks, str) else networks
    networks = [check_choice("networks", n, ("plain", "ResNet")) for n in networks]  # before work
    cifar = data.load_cifar10(n_train=n_images, n_test=1, seed=seed, data_dir=data_dir)
    curves, seconds = {}, {}
    for network in networks:
        for depth in depths:
            name = f"{network}-{depth}"
            training.free_memory()
            training.set_seed(seed)
            model = resnet.resnet_cifar(depth, plain=network == "plain")
            started = time.perf_counter()
            errors = residual.training_errors(
                model, cifar.x_train, cifar.y_train, batch_size=batch_size,
                learning_rate=learning_rate, passes=passes, warmup=warmup,
                milestones=milestones, seed=seed, flip=flip, shift=shift,
            )  # fmt: skip
            curves[name] = [round(e, 5) for e in errors]
            seconds[name] = round(time.perf_counter() - started, 1)
            if verbose:
                mean, error = last_quarter(errors)
                print(f"{name:>9}: {len(errors)} iterations in {seconds[name]:.0f} s, training "
                      f"error over the last quarter {mean:.1%} ± {error:.1%}", flush=True)  # fmt: skip
    return {"curves": curves, "seconds": seconds}


def last_quarter(errors):
    """Mean and standard error of the last quarter of a run's per-batch training errors."""
    last = np.asarray(errors[-max(2, len(errors) // 4) :], dtype=float)
    return float(last.mean()), float(last.std(ddof=1) / np.sqrt(len(last)))


def share_above(higher, lower, window=20):
    """The share of iterations at which the `window`-iteration mean of `higher` is above that of
    `lower`: 1.0 is "above over the whole run"."""
    from .residual import window_band

    return float(np.mean(window_band(higher, window)[0] > window_band(lower, window)[0]))


def below_from(lower, higher, window=20):
    """The first iteration (counted from 1) from which the `window`-iteration mean of `lower`
    stays below that of `higher` to the end of the run, or None if it is not below at the end:
    where one curve passes the other for good."""
    from .residual import window_band

    below = window_band(lower, window)[0] < window_band(higher, window)[0]
    if not below[-1]:
        return None
    above = np.flatnonzero(~below)
    return int(above[-1]) + 2 if len(above) else 1


# --- the registry, running and the committed results ---------------------------------------------

_AUGMENTED_RESNETS = {"networks": ("ResNet",), "flip": True, "shift": 4}  # resnet_depth's sizes

EXPERIMENTS = {
    "relu_tanh": Experiment(
        "relu_tanh",
        "02_alexnet",
        "ReLU reaches 25 % training error several times sooner than tanh (AlexNet, Figure 1)",
        "relu_tanh",
        {
            "quick": {
                "n_images": 2000,
                "epochs": 3,
                "conditions": ("paper",),
                "rates": {"paper": {"relu": (0.001,), "tanh": (0.01,)}},
            },
            "default": {
                "n_images": 5000,
                "epochs": 12,
                "conditions": ("paper",),
                "rates": {"paper": {"relu": (0.001,), "tanh": (0.01,)}},
            },
            "long": {
                "n_images": 10000,
                "epochs": 25,
                "conditions": ("paper", "glorot"),
                "rates": {
                    "paper": {"relu": (0.001, 0.003), "tanh": (0.01, 0.02)},
                    "glorot": {"relu": (0.01, 0.03), "tanh": (0.01, 0.03)},
                },
            },
        },
    ),
    "regularization": Experiment(
        "regularization",
        "02_alexnet",
        "dropout and random crops and flips reduce overfitting (AlexNet, sections 4.1 and 4.2)",
        "regularization",
        {
            "quick": {"n_images": 256, "n_held": 200, "epochs": 2},
            "default": {"n_images": 1000, "n_held": 500, "epochs": 16},
            "long": {"n_images": 2000, "n_held": 1000, "epochs": 60},
        },
    ),
    "vgg_depth": Experiment(
        "vgg_depth",
        "03_vgg",
        "deep plain nets stall from random weights; starting from A's layers or batch "
        "normalization lets E train (VGG, section 3.1)",
        "vgg_depth",
        {
            "quick": {"n_images": 512, "n_held": 256, "epochs": 2, "arms": ("A", "E", "E from A")},
            "default": {"n_images": 2000, "n_held": 500, "epochs": 6},
            "long": {"n_images": 9000, "n_held": 1000, "epochs": 30},
        },
    ),
    "degradation": Experiment(
        "degradation",
        "05_resnet",
        "plain-56 trains worse than plain-20; ResNet-56 better than ResNet-20 (ResNet, Figure 6)",
        "degradation",
        {
            # quick: 8 and 14 layers, a smoke test (tracing a 56-layer training step takes 10 s)
            "quick": {"n_images": 320, "passes": 2, "depths": (8, 14)},
            "default": {"n_images": 800, "passes": 8, "depths": (20, 56)},
            "long": {"n_images": 4000, "passes": 8, "depths": (20, 56), "milestones": (0.5, 0.75)},
        },
    ),
    "resnet_depth": Experiment(
        "resnet_depth",
        "05_resnet",
        "with shortcuts the deeper network trains better: ResNet-56 below ResNet-20 (ResNet, "
        "Figure 6, right)",
        "degradation",
        {
            # the paper's flips and 4-pixel shifts, and four times the degradation run's
            # iterations: in that run ResNet-56 started slower and was still behind at its end
            "quick": {"n_images": 320, "passes": 2, "depths": (8, 14), **_AUGMENTED_RESNETS},
            "default": {
                "n_images": 800,
                "passes": 8,
                "depths": (20, 56),
                "milestones": (0.5, 0.75),
                **_AUGMENTED_RESNETS,
            },
            "long": {
                "n_images": 4000,
                "passes": 32,
                "depths": (20, 56),
                "milestones": (0.5, 0.75),
                **_AUGMENTED_RESNETS,
            },
        },  # fmt: skip
    ),
}


def get(name):
    if name not in EXPERIMENTS:
        raise ValueError(
            f"Unknown experiment: choose one of {', '.join(EXPERIMENTS)}. Received: name={name!r}"
        )
    return EXPERIMENTS[name]


def _code_version():
    """The git commit of the package's checkout (with "+changes" if a tracked file of the
    package differs from it; a new result file beside the others does not count), or the package
    version where it is not a checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "cnn_lessons"],
                               capture_output=True, text=True, timeout=10).stdout.strip()  # fmt: skip
        return commit + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return f"cnn-lessons {version('cnn-lessons')}"


def _machine():
    from . import training
    from ._keras import keras

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "device": training.accelerator(),
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "python": platform.python_version(), "precision": "float32",
    }  # fmt: skip


def run(name, size="default", data_dir=None, verbose=True, **overrides):
    """Run experiment `name` at `size` (settings changed by `overrides`); return its result: the
    curves and wall times with the settings, the command that repeats it, the code version, the
    machine, the date and the total wall time."""
    from .precision import policy

    experiment = get(name)
    settings = {**experiment.settings(size), **overrides}
    function = globals()[experiment.function]
    version = _code_version()  # before the run: the code that runs, not what changed since
    started = time.perf_counter()
    with policy("float32"):
        result = function(**settings, data_dir=data_dir, verbose=verbose)
    command = f"cnn-lessons experiment {name}" + ("" if size == "long" else f" --size {size}")
    if overrides:  # the command line has no flag for them: record the call that repeats the run
        arguments = "".join(f", {key}={value!r}" for key, value in overrides.items())
        command = f"experiments.run({name!r}, {size!r}{arguments})"
    return {
        "experiment": name, "chapter": experiment.chapter, "claim": experiment.claim,
        "size": size, "settings": _jsonable(settings), "command": command,
        "code_version": version, "machine": _machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - started, 1), **result,
    }  # fmt: skip


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def save(result, folder=RESULTS):
    """Write `result` to `folder/NAME.json` (NAME_SIZE.json for a size other than long),
    atomically: an interrupted write leaves the previous file as it was."""
    from .files import replacing

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = result["experiment"] + ("" if result["size"] == "long" else f"_{result['size']}")
    path = folder / f"{stem}.json"
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(result, indent=1) + "\n")
    return path


def load(name, folder=RESULTS):
    """The committed long result of experiment `name`, as `run` returned it."""
    get(name)
    path = Path(folder) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"No result of experiment {name!r} in {folder}: run `cnn-lessons experiment {name}` "
            f"to make one. Received: folder={str(folder)!r}"
        )
    return json.loads(path.read_text())

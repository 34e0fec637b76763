"""Training speed of the chapters' models, and time to each chapter's stated accuracy, on any backend.

    python benchmarks/speed.py                      # images/s and time to accuracy, reduced sizes
    python benchmarks/speed.py --compare            # + ours vs keras.applications, and the
                                                    #   chapters' loop vs a plain model.fit
    python benchmarks/speed.py --defaults           # + the CPU default candidates
    KERAS_BACKEND=jax python benchmarks/speed.py    # the same on JAX; on a GPU: full sizes,
                                                    #   mixed precision, the GPU targets

Per model it prints a table and writes JSON (--output): the median training images/s over
steady-state steps (after warm-up; each step synchronised by reading its loss), the seconds of
training until the test accuracy first reaches the chapter's stated accuracy, peak memory (process
RSS, and the accelerator's where the backend reports it), backend, device, batch size, precision.

Time to accuracy: each model trains epoch by epoch for at most a time budget, its learning rate
following a cosine over that budget in wall-clock time (so the schedule fits any machine), and is
evaluated on the test set after every epoch. The clock counts every training second and no
evaluation; the one-time compilation of the training step runs before it (reported beside it).
On a CPU the sizes are reduced (2,000 images) and the target is the chapter's quick-mode floor;
on a GPU (or with --accuracy full) the models train on all the images there are, to the chapters'
stated accuracies, and LeNet-5 (modern) and ResNet-20 carry the GPU targets: 99.0 % within 15 s
on full MNIST, 75 % within 60 s on the CIFAR-10 subset. Results: benchmarks/RESULTS.md.
"""

import argparse
import json
import math
import platform
import resource
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from cnn_lessons import MODELS, data, training  # noqa: E402
from cnn_lessons.layers import rbf_loss  # noqa: E402

# Per chapter model: its data, batch size, optimizer, and the accuracy it must reach: reduced
# (the quick-mode floor of the chapter's notebook test, on 2,000 images, a CPU budget) and full
# (the chapter's stated accuracy, or the GPU target, within a GPU budget in seconds).
CHAPTERS = {
    "lenet5":          dict(dataset="mnist", batch=128, optimizer="adam", reduced=(0.88, 60), full=(0.98, 15)),
    "lenet5_modern":   dict(dataset="mnist", batch=128, optimizer="adam", reduced=(0.88, 60), full=(0.99, 15)),
    "alexnet_cifar":   dict(dataset="cifar10", batch=128, optimizer="adam", reduced=(0.20, 60), full=(0.45, 60)),
    "vgg_cifar":       dict(dataset="cifar10", batch=64, optimizer="adam", reduced=(0.25, 60), full=(0.60, 60)),
    "googlenet_cifar": dict(dataset="cifar10", batch=64, optimizer="adam", reduced=(0.18, 60), full=(0.45, 60)),
    "resnet20":        dict(dataset="cifar10", batch=64, optimizer="sgd", reduced=(0.20, 60), full=(0.75, 60)),
}  # fmt: skip
REDUCED_IMAGES = (2_000, 1_000)


def peak_memory_mib():
    """Peak resident memory of this process, and of the accelerator when the backend tells."""
    host = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    device = None
    if keras.backend.backend() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        device = stats.get("peak_bytes_in_use", 0) / 2**20 or None
    elif keras.backend.backend() == "torch":
        import torch

        device = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return host, device


def step_times(model, batches, steps, warmup):
    """Seconds of each of `steps` training steps after `warmup` steps, cycling over `batches`."""
    times = []
    for step in range(warmup + steps):
        x, y = batches[step % len(batches)]
        started = time.perf_counter()
        logs = model.train_on_batch(x, y, return_dict=True)
        float(logs["loss"])  # wait for the step to finish
        if step >= warmup:
            times.append(time.perf_counter() - started)
    return times


def first_batches(x, y, batch_size, count=4):
    """The first `count` batches of (x, y), to cycle over in `step_times`."""
    return [
        (x[i * batch_size : (i + 1) * batch_size], y[i * batch_size : (i + 1) * batch_size])
        for i in range(count)
    ]


def load(name, n_train=None, n_test=None):
    dataset = CHAPTERS[name]["dataset"]
    return data.load(dataset, n_train, n_test, seed=0, pad_to=32 if dataset == "mnist" else None)


def images_per_second(name, batch_size, steps, warmup):
    """Median images/s of single training steps of a chapter's model."""
    dataset = load(name, batch_size * 4, 100)
    training.set_seed(0)
    model = MODELS[name](input_shape=dataset.x_train.shape[1:], classes=10)
    training.compile_classifier(model)
    batches = first_batches(dataset.x_train, dataset.y_train, batch_size)
    return batch_size / statistics.median(step_times(model, batches, steps, warmup))


def budget_schedule(peak, elapsed, epoch_seconds, budget_s, epoch):
    """Learning rate for the next epoch: a short warm-up (the first epoch at a fifth of the peak),
    then a cosine from the peak to 0 over the time budget, by the wall-clock seconds used."""
    if epoch == 1:
        return peak / 5
    progress = min(1.0, (elapsed + epoch_seconds / 2) / budget_s)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


class RandomShift(keras.layers.Layer):
    """Shift each training image by up to `pixels` in each direction, filling with zeros: pad,
    then crop each image at its own random offset. (keras.layers.RandomTranslation does the same
    through a general affine transform, which is many times slower on JAX.)"""

    def __init__(self, pixels, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.pixels = pixels
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        p = self.pixels
        height, width, channels = images.shape[1:]
        padded = keras.ops.pad(images, [[0, 0], [p, p], [p, p], [0, 0]])
        offsets = keras.random.randint(
            (keras.ops.shape(images)[0], 2), 0, 2 * p + 1, seed=self.generator
        )

        def crop(pair):
            image, offset = pair
            return keras.ops.slice(image, [offset[0], offset[1], 0], [height, width, channels])

        return keras.ops.vectorized_map(crop, (padded, offsets))


def warm_up(trainer, x, y, batch_size):
    """Compile the training step before the clock starts, then put every variable back (weights,
    batch-norm statistics, optimizer slots, random-layer seeds): the timed run starts untouched.
    Returns the seconds it took."""
    trainer.optimizer.build(trainer.trainable_variables)
    variables = [*trainer.variables, *trainer.optimizer.variables]
    saved = [keras.ops.convert_to_numpy(v) for v in variables]
    started = time.perf_counter()
    float(trainer.train_on_batch(x[:batch_size], y[:batch_size], return_dict=True)["loss"])
    seconds = time.perf_counter() - started
    for variable, value in zip(variables, saved):
        variable.assign(value)
    return seconds


def time_to_accuracy(name, dataset, target, budget_s, batch_size, max_epochs=300):
    """Train a chapter's model until its test accuracy reaches `target`, or the next epoch would
    overrun `budget_s` seconds of training. Random shifts (and flips for CIFAR) run in the graph;
    each epoch is a fresh shuffle cut to whole batches, so no short batch triggers a recompile."""
    spec = CHAPTERS[name]
    training.set_seed(0)
    model = MODELS[name](input_shape=dataset.x_train.shape[1:], classes=10)
    inputs = keras.Input(dataset.x_train.shape[1:])
    x = inputs
    if spec["dataset"] == "cifar10":
        x = keras.layers.RandomFlip("horizontal")(x)
    x = RandomShift(4 if spec["dataset"] == "cifar10" else 2)(x)
    trainer = keras.Model(inputs, model(x))
    if spec["optimizer"] == "sgd":  # ResNet's recipe: SGD with momentum and weight decay
        peak = 0.1 * batch_size / 128
        optimizer = keras.optimizers.SGD(peak, momentum=0.9, nesterov=True, weight_decay=5e-4)
    else:
        peak = 2e-3
        optimizer = keras.optimizers.Adam(peak)
    trainer.compile(
        optimizer,
        loss=rbf_loss if training.outputs_penalties(model) else "sparse_categorical_crossentropy",
    )
    compile_seconds = warm_up(trainer, dataset.x_train, dataset.y_train, batch_size)
    rng = np.random.default_rng(0)
    whole = len(dataset.x_train) - len(dataset.x_train) % batch_size
    trained, epoch_seconds, curve, reached = 0.0, 0.0, [], None
    for epoch in range(1, max_epochs + 1):
        if epoch > 1 and trained + epoch_seconds > budget_s:
            break
        optimizer.learning_rate = budget_schedule(peak, trained, epoch_seconds, budget_s, epoch)
        order = rng.permutation(len(dataset.x_train))[:whole]
        x_epoch, y_epoch = dataset.x_train[order], dataset.y_train[order]
        started = time.perf_counter()
        trainer.fit(x_epoch, y_epoch, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
        epoch_seconds = time.perf_counter() - started
        trained += epoch_seconds
        accuracy, _ = training.evaluate(model, dataset.x_test, dataset.y_test)
        curve.append((epoch, round(trained, 2), round(accuracy, 4)))
        if reached is None and accuracy >= target:
            reached = trained
            break
    print(f"  {name}: {len(curve)} epochs, {trained:.1f} s (+{compile_seconds:.1f} s compiling), "
          f"test accuracy {curve[-1][2]:.2%} (target {target:.0%}: "
          f"{f'{reached:.1f} s' if reached else 'not reached'})", flush=True)  # fmt: skip
    return {"target": target, "budget_s": budget_s, "seconds_to_target": reached and round(reached, 2),
            "compile_seconds": round(compile_seconds, 2), "final_accuracy": curve[-1][2],
            "n_train": len(dataset.x_train), "n_test": len(dataset.x_test),
            "batch_size": batch_size, "curve": curve}  # fmt: skip


def accuracy_run(name, full, batch_size=None):
    """Time to a chapter's accuracy: reduced sizes and the quick floor, or `full` sizes."""
    spec = CHAPTERS[name]
    target, budget = spec["full"] if full else spec["reduced"]
    dataset = load(name) if full else load(name, *REDUCED_IMAGES)
    batch = batch_size or (2 * spec["batch"] if full else spec["batch"])
    return time_to_accuracy(name, dataset, target, budget, batch)


# --- side by side: ours against keras.applications, our loop against a plain model.fit ---------


def against_applications(image_size, batch_size, steps, warmup):
    """Training images/s of our ResNet-50 (with conv biases) and VGG-16 against keras.applications',
    measured alternately step by step, so both see the same machine load."""
    from cnn_lessons import resnet, vgg

    shape = (image_size, image_size, 3)
    pairs = {
        "resnet50": (lambda: resnet.resnet50(conv_bias=True, input_shape=shape),
                     lambda: keras.applications.ResNet50(weights=None, input_shape=shape)),
        "vgg16": (lambda: vgg.vgg16(input_shape=shape),
                  lambda: keras.applications.VGG16(weights=None, input_shape=shape)),
    }  # fmt: skip
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, *shape), dtype="float32")
    y = rng.integers(0, 1000, batch_size)
    results = {}
    for name, builders in pairs.items():
        models = []
        for build in builders:
            training.set_seed(0)
            model = build()
            model.compile(keras.optimizers.SGD(1e-3), loss="sparse_categorical_crossentropy")
            step_times(model, [(x, y)], 0, warmup)  # trace and warm up
            models.append((model, []))
        for step in range(steps):  # alternate, and alternate who goes first
            for model, times in models[:: 1 if step % 2 else -1]:
                times.extend(step_times(model, [(x, y)], 1, 0))
        ours, theirs = (batch_size / statistics.median(times) for _, times in models)
        results[name] = {"ours": round(ours, 2), "keras_applications": round(theirs, 2),
                         "ratio": round(ours / theirs, 3), "params": models[0][0].count_params(),
                         "applications_params": models[1][0].count_params()}  # fmt: skip
        print(f"  {name} at {image_size}x{image_size}, batch {batch_size}: ours {ours:.2f}, "
              f"keras.applications {theirs:.2f} images/s, ratio {ours / theirs:.3f}", flush=True)  # fmt: skip
        del models
    return results


def against_plain_fit(names, n_train, epochs):
    """Per CIFAR model: images/s of the chapters' loop (`training.fit`: a validation share, run
    bookkeeping) against a plain `model.fit` on the same NumPy arrays with the same
    split. The two train one epoch at a time, alternately; the first epoch of each (tracing) is
    not counted."""
    dataset = load("resnet20", n_train, 100)
    results = {}
    for name in names:
        batch = CHAPTERS[name]["batch"]
        seconds = {"plain": [], "chapter": []}
        models = {}
        for loop in seconds:
            training.set_seed(0)
            models[loop] = training.compile_classifier(
                MODELS[name](input_shape=(32, 32, 3), classes=10)
            )
        for epoch in range(epochs + 1):
            for loop in ("plain", "chapter") if epoch % 2 else ("chapter", "plain"):
                started = time.perf_counter()
                if loop == "plain":
                    models[loop].fit(dataset.x_train, dataset.y_train, batch_size=batch, epochs=1,
                                     validation_split=0.1, verbose=0)  # fmt: skip
                else:
                    training.fit(
                        models[loop], dataset.x_train, dataset.y_train, 1, batch, verbose=False
                    )
                if epoch:
                    seconds[loop].append(time.perf_counter() - started)
        plain = int(n_train * 0.9) / statistics.median(seconds["plain"])
        chapter = training.split(n_train, batch)[0] / statistics.median(seconds["chapter"])
        results[name] = {"plain_fit": round(plain, 1), "chapter_loop": round(chapter, 1),
                         "ratio": round(chapter / plain, 3)}  # fmt: skip
        print(f"  {name}: plain model.fit {plain:.0f}, chapter loop {chapter:.0f} images/s, "
              f"ratio {chapter / plain:.3f}", flush=True)  # fmt: skip
    return results


# --- the CPU defaults: what each candidate setting does on this machine -------------------------


def fit_epochs(model, x, y, batch_size, epochs, dataset=None):
    """Seconds of each epoch of `model.fit` (on arrays, or on a `tf.data` pipeline)."""
    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        if dataset is None:
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
        else:
            model.fit(dataset, epochs=1, verbose=0)
        seconds.append(time.perf_counter() - started)
    return seconds


def cpu_defaults(names, steps, warmup):
    """Per CIFAR model: images/s by batch size; XLA's per-step gain against its compile time; the
    cost of a short last batch; and a prefetching `tf.data` pipeline against NumPy arrays."""
    dataset = load("resnet20", 2_048, 100)
    x, y = dataset.x_train, dataset.y_train
    results = {}
    for name in names:
        chapter_batch = CHAPTERS[name]["batch"]
        build = partial(MODELS[name], input_shape=(32, 32, 3), classes=10)
        entry = results[name] = {"batch": {}, "xla": {}}
        for batch in (32, 64, 128, 256):
            training.set_seed(0)
            model = training.compile_classifier(build())
            times = step_times(model, first_batches(x, y, batch), steps, warmup)
            entry["batch"][batch] = round(batch / statistics.median(times), 1)
        batches = first_batches(x, y, chapter_batch)
        for jit in (False, True):
            training.set_seed(0)
            model = build()
            model.compile(
                keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", jit_compile=jit
            )
            first = step_times(model, batches, 1, 0)[0]
            step = statistics.median(step_times(model, batches, steps, 0))
            entry["xla"][str(jit)] = {"first_step_s": round(first, 2), "step_s": round(step, 4)}
        off, on = entry["xla"]["False"], entry["xla"]["True"]
        saving = off["step_s"] - on["step_s"]
        entry["xla"]["payback_steps"] = (
            round((on["first_step_s"] - off["first_step_s"]) / saving) if saving > 0 else None
        )
        # A short last batch: 2,048 images are whole batches; 2,049 leave one image over.
        for images, labels in ((x, y), (np.concatenate([x, x[:1]]), np.concatenate([y, y[:1]]))):
            training.set_seed(0)
            model = training.compile_classifier(build())
            seconds = fit_epochs(model, images, labels, chapter_batch, 3)
            entry[f"epochs_{len(images)}"] = [round(t, 2) for t in seconds]
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            pipeline = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0)
                        .batch(chapter_batch).prefetch(tf.data.AUTOTUNE))  # fmt: skip
            times = {}
            for kind in ("arrays", "tf.data"):
                training.set_seed(0)
                model = training.compile_classifier(build())
                times[kind] = statistics.median(
                    fit_epochs(
                        model, x, y, chapter_batch, 4, pipeline if kind == "tf.data" else None
                    )[1:]
                )
            entry["prefetch"] = {kind: round(len(x) / t, 1) for kind, t in times.items()}
        print(f"  {name}: images/s by batch {entry['batch']}; XLA {entry['xla']}; "
              f"epochs of 2,048 {entry['epochs_2048']} vs 2,049 {entry['epochs_2049']}; "
              f"input {entry.get('prefetch')}", flush=True)  # fmt: skip
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(CHAPTERS))
    parser.add_argument("--batch-size", type=int, help="for images/s (default: 128, 256 on a GPU)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--precision", help="float32, mixed_float16 or mixed_bfloat16 "
                        "(default: float32 on a CPU, mixed precision on a GPU)")  # fmt: skip
    parser.add_argument("--accuracy", choices=("auto", "reduced", "full", "none"), default="auto",
                        help="time to accuracy: reduced sizes (CPU default), full (GPU default), none")  # fmt: skip
    parser.add_argument(
        "--accuracy-batch-size", type=int, help="override the chapters' batch sizes"
    )
    parser.add_argument("--compare", action="store_true",
                        help="also ours vs keras.applications and chapter loop vs plain model.fit")  # fmt: skip
    parser.add_argument("--defaults", action="store_true",
                        help="also measure the CPU default candidates: batch, XLA, short batches, tf.data")  # fmt: skip
    parser.add_argument("--compare-size", type=int, default=112, help="image size for --compare")
    parser.add_argument("--compare-batch", type=int, default=16)
    parser.add_argument("--output", default="benchmark.json")
    args = parser.parse_args(argv)
    mode = training.configure(precision=args.precision)
    gpu = mode.name == "gpu"
    batch_size = args.batch_size or (256 if gpu else 128)
    names = args.models.split(",")
    unknown = sorted(set(names) - set(CHAPTERS))
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; choose from {', '.join(CHAPTERS)}")
    cifar = [name for name in names if CHAPTERS[name]["dataset"] == "cifar10"]
    record = {
        "backend": keras.backend.backend(), "keras": keras.__version__, "device": mode.device,
        "precision": mode.precision, "batch_size": batch_size, "python": platform.python_version(),
        "platform": platform.platform(), "date": time.strftime("%Y-%m-%d"), "speed": {},
    }  # fmt: skip
    output = Path(args.output)

    def save():  # after every part, so an interrupted run keeps what it measured
        record["peak_host_mib"], record["peak_device_mib"] = peak_memory_mib()
        output.write_text(json.dumps(record, indent=1) + "\n")

    print(f"{record['backend']} on {mode.device}, {mode.precision}, batch {batch_size}")
    print(f"{'model':<18} {'images/s':>10}")
    for name in names:
        record["speed"][name] = round(
            images_per_second(name, batch_size, args.steps, args.warmup), 1
        )
        print(f"{name:<18} {record['speed'][name]:>10,.0f}", flush=True)
    save()
    accuracy = {"auto": "full" if gpu else "reduced"}.get(args.accuracy, args.accuracy)
    if accuracy != "none":
        print(f"time to accuracy ({accuracy} sizes):")
        record["accuracy_mode"], record["accuracy"] = accuracy, {}
        for name in names:
            record["accuracy"][name] = accuracy_run(
                name, accuracy == "full", args.accuracy_batch_size
            )
            save()
    if args.compare:
        print("ours against keras.applications (training images/s):")
        record["applications"] = against_applications(
            args.compare_size, args.compare_batch, args.steps, args.warmup
        )
        save()
        print("chapter loop against plain model.fit (2,000 CIFAR images, 6 epochs each):")
        record["loop"] = against_plain_fit(cifar, 2_000, 6)
        save()
    if args.defaults:
        print("CPU default candidates (2,048 CIFAR images):")
        record["defaults"] = cpu_defaults(cifar, args.steps, args.warmup)
        save()
    print_table(record)
    print(f"wrote {output}")


def print_table(record):
    print(f"\n{'model':<18} {'images/s':>10} {'target':>7} {'s to target':>12} {'final acc':>10}")
    for name, speed in record["speed"].items():
        run = record.get("accuracy", {}).get(name)
        reached = run and run["seconds_to_target"]
        print(
            f"{name:<18} {speed:>10,.0f} {run['target'] if run else '':>7} "
            f"{reached or ('not reached' if run else ''):>12} {run['final_accuracy'] if run else '':>10}"
        )
    print(
        f"peak memory: host {record['peak_host_mib']:.0f} MiB, device {record['peak_device_mib']} MiB"
    )


if __name__ == "__main__":
    main()

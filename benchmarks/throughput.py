"""Training throughput of every chapter's own training path, measured side by side in one run.

    python benchmarks/throughput.py                    # every chapter
    python benchmarks/throughput.py --chapters 3,5 --rounds 5
    python benchmarks/throughput.py --applications     # + ours against keras.applications
    python benchmarks/throughput.py --variants recipe  # the chapters' recipes alone
    KERAS_BACKEND=jax python benchmarks/throughput.py  # the same on JAX

Each chapter trains its main model with its recipe from the course table, through
`training.train`, exactly as the notebook does: augmentation, whole batches, the trainer's
bookkeeping included. Per chapter, these variants train alternately, one round after another, so
that every variant sees the same machine load:

- `recipe`: the chapter's cpu recipe (gpu on a GPU), in the precision `training.configure` chose;
- `no augmentation`: the same without flips and shifts (only where the recipe has some);
- `float32` / `mixed_bfloat16`: the other precision, for the precision choice;
- `steps_per_execution 1`: where the recipe runs several steps per call, one step per call.

A variant's number is the images/s of a steady-state epoch: each round trains two epochs and
times the second (the first also traces or compiles the step); the median over rounds is kept.

The arithmetic fraction: training FLOP/s = 3 x forward MACs x 2 FLOP x images/s (a backward pass
costs about two forward passes), against the FLOP/s of one 3x3 convolution (64 to 64 channels,
32x32 maps, batch 128, forward) measured in the same run and the same precision. JSON with every
number goes to --output; results and the machines: benchmarks/RESULTS.md.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from common import EpochClock, chapter_data, chapter_model, chapter_names, machine, peak_memory_mib

from cnn_lessons import course, training
from cnn_lessons._keras import keras
from cnn_lessons.arithmetic import layer_table, totals
from cnn_lessons.precision import policy


def epoch_images_per_second(key, recipe, x, y, precision):
    """Images/s of the second of two epochs of the chapter's model trained on (x, y)."""
    with policy(precision):
        try:
            model = chapter_model(key)
            clock = EpochClock()
            run = training.train(
                model, (x, y), recipe.replace(epochs=2, validation_split=0.0), verbose=False,
                callbacks=[clock],
            )  # fmt: skip
        finally:
            training.clear_session()
    return run.trained / clock.epochs[1][0]


def convolution_flops(precision, batch=128, size=32, channels=64, calls=10):
    """FLOP/s of a 3x3 convolution's forward pass: the CPU's arithmetic reference."""
    import numpy as np

    with policy(precision):
        try:
            inputs = keras.Input((size, size, channels))
            conv = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False)
            model = keras.Model(inputs, conv(inputs))
            x = np.random.default_rng(0).random((batch, size, size, channels), dtype="float32")
            model.predict_on_batch(x)  # trace
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                np.asarray(model.predict_on_batch(x))
                times.append(time.perf_counter() - started)
        finally:
            training.clear_session()
    return 2 * batch * size * size * channels * channels * 9 / statistics.median(times)


def variants(recipe, precision):
    """The variants to compare for one chapter: (label, recipe, precision)."""
    found = [("recipe", recipe, precision)]
    if recipe.flip or recipe.shift:
        found.append(("no augmentation", recipe.replace(flip=False, shift=0), precision))
    other = "mixed_bfloat16" if precision == "float32" else "float32"
    found.append((other, recipe, other))
    if recipe.steps_per_execution > 1:
        found.append(("steps_per_execution 1", recipe.replace(steps_per_execution=1), precision))
    return found


def measure_chapter(key, mode, images, rounds, flops, only=None):
    """Every variant of one chapter (or those labelled in `only`), alternating round by round."""
    plan = course.CHAPTERS[key]
    recipe = plan.recipe(mode)
    dataset = chapter_data(key, images)
    compared = [v for v in variants(recipe, mode.precision) if only is None or v[0] in only]
    seconds = {label: [] for label, _, _ in compared}
    for round_ in range(rounds):
        order = compared if round_ % 2 == 0 else compared[::-1]  # who goes first alternates
        for label, variant, precision in order:
            speed = epoch_images_per_second(
                key, variant, dataset.x_train, dataset.y_train, precision
            )
            seconds[label].append(speed)
    model = chapter_model(key)
    macs = totals(layer_table(model))["macs"]
    training.clear_session()
    result = {"model": plan.models[0], "images": images, "forward_macs": macs,
              "recipe": recipe.describe(), "images_per_second": {}}  # fmt: skip
    for label, _, precision in compared:
        speed = statistics.median(seconds[label])
        result["images_per_second"][label] = {
            "median": round(speed, 1), "rounds": [round(s, 1) for s in seconds[label]],
            "precision": precision,
            "arithmetic_fraction": round(3 * macs * 2 * speed / flops[precision], 3),
        }  # fmt: skip
    speeds = result["images_per_second"]
    if "no augmentation" in speeds:
        result["augmentation_ratio"] = round(
            speeds["recipe"]["median"] / speeds["no augmentation"]["median"], 3
        )
    return result


def against_applications(image_size, batch_size, steps):
    """Training images/s of our ResNet-50 (with conv biases) and VGG-16 against
    keras.applications', alternating step by step, so both see the same machine load."""
    import numpy as np

    from cnn_lessons import resnet, vgg

    shape = (image_size, image_size, 3)
    pairs = {
        "resnet50": (lambda: resnet.resnet50(conv_bias=True, input_shape=shape),
                     lambda: keras.applications.ResNet50(weights=None, input_shape=shape)),
        "vgg16": (lambda: vgg.vgg16(input_shape=shape),
                  lambda: keras.applications.VGG16(weights=None, input_shape=shape)),
    }  # fmt: skip
    rng = np.random.default_rng(0)
    x, y = rng.random((batch_size, *shape), dtype="float32"), rng.integers(0, 1000, batch_size)
    results = {}
    for name, builders in pairs.items():
        models = []
        for build in builders:
            training.set_seed(0)
            model = build()
            model.compile(keras.optimizers.SGD(1e-3), loss="sparse_categorical_crossentropy")
            float(model.train_on_batch(x, y))  # trace
            models.append((model, []))
        for step in range(steps):
            for model, times in models[:: 1 if step % 2 else -1]:
                started = time.perf_counter()
                float(model.train_on_batch(x, y))
                times.append(time.perf_counter() - started)
        ours, theirs = (batch_size / statistics.median(times) for _, times in models)
        results[name] = {"ours": round(ours, 2), "keras_applications": round(theirs, 2),
                         "ratio": round(ours / theirs, 3)}  # fmt: skip
        print(f"  {name}: ours {ours:.2f}, keras.applications {theirs:.2f} images/s, "
              f"ratio {ours / theirs:.3f}", flush=True)  # fmt: skip
        del models
        training.clear_session()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapters", default="all", help="e.g. 1,5 or 05_resnet (default: all)")
    parser.add_argument("--images", type=int, default=2_560, help="training images per epoch")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per variant")
    parser.add_argument("--applications", action="store_true",
                        help="also ours against keras.applications (ResNet-50, VGG-16)")  # fmt: skip
    parser.add_argument("--variants", help="only these, e.g. 'recipe' (default: every variant)")
    parser.add_argument("--output", default="throughput.json")
    args = parser.parse_args(argv)
    only = None if args.variants is None else args.variants.split(",")
    keys = chapter_names(args.chapters)
    mode = training.configure()
    record = {**machine(mode), "chapters": {}}
    output = Path(args.output)

    def save():  # after every part, so an interrupted run keeps what it measured
        record["peak_host_mib"] = round(peak_memory_mib())
        output.write_text(json.dumps(record, indent=1) + "\n")

    print(f"{record['backend']} on {mode.device} ({record['cpu']}), {mode.precision}", flush=True)
    flops = {p: convolution_flops(p) for p in ("float32", "mixed_bfloat16")}
    record["convolution_gflops"] = {p: round(f / 1e9, 1) for p, f in flops.items()}
    print(f"3x3 convolution: {record['convolution_gflops']} GFLOP/s", flush=True)
    for key in keys:
        record["chapters"][key] = measure_chapter(key, mode, args.images, args.rounds, flops, only)
        save()
        print_chapter(key, record["chapters"][key])
    if args.applications:
        print("ours against keras.applications (112x112, batch 8, training images/s):")
        record["applications"] = against_applications(112, 8, 20)
        save()
    save()
    print(f"wrote {output}")


def print_chapter(key, result):
    for label, speed in result["images_per_second"].items():
        print(
            f"{key:<14} {label:<22} {speed['median']:>9,.0f} images/s  "
            f"{speed['arithmetic_fraction']:>6.1%} of the convolution's FLOP/s ({speed['precision']})",
            flush=True,
        )
    if "augmentation_ratio" in result:
        print(
            f"{key:<14} with/without augmentation: {result['augmentation_ratio']:.3f}", flush=True
        )


if __name__ == "__main__":
    main()

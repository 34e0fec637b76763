"""Training speed of the chapters' models, and time to a stated accuracy, on any backend.

    python benchmarks/speed.py                      # CPU: images/s of every chapter's CIFAR/MNIST model
    python benchmarks/speed.py --targets            # also train to the stated accuracies (GPU targets)
    KERAS_BACKEND=jax python benchmarks/speed.py --targets --precision mixed_bfloat16

For each model it prints and writes (JSON, --output) the median training images/s over
steady-state steps (after warm-up, each step synchronised by reading its loss), peak memory
(process RSS; and the accelerator's, where the backend reports it), backend, device, batch size
and precision. With --targets it trains LeNet-5 (modern) on full MNIST and ResNet-20 on the
CIFAR-10 subset, and records when each first reaches its target test accuracy; the clock counts
every training second from the first step (compilation included), not the evaluations.
"""

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from cnn_lessons import MODELS, data, training  # noqa: E402

# The chapters' training models and the data each trains on.
SPEED_MODELS = {
    "lenet5": "mnist", "lenet5_modern": "mnist", "alexnet_cifar": "cifar10",
    "vgg_cifar": "cifar10", "googlenet_cifar": "cifar10", "resnet20": "cifar10",
}  # fmt: skip


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


def images_per_second(name, batch_size, steps, warmup):
    """Median images/s of single training steps after `warmup` steps."""
    dataset = data.load(SPEED_MODELS[name], batch_size * 4, 100, seed=0,
                        pad_to=32 if SPEED_MODELS[name] == "mnist" else None)  # fmt: skip
    training.set_seed(0)
    model = MODELS[name](input_shape=dataset.x_train.shape[1:], classes=10)
    training.compile_classifier(model)
    batches = [(dataset.x_train[i::4], dataset.y_train[i::4]) for i in range(4)]
    times = []
    for step in range(warmup + steps):
        x, y = batches[step % 4]
        started = time.perf_counter()
        logs = model.train_on_batch(x, y, return_dict=True)
        float(logs["loss"])  # wait for the step to finish
        if step >= warmup:
            times.append(time.perf_counter() - started)
    return batch_size / statistics.median(times)


def time_to_accuracy(model, dataset, target, budget_s, epochs, batch_size, optimizer, flip):
    """Train epoch by epoch (no validation split: the test set is only measured) until the test
    accuracy reaches `target`, the planned `epochs` end, or `budget_s` of training passes.
    Random shifts of up to 4 pixels (and horizontal flips for CIFAR) run inside the graph."""
    inputs = keras.Input(dataset.x_train.shape[1:])
    x = inputs
    if flip:
        x = keras.layers.RandomFlip("horizontal")(x)
    x = keras.layers.RandomTranslation(0.125, 0.125, fill_mode="constant")(x)
    trainer = keras.Model(inputs, model(x))
    trainer.compile(optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    trained, curve, reached = 0.0, [], None
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        trainer.fit(dataset.x_train, dataset.y_train, batch_size=batch_size, epochs=1, verbose=0,
                    shuffle=True)  # fmt: skip
        trained += time.perf_counter() - started
        accuracy, _ = training.evaluate(model, dataset.x_test, dataset.y_test)
        curve.append((epoch, round(trained, 2), round(accuracy, 4)))
        print(f"  epoch {epoch}: {trained:6.1f} s trained, test accuracy {accuracy:.2%}", flush=True)
        if reached is None and accuracy >= target:
            reached = trained
        if trained > budget_s:
            break
    return {"target": target, "budget_s": budget_s, "seconds_to_target": reached,
            "final_accuracy": curve[-1][2], "curve": curve}  # fmt: skip


def cosine(peak, steps, warmup):
    return keras.optimizers.schedules.CosineDecay(
        0.0, steps - warmup, warmup_target=peak, warmup_steps=warmup
    )


def targets(batch_size, smoke=False):
    """The GPU targets. `smoke` shrinks them to a few seconds, to check this code on a CPU."""
    results = {}
    size = 2_000 if smoke else None
    mnist = data.load_mnist(size, size, seed=0)
    training.set_seed(0)
    epochs = 1 if smoke else 30
    steps = epochs * -(-len(mnist.x_train) // batch_size)
    lenet = MODELS["lenet5_modern"]()
    print("LeNet-5 (modern), full MNIST, target 99.0% within 15 s:", flush=True)
    results["lenet5_modern_mnist"] = time_to_accuracy(
        lenet, mnist, 0.990, 15.0, epochs, batch_size,
        keras.optimizers.Adam(cosine(3e-3, steps, max(1, steps // 30))), flip=False,
    )  # fmt: skip
    cifar = data.load_cifar10(size, size, seed=0)
    training.set_seed(0)
    epochs = 1 if smoke else 60
    steps = epochs * -(-len(cifar.x_train) // batch_size)
    resnet = MODELS["resnet20"]()
    print("ResNet-20, CIFAR-10 subset (10k/5k), target 75% within 60 s:", flush=True)
    optimizer = keras.optimizers.SGD(cosine(0.1 * batch_size / 128, steps, max(1, steps // 20)),
                                     momentum=0.9, nesterov=True, weight_decay=5e-4)  # fmt: skip
    results["resnet20_cifar10"] = time_to_accuracy(
        resnet, cifar, 0.75, 60.0, epochs, batch_size, optimizer, flip=True
    )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(SPEED_MODELS))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--precision", default="float32", help="float32, mixed_float16, mixed_bfloat16")
    parser.add_argument("--targets", action="store_true", help="also run the time-to-accuracy targets")
    parser.add_argument("--target-batch-size", type=int, default=256)
    parser.add_argument("--smoke", action="store_true", help="tiny targets, to check the script")
    parser.add_argument("--output", default="benchmark.json")
    args = parser.parse_args(argv)
    keras.mixed_precision.set_global_policy(args.precision)
    record = {
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "device": training.accelerator(), "precision": args.precision,
        "batch_size": args.batch_size, "python": platform.python_version(), "speed": {},
    }  # fmt: skip
    print(f"{record['backend']} on {record['device']}, {args.precision}, batch {args.batch_size}")
    print(f"{'model':<18} {'images/s':>10}")
    for name in args.models.split(","):
        record["speed"][name] = round(images_per_second(name, args.batch_size, args.steps, args.warmup), 1)
        print(f"{name:<18} {record['speed'][name]:>10,.0f}", flush=True)
    if args.targets:
        record["targets"] = targets(args.target_batch_size, args.smoke)
    record["peak_host_mib"], record["peak_device_mib"] = peak_memory_mib()
    Path(args.output).write_text(json.dumps(record, indent=1) + "\n")
    print(f"peak memory: host {record['peak_host_mib']:.0f} MiB, device {record['peak_device_mib']} MiB")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

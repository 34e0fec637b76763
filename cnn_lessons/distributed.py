"""Several devices: data-parallel training through Keras 3's distribution API, and what it buys.

Data parallelism: every device holds a whole copy of the model and takes an equal share of each
batch; each computes the gradient of its share, the devices average their gradients (an
all-reduce), and every copy takes the same optimizer step. The copies stay identical, and each
step is the step one device would take on the whole batch, up to the order in which
floating-point numbers are added. Nothing here shards anything by hand:

- JAX: `keras.distribution.DataParallel` over the devices, a one-axis mesh named "batch": every
  variable is replicated, every batch is split along its first axis, and XLA adds the all-reduce.
- TensorFlow: `tf.distribute.MirroredStrategy`: the model is built and compiled in its scope
  (its variables become MirroredVariables), and `fit` splits each batch over the replicas.

`training.train(model, data, recipe, devices="all")` (or `cnn-lessons train MODEL --devices all`)
is the switch; passing nothing (`devices=None`) is the one-device run, untouched.

The rule for the batch: a recipe's `batch_size` is the global batch, the images of one optimizer
step over all the devices together, the batch its learning rate was chosen for. On N devices
each device takes batch_size / N, so the run is the same run, only split. To use more devices
than a batch can feed, make the global batch bigger with `linear_scaling`: Goyal et al. 2017's
rule (learning rate x new batch / recipe batch, with a 5-epoch warm-up).

Several hosts (JAX): start the same program on every host, each calling
`keras.distribution.initialize(job_addresses="10.0.0.1:1234", num_processes=H, process_id=i)`
(or the KERAS_DISTRIBUTION_* variables) before anything else; `devices="all"` then spans every
host's devices, and each host passes its own share of the data (`pipeline.ImageFolder(...,
shard=distributed.host_shard())`; its batches are batch_size / H). On TensorFlow several hosts
need `tf.distribute.MultiWorkerMirroredStrategy` and TF_CONFIG, which the course does not wire
in. Neither can be tested on one machine.

To try it without GPUs, split the CPU into virtual devices first (`simulate_devices(2)`): the
tests train on two that way.

Importing this module imports no framework (the scaling arithmetic needs none).
"""

import math
import os
import sys
from dataclasses import dataclass

from .validation import is_integer

BACKENDS = ("jax", "tensorflow")
GOYAL_WARMUP_EPOCHS = 5  # Goyal et al. 2017, section 2.2: "gradual warmup" over 5 epochs


# --- Which devices ------------------------------------------------------------------------------


def _keras():
    from ._keras import keras

    return keras


def available():
    """The devices data parallelism can use, named as Keras names them: the accelerators if
    there are any ('gpu:0', 'gpu:1', ...), else the CPU ('cpu:0': one device, unless split by
    `simulate_devices`). On JAX after `keras.distribution.initialize`, every host's devices."""
    keras = _keras()
    if keras.backend.backend() == "tensorflow":  # TensorFlow's own list (logical devices)
        import tensorflow as tf

        found = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [f"{d.device_type.lower()}:{d.name.split(':')[-1]}" for d in found]
    return list(keras.distribution.list_devices())


def resolve(devices):
    """The device names `devices` asks for: "all" of them, or the first N (a positive integer).
    None is the one-device run and has no names: it is answered before this is called."""
    if isinstance(devices, str) and devices == "all":
        return available()
    if not is_integer(devices) or devices < 1:
        raise ValueError(
            "`devices` must be 'all', a positive number of devices, or None (one device, no "
            f"distribution). Received: devices={devices!r}"
        )
    found = available()
    if devices > len(found):
        raise ValueError(
            f"This machine has {len(found)} device{'s' * (len(found) != 1)} for Keras "
            f"({', '.join(found)}): ask for at most {len(found)}, or 'all'. "
            f"Received: devices={devices!r}"
        )
    return found[: int(devices)]


def simulate_devices(count):
    """Split this machine's CPU into `count` virtual devices, to try data parallelism without
    GPUs. It must run before the backend starts: on JAX before `jax` is imported (it sets
    XLA_FLAGS), on TensorFlow before TensorFlow touches a device."""
    from .validation import positive_int

    count = positive_int("count", count)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        if "jax" in sys.modules:
            raise RuntimeError(
                "JAX is already imported, so its CPU can no longer be split: call "
                "simulate_devices first thing, or start Python with "
                f"XLA_FLAGS=--xla_force_host_platform_device_count={count}"
            )
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={count}".strip()
        return
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError as error:  # "Virtual devices cannot be modified after being initialized"
        raise RuntimeError(
            "TensorFlow has already started on this CPU, so it can no longer be split: call "
            f"simulate_devices first thing in a fresh Python ({error})"
        ) from None


def host_shard():
    """(this host's index, number of hosts): the share of the files each host reads when a run
    spans several hosts (`keras.distribution.initialize`); (0, 1) on one."""
    keras = _keras()
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_index(), jax.process_count()
    return 0, 1


# --- The distributed run -------------------------------------------------------------------------


class DataParallel:
    """Data parallelism over `devices` ("all" or a number), through the backend's own API.

    `with parallel.scope():` makes it current: on JAX `keras.distribution.DataParallel`, on
    TensorFlow `tf.distribute.MirroredStrategy`. A model must be built in the scope for its
    variables to live on every device; `replicate` copies one built outside."""

    def __init__(self, devices="all"):
        keras = _keras()
        self.backend = keras.backend.backend()
        if self.backend not in BACKENDS:
            raise ValueError(
                "Data-parallel training in the course runs on JAX or TensorFlow (Keras's "
                "distribution API); start Python with KERAS_BACKEND=jax or tensorflow. "
                f"Received: backend {self.backend!r}"
            )
        self.devices = resolve(devices)
        self.count = len(self.devices)
        if self.backend == "jax":
            # the course shards files per host itself (pipeline.ImageFolder's `shard`), so each
            # host reads only its own: Keras's own sharding would read all, then drop most
            try:
                self.distribution = keras.distribution.DataParallel(
                    devices=self.devices, auto_shard_dataset=False
                )
            except TypeError:  # an older Keras, without that switch (nor its sharding)
                self.distribution = keras.distribution.DataParallel(devices=self.devices)
            import jax

            self.hosts = jax.process_count()
        else:
            import tensorflow as tf

            self.distribution = tf.distribute.MirroredStrategy([f"/{d}" for d in self.devices])
            self.hosts = 1

    def scope(self):
        return self.distribution.scope()

    def batch_per_device(self, batch_size):
        """Each device's share of a global batch of `batch_size`; it must divide evenly (on
        JAX every device holds an equal slice of the batch)."""
        if batch_size % self.count:
            raise ValueError(
                f"The recipe's batch of {batch_size} images (the global batch, over all the "
                f"devices) cannot be split evenly over {self.count} devices: choose a batch "
                f"size that is a multiple of {self.count}, or another number of devices. "
                f"Received: batch_size={batch_size}, devices={self.count}"
            )
        return batch_size // self.count

    def replicate(self, model):
        """A copy of `model` built in this scope, with the same weights: its variables live
        on every device. (Keras rebuilds it from its configuration: a Functional or Sequential
        model; a subclassed model must be built in `scope()` itself.)"""
        keras = _keras()
        with self.scope():
            try:
                copy = keras.models.clone_model(model)
            except ValueError as error:
                raise ValueError(
                    "Data-parallel training copies the model onto every device, which works for "
                    "Functional and Sequential models (every builder of the course). For another "
                    "model, build it inside `distributed.DataParallel(devices).scope()`. "
                    f"Received: {type(model).__name__} ({error})"
                ) from None
            copy.set_weights(model.get_weights())
        return copy


def _held_out(x, y, recipe, validation, count):
    """(training arrays, held-out arrays) as `training.train` would split them, the held-out
    share cut to a multiple of `count` devices (at most count - 1 images fewer): every batch,
    the last validation batch too, must split evenly over the devices on JAX. Both backends
    cut the same, so a run gives the same numbers on either."""
    from .training import split

    if validation is None:
        trained, held = split(len(x), recipe.batch_size, recipe.validation_split)
        validation = (x[trained : trained + held], y[trained : trained + held])
        x, y = x[:trained], y[:trained]
    keep = len(validation[0]) - len(validation[0]) % count
    return (x, y), ((validation[0][:keep], validation[1][:keep]) if keep else None)


def train_data_parallel(model, data, recipe, devices, validation=None, **options):
    """`training.train` over several devices (its `devices` argument calls this): the same run
    as on one device with the same global batch (`recipe.batch_size`), each batch split evenly.

    The model is copied onto the devices (`DataParallel.replicate`), trained there by the one
    trainer, and its trained weights copied back into `model`; the optimizer's state stays with
    the copy. Returns the `TrainingRun`, its `devices` set."""
    from . import training

    parallel = DataParallel(devices)
    parallel.batch_per_device(recipe.batch_size)  # a batch that does not split is refused first
    if hasattr(data, "batches"):  # files read by the input pipeline (pipeline.ImageFolder)
        if validation is not None:
            validation = validation.first(len(validation) - len(validation) % parallel.count)
    else:
        x, y = training._arrays(data)
        if validation is not None:
            validation = training._arrays(validation)
        data, validation = _held_out(x, y, recipe, validation, parallel.count)
    # each host feeds its own share of every global batch (one host: all of it)
    here = recipe.replace(batch_size=per_host_batch(recipe.batch_size, parallel.hosts))
    replica = parallel.replicate(model)
    try:
        with parallel.scope():
            run = training.train(replica, data, here, validation=validation, **options)
    finally:  # a run stopped by Ctrl-C or a NaN leaves `model` as one device would have
        model.set_weights(replica.get_weights())
    run.recipe, run.devices = recipe, parallel.count
    return run


def per_host_batch(batch_size, hosts):
    """The images each of `hosts` feeds per step of a global batch of `batch_size`."""
    if batch_size % hosts:
        raise ValueError(
            f"A global batch of {batch_size} images cannot be split evenly over {hosts} hosts. "
            f"Received: batch_size={batch_size}, hosts={hosts}"
        )
    return batch_size // hosts


# --- The batch and the learning rate -------------------------------------------------------------


def linear_scaling(recipe, batch_size, warmup_epochs=GOYAL_WARMUP_EPOCHS):
    """`recipe` for a global batch of `batch_size` images, by Goyal et al. 2017's linear scaling
    rule ("Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", section 2): multiply the
    learning rate by batch_size / recipe.batch_size and, when that raises it, warm up linearly
    over the first `warmup_epochs` epochs (their 5). The epochs, milestones (shares of the run)
    and everything else stay: with k times the batch, each epoch has k times fewer steps.

    Goyal et al. warm up from the recipe's own rate; the course's schedule warms up from 0, which
    differs only in the first few hundred steps. They trained ResNet-50 to the same accuracy up
    to a global batch of 8,192 (lr 3.2); beyond it, accuracy fell."""
    from .validation import positive_int

    batch_size = positive_int("batch_size", batch_size)
    factor = batch_size / recipe.batch_size
    warmup = recipe.warmup
    if factor > 1 and warmup_epochs:
        warmup = max(warmup, min(warmup_epochs / recipe.epochs, 0.5))
    return recipe.replace(
        batch_size=batch_size, learning_rate=recipe.learning_rate * factor, warmup=warmup
    )


# --- Scale on paper: time per epoch and per run on 1, 8, 64 devices ------------------------------


@dataclass(frozen=True)
class Link:
    """An interconnect: its bandwidth in GB/s per direction (1 GB = 1e9 bytes), and its source."""

    name: str
    gigabytes_per_second: float
    source: str


# Assumptions, each with its source. NVLink 4 (H100 and H200 SXM): 900 GB/s in both directions
# together, 450 GB/s each way, per GPU. Between hosts: one 100 Gb/s Ethernet link per host.
NVLINK = Link("NVLink 4, per GPU", 450.0, "NVIDIA H100/H200 SXM datasheets: 900 GB/s bidirectional")
ETHERNET_100G = Link("100 Gb/s Ethernet, per host", 12.5, "100 Gb/s = 12.5 GB/s each way")
IMAGENET_TRAIN_IMAGES = 1_281_167  # ILSVRC-2012 training set


def all_reduce_bytes(parameters, devices, bytes_per_value=4):
    """Bytes each device sends (and receives) to all-reduce one gradient of `parameters` values
    over `devices` with a ring: a reduce-scatter then an all-gather, each moving (N - 1) / N of
    the gradient, so 2 (N - 1) / N x parameters x 4 bytes in float32; 0 on one device."""
    return 2 * (devices - 1) / devices * parameters * bytes_per_value


def step_seconds(
    images_per_second, batch_per_device, parameters, devices, devices_per_host=8,
    within=NVLINK, between=ETHERNET_100G, bytes_per_value=4,
):  # fmt: skip
    """(compute, communication) seconds of one data-parallel step.

    Compute: each device's share of the batch at the single-device throughput. Communication:
    the gradients' all-reduce, hierarchical when the devices span several hosts: a ring inside
    each host over `within`, then, between hosts, each host's link carries a ring all-reduce of
    the whole gradient over `between` (after the reduce-scatter inside the host, its G devices
    each exchange 1/G of it, all through that one link)."""
    compute = batch_per_device / images_per_second
    local = min(devices, devices_per_host)
    hosts = math.ceil(devices / devices_per_host)
    seconds = all_reduce_bytes(parameters, local, bytes_per_value) / (
        within.gigabytes_per_second * 1e9
    )
    seconds += all_reduce_bytes(parameters, hosts, bytes_per_value) / (
        between.gigabytes_per_second * 1e9
    )
    return compute, seconds


def scaling_table(
    images_per_second, parameters, batch_per_device, devices=(1, 8, 64), images=IMAGENET_TRAIN_IMAGES,
    epochs=90, devices_per_host=8, within=NVLINK, between=ETHERNET_100G, recipe=None,
):  # fmt: skip
    """Expected time per epoch and per run of data-parallel training on each number of
    `devices`, from one device's measured `images_per_second` at `batch_per_device`.

    Each device keeps its batch (weak scaling: the global batch grows with the devices, with the
    learning rate by `linear_scaling` when a `recipe` is given), and a step costs its compute plus
    the gradients' all-reduce (`step_seconds`), not overlapped: frameworks overlap part of the
    all-reduce with the backward pass, so this is an upper bound on the step, from these
    assumptions alone (no input pipeline stalls, no stragglers). Returns one dict per row."""
    rows = []
    for count in devices:
        compute, communication = step_seconds(
            images_per_second, batch_per_device, parameters, count, devices_per_host, within,
            between,
        )  # fmt: skip
        step = compute + communication
        global_batch = batch_per_device * count
        epoch = math.ceil(images / global_batch) * step
        hosts = math.ceil(count / devices_per_host)
        row = {
            "devices": count,
            "hosts": hosts,
            "global_batch": global_batch,
            "gradient_megabytes": parameters * 4 / 1e6,
            # what each device moves over `within`, and each host's link over `between`
            "within_host_megabytes": all_reduce_bytes(parameters, min(count, devices_per_host)) / 1e6,
            "between_hosts_megabytes": all_reduce_bytes(parameters, hosts) / 1e6,
            "compute_ms": compute * 1e3,
            "communication_ms": communication * 1e3,
            "images_per_second": global_batch / step,
            "epoch_hours": epoch / 3600,
            "run_hours": epochs * epoch / 3600,
        }  # fmt: skip
        row["speedup"] = row["images_per_second"] / images_per_second
        if recipe is not None:
            row["learning_rate"] = linear_scaling(recipe, global_batch).learning_rate
        rows.append(row)
    return rows


def _duration(hours):
    if hours >= 24 * 365:
        return f"{hours / (24 * 365):.1f} years"
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    if hours >= 1:
        return f"{hours:.1f} h"
    if hours >= 1 / 60:
        return f"{hours * 60:.1f} min"
    return f"{hours * 3600:.1f} s"


def _count(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def markdown_table(rows, epochs=90):
    """`scaling_table`'s rows as a Markdown table, as the README shows it."""
    lr = "learning rate" if "learning_rate" in rows[0] else None
    head = ["devices", "global batch", *([lr] if lr else []), "compute ms/step",
            "all-reduce ms/step", "images/s", "speed-up", "one epoch", f"{epochs} epochs"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for row in rows:
        cells = [f"{row['devices']}", f"{row['global_batch']:,}"]
        if lr:
            cells.append(f"{row['learning_rate']:.4g}")
        cells += [f"{row['compute_ms']:,.1f}", f"{row['communication_ms']:,.1f}",
                  _count(row["images_per_second"]), f"{row['speedup']:.1f}x",
                  _duration(row["epoch_hours"]), _duration(row["run_hours"])]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)

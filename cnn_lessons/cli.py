"""`cnn-lessons`: the course's command line.

    cnn-lessons list                          the registered models
    cnn-lessons summary MODEL                 a model's per-layer arithmetic table and totals
    cnn-lessons train MODEL --dataset NAME    train on MNIST or CIFAR-10, save the model and a record
    cnn-lessons data fetch|status             download and cache the datasets / where they are
    cnn-lessons notebooks run                 execute the chapters with papermill, measure each
    cnn-lessons experiment NAME               run a paper's claim as an experiment, save its curves
    cnn-lessons badges --check|--write        README chapter table and Colab badges vs notebooks
    cnn-lessons doctor                        what this installation has and whether it works

Every command has --help. Errors go to stderr in one line, and the exit code is non-zero.
"""

import argparse
import dataclasses
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

DATASETS = ("mnist", "cifar10")


class CommandError(Exception):
    """A failure the user can fix; main() prints it as one line."""


def _writable_dir(path):
    """Create `path` if needed and prove it is writable, before any long work starts."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as error:
        raise CommandError(
            f"cannot write to the output directory {path}: {error.strerror or error}"
        ) from error
    return path


def _model_builder(name):
    from . import MODELS

    if name not in MODELS:
        raise CommandError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name]


# --- data ---------------------------------------------------------------------------------------


def _data_fetch(args):
    from . import data

    for name in DATASETS if args.dataset == "all" else (args.dataset,):
        print(f"{name}: fetching...", flush=True)
        path = data.fetch(name, args.dir)
        info = data.status(name, args.dir)
        print(f"{name}: {path} ({info['train']:,} train, {info['test']:,} test)")
    return 0


def _status_line(info):
    if info["path"] is None:
        return f"{info['dataset']}: missing (run `cnn-lessons data fetch`)"
    kind = "complete" if info["complete"] else "subset"
    return f"{info['dataset']}: {info['path']} ({info['train']:,} train, {info['test']:,} test, {kind})"


def _data_status(args):
    from . import data

    infos = [data.status(name, args.dir) for name in DATASETS]
    for info in infos:
        print(_status_line(info))
    return 1 if any(info["path"] is None for info in infos) else 0


# --- models -------------------------------------------------------------------------------------


def _list(args):
    from . import MODELS

    print("\n".join(MODELS))
    return 0


def _shape(text):
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        dims = ()
    if len(dims) != 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected H,W,C such as 32,32,1, got {text!r}")
    return dims


def _argument(convert, allowed, expected):
    """An argparse type: `convert` the text, then check it, or say what was expected."""

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not allowed(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_learning_rate = _argument(
    float, lambda v: math.isfinite(v) and v > 0, "a positive number such as 0.002"
)
_seed = _argument(int, lambda v: v >= 0, "an integer >= 0")
_positive = _argument(int, lambda v: v >= 1, "a positive integer")


def _devices(text):
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 'all' or a positive number, got {text!r}")
    return value


def _summary(args):
    builder = _model_builder(args.model)  # before the imports: a typo is answered at once
    import pandas as pd

    from .arithmetic import layer_table, totals

    options = {"classes": args.classes} if args.classes else {}
    if args.input_shape:
        options["input_shape"] = args.input_shape
    table = layer_table(builder(**options))
    with pd.option_context(
        "display.max_rows", None, "display.width", 200, "display.max_colwidth", 60
    ):
        print(table.to_string(index=False))
    sums = totals(table)
    print(
        f"\ntotal {sums['params']:,} parameters ({sums['trainable']:,} trainable, "
        f"{sums['non_trainable']:,} non-trainable), {sums['macs']:,} multiply-accumulates per image"
    )
    return 0


def _train(args):
    builder = _model_builder(args.model)  # before the imports: a typo is answered at once
    output_dir = _writable_dir(args.output_dir)
    from . import course, data, runs, training
    from ._keras import keras
    from .recipes import Recipe

    chapter, plan = course.plan_for_model(args.model)
    dataset_name = args.dataset or (plan.dataset if plan else None)
    if dataset_name is None:
        raise CommandError(
            f"no chapter trains {args.model}, so it has no dataset or recipe of its own: give "
            f"--dataset (mnist or cifar10); the default recipe is then used"
        )
    mode = training.configure(precision=args.precision)  # on a GPU: more epochs, bigger batches
    mode_name = "gpu" if mode.name == "gpu" else "cpu"
    chapters_own = plan is not None and dataset_name == plan.dataset
    base = plan.recipe(mode_name) if chapters_own else Recipe()
    source = f"chapter {chapter}'s {mode_name} recipe" if chapters_own else "the default recipe"
    recipe = base.replace(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate
    )
    spread = ""
    if args.devices is not None:  # before the data: a count this machine lacks, an uneven batch
        from .distributed import DataParallel

        parallel = DataParallel(args.devices)
        share = parallel.batch_per_device(recipe.batch_size)
        plural = "s" * (parallel.count != 1)
        spread = (
            f", data-parallel over {parallel.count} device{plural} ({share} images each per batch)"
        )
    default_train, default_test = plan.sizes(mode_name) if chapters_own else (None, None)
    dataset = data.load(
        dataset_name, args.n_train or default_train, args.n_test or default_test, args.seed,
        pad_to=32 if dataset_name == "mnist" else None,
    )  # fmt: skip
    training.set_seed(args.seed)
    model = builder(input_shape=dataset.x_train.shape[1:], classes=len(dataset.class_names))
    print(
        f"training {args.model} on {len(dataset.x_train):,} {dataset_name} images in {mode}, "
        f"seed {args.seed}{spread}, with {source}: {recipe.describe()}",
        flush=True,
    )
    run = training.train(model, dataset, recipe, seed=args.seed, devices=args.devices)
    accuracy, _ = training.evaluate(model, dataset.x_test, dataset.y_test)
    record = {
        "model": args.model, "dataset": dataset_name, "chapter": chapter,
        "n_train": len(dataset.x_train), "n_test": len(dataset.x_test), "seed": args.seed,
        "recipe": dataclasses.asdict(recipe), "test_accuracy": round(accuracy, 4),
        "train_seconds": round(run.seconds, 2), "images_per_second": round(run.images_per_second, 1),
        "history": run.history, "backend": keras.backend.backend(), "keras": keras.__version__,
        "device": mode.device, "precision": mode.precision, "devices": run.devices,
    }  # fmt: skip
    model_path, record_path = runs.save(model, record, output_dir, f"{args.model}_{dataset_name}")
    print(
        f"test accuracy {accuracy:.2%} on {len(dataset.x_test):,} images; "
        f"training took {run.seconds:.1f} s"
    )
    print(f"saved {model_path} and {record_path}")
    print(f"load it with: {runs.LOAD_HINT.format(path=str(model_path))}")
    return 0


# --- experiments --------------------------------------------------------------------------------


def _experiment(args):
    from . import experiments

    # the long run's result is the committed one the chapters plot; a shorter run is the learner's
    default = experiments.RESULTS if args.size == "long" else Path("runs")
    output_dir = _writable_dir(args.output_dir or default)
    experiment = experiments.get(args.name)
    settings = experiment.settings(args.size)
    print(f"experiment {args.name}, {args.size} size: {experiment.claim}", flush=True)
    print("settings: " + ", ".join(f"{key}={value}" for key, value in settings.items()), flush=True)
    result = experiments.run(args.name, args.size)
    path = experiments.save(result, output_dir)
    print(f"done in {result['wall_seconds']:.0f} s; saved {path}")
    return 0


# --- notebooks and badges -----------------------------------------------------------------------


def _notebooks_run(args):
    from . import course

    found = course.chapters()
    if args.chapter:
        found = [c for c in found if c.number in args.chapter]
        missing = sorted(set(args.chapter) - {c.number for c in found})
        if missing:
            raise CommandError(
                f"no chapter {missing[0]}; chapters: "
                f"{', '.join(str(c.number) for c in course.chapters())}"
            )
    output_dir = None if args.in_place else _writable_dir(args.output_dir)
    print(f"{'chapter':<28} {'status':<7} {'wall s':>7} {'peak MiB':>9}  test accuracy", flush=True)
    failed = 0
    for chapter in found:
        output = chapter.path if args.in_place else output_dir / chapter.path.name
        run = course.run_notebook(chapter, output, args.quick)
        failed += not run.ok
        print(f"{chapter.path.stem:<28} {'ok' if run.ok else 'FAILED':<7} {run.seconds:>7.1f} "
              f"{run.peak_mib:>9.0f}  {run.accuracy}", flush=True)  # fmt: skip
        if not run.ok:
            print(f"{chapter.path.stem}: {run.error}", file=sys.stderr)
    return 1 if failed else 0


def _badges(args):
    from . import course

    if args.write:
        course.write()
    issues = course.problems()
    for issue in issues:
        print(issue, file=sys.stderr)
    if not issues:
        print(f"badges and chapter table match the {len(course.chapters())} notebooks")
    return 1 if issues else 0


# --- doctor -------------------------------------------------------------------------------------


def _kernel_check():
    """Start the notebooks' python3 kernel and import the course in it."""
    import subprocess

    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # the kernel's own log
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60, **quiet)
    try:
        reply = client.execute_interactive(
            "import cnn_lessons", timeout=120, output_hook=lambda m: None
        )
        ok = reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return ok, time.perf_counter() - started


def _doctor(args):
    from . import data, precision, training
    from ._keras import keras

    problems = 0
    backend = keras.backend.backend()
    backend_module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    version = getattr(
        sys.modules.get(backend_module) or __import__(backend_module), "__version__", "?"
    )
    print(f"python    {platform.python_version()} ({sys.executable})")
    print(f"keras     {keras.__version__}")
    kernels = {True: ", oneDNN kernels on", False: ", oneDNN kernels off", None: ""}
    print(f"backend   {backend} {version}{kernels[precision.onednn()]}")
    print(f"device    {training.accelerator()}")
    for name in DATASETS:
        print(f"data      {_status_line(data.status(name))}")
    try:
        ok, seconds = _kernel_check()
        detail = (
            f"starts and imports cnn_lessons ({seconds:.1f} s)"
            if ok
            else "starts, but cannot import cnn_lessons"
        )
    except Exception as error:  # any failure to start is the finding itself
        ok, detail = False, f"does not start: {type(error).__name__}: {error}"
    problems += not ok
    print(f"kernel    python3 {detail}")
    return 1 if problems else 0


# --- parser -------------------------------------------------------------------------------------


def parser():
    top = argparse.ArgumentParser(prog="cnn-lessons", description=__doc__.split("\n")[0],
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  epilog="\n".join(__doc__.split("\n")[2:]))  # fmt: skip
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="name the registered models").set_defaults(run=_list)

    summary = commands.add_parser("summary", help="per-layer arithmetic table of a model")
    summary.add_argument("model", help="a registered model (see `cnn-lessons list`)")
    summary.add_argument("--input-shape", type=_shape, help="H,W,C, e.g. 32,32,1")
    summary.add_argument("--classes", type=_positive, help="number of output classes")
    summary.set_defaults(run=_summary)

    train = commands.add_parser(
        "train", help="train a model with its chapter's recipe (course.CHAPTERS)",
        description="Train a registered model on MNIST or CIFAR-10 with the recipe and image "
        "counts of the chapter that trains it (its cpu or gpu mode), save it and a JSON record. "
        "Each option below overrides the chapter's value.",
    )  # fmt: skip
    train.add_argument("model", help="a registered model (see `cnn-lessons list`)")
    train.add_argument("--dataset", choices=DATASETS, help="default: the chapter's")
    train.add_argument("--n-train", type=_positive, help="training images (default: the chapter's)")
    train.add_argument("--n-test", type=_positive, help="test images (default: the chapter's)")
    train.add_argument("--epochs", type=_positive, help="default: the chapter's recipe")
    train.add_argument("--batch-size", type=_positive, help="default: the chapter's recipe")
    train.add_argument("--precision", help="float32, mixed_float16 or mixed_bfloat16 "
                       "(default: float32, or mixed precision on a GPU)")  # fmt: skip
    train.add_argument(
        "--learning-rate", type=_learning_rate, help="peak learning rate (default: the chapter's)"
    )
    train.add_argument("--devices", type=_devices, help="train data-parallel on all the devices "
                       "or N of them, each batch split evenly (default: one device)")  # fmt: skip
    train.add_argument("--seed", type=_seed, default=0)
    train.add_argument("--output-dir", default="runs", help="where the model and record go")
    train.set_defaults(run=_train)

    data_cmd = commands.add_parser("data", help="fetch or check the datasets")
    data_actions = data_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch = data_actions.add_parser("fetch", help="download and cache the datasets")
    fetch.add_argument("--dataset", choices=(*DATASETS, "all"), default="all")
    fetch.add_argument("--dir", help="look here first (default: $CNN_LESSONS_DATA, then data/)")
    fetch.set_defaults(run=_data_fetch)
    status = data_actions.add_parser("status", help="where each dataset is, and if it is complete")
    status.add_argument("--dir", help="look here first")
    status.set_defaults(run=_data_status)

    notebooks = commands.add_parser("notebooks", help="run the chapter notebooks")
    notebook_actions = notebooks.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = notebook_actions.add_parser(
        "run", help="execute chapters with papermill and measure them"
    )
    run.add_argument("--quick", action="store_true", help="the workshop setting (QUICK = True)")
    run.add_argument(
        "--chapter", type=_positive, action="append", help="only this chapter (repeatable)"
    )
    run.add_argument("--output-dir", default="notebook-runs", help="where executed copies go")
    run.add_argument("--in-place", action="store_true", help="overwrite the committed notebooks")
    run.set_defaults(run=_notebooks_run)

    from .experiments import EXPERIMENTS, SIZES

    experiment = commands.add_parser(
        "experiment", help="run a paper's claim as an experiment and save its result as JSON"
    )
    experiment.add_argument("name", choices=list(EXPERIMENTS), help="the experiment to run")
    experiment.add_argument("--size", choices=SIZES, default="long",
                            help="long (default: the committed result's run), or a chapter's "
                                 "default or quick run")  # fmt: skip
    experiment.add_argument(
        "--output-dir",
        help="where NAME.json goes (default: cnn_lessons/results, the committed results the "
        "chapters plot, for --size long; runs/ for the others)",
    )
    experiment.set_defaults(run=_experiment)

    badges = commands.add_parser("badges", help="check (or --write) the README table and badges")
    badges_action = badges.add_mutually_exclusive_group()
    badges_action.add_argument("--check", action="store_true",
                               help="report any drift and exit 1 if there is some (the default)")  # fmt: skip
    badges_action.add_argument("--write", action="store_true", help="regenerate them, then check")
    badges.set_defaults(run=_badges)

    commands.add_parser("doctor", help="report versions, device, data and the kernel").set_defaults(
        run=_doctor
    )
    return top


def _terminated(signum, frame):
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C, so temporary files are removed


def main(argv=None):
    args = parser().parse_args(argv)
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        return args.run(args)
    except (CommandError, ValueError, OSError, RuntimeError, TypeError) as error:
        message = " ".join(str(error).split())
        print(f"cnn-lessons: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cnn-lessons: interrupted", file=sys.stderr)
        return 130
    except SystemExit as stop:
        if isinstance(stop.code, int) and stop.code > 128:
            print(f"cnn-lessons: stopped by signal {stop.code - 128}", file=sys.stderr)
        raise
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())

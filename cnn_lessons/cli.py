"""`cnn-lessons`: the course's command line.

    cnn-lessons data fetch [--dataset NAME]   download and cache the datasets (before a workshop)
    cnn-lessons data status                   where each dataset is and whether it is complete
    cnn-lessons list                          the registered models
    cnn-lessons summary MODEL                 a model's per-layer arithmetic table and totals

Errors go to stderr in one line, and the exit code is non-zero.
"""

import argparse
import sys

DATASETS = ("mnist", "cifar10")


def _data_fetch(args):
    from . import data

    for name in DATASETS if args.dataset == "all" else (args.dataset,):
        print(f"{name}: fetching...", flush=True)
        path = data.fetch(name, args.dir)
        info = data.status(name, args.dir)
        print(f"{name}: {path} ({info['train']:,} train, {info['test']:,} test)")
    return 0


def _data_status(args):
    from . import data

    missing = 0
    for name in DATASETS:
        info = data.status(name, args.dir)
        if info["path"] is None:
            missing += 1
            print(f"{name}: missing (run `cnn-lessons data fetch`)")
        else:
            kind = "complete" if info["complete"] else "subset"
            print(f"{name}: {info['path']} ({info['train']:,} train, {info['test']:,} test, {kind})")
    return 1 if missing else 0


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


def _summary(args):
    import pandas as pd

    from . import MODELS
    from .arithmetic import layer_table, totals

    if args.model not in MODELS:
        raise ValueError(f"unknown model {args.model!r}; choose one of: {', '.join(MODELS)}")
    options = {"classes": args.classes} if args.classes else {}
    if args.input_shape:
        options["input_shape"] = args.input_shape
    table = layer_table(MODELS[args.model](**options))
    with pd.option_context("display.max_rows", None, "display.width", 200,
                           "display.max_colwidth", 60):  # fmt: skip
        print(table.to_string(index=False))
    sums = totals(table)
    print(
        f"\ntotal {sums['params']:,} parameters ({sums['trainable']:,} trainable, "
        f"{sums['non_trainable']:,} non-trainable), {sums['macs']:,} multiply-accumulates per image"
    )
    return 0


def parser():
    top = argparse.ArgumentParser(prog="cnn-lessons", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    data_cmd = commands.add_parser("data", help="fetch or check the datasets")
    data_actions = data_cmd.add_subparsers(dest="action", required=True)
    fetch = data_actions.add_parser("fetch", help="download and cache the datasets")
    fetch.add_argument("--dataset", choices=(*DATASETS, "all"), default="all")
    fetch.add_argument("--dir", help="look here first (default: $CNN_LESSONS_DATA, then data/)")
    fetch.set_defaults(run=_data_fetch)
    status = data_actions.add_parser("status", help="where each dataset is, and if it is complete")
    status.add_argument("--dir", help="look here first")
    status.set_defaults(run=_data_status)

    commands.add_parser("list", help="name the registered models").set_defaults(run=_list)

    summary = commands.add_parser("summary", help="per-layer arithmetic table of a model")
    summary.add_argument("model", help="a registered model (see `cnn-lessons list`)")
    summary.add_argument("--input-shape", type=_shape, help="H,W,C, e.g. 32,32,1")
    summary.add_argument("--classes", type=int, help="number of output classes")
    summary.set_defaults(run=_summary)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, RuntimeError, TypeError) as error:
        message = " ".join(str(error).split())
        print(f"cnn-lessons: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

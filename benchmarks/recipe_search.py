"""Compare variants of a chapter's recipe on its validation share (never on the test set).

    python benchmarks/recipe_search.py 5 "learning_rate=0.1" "label_smoothing=0.1,epochs=4"
    python benchmarks/recipe_search.py 2 "flip=True" --mode cpu --seeds 0,1

Each variant is the chapter's recipe for the mode with some fields changed (`field=value`, comma
separated; values are Python literals). Every variant trains the chapter's main model on the
chapter's training images for that mode, holds out the recipe's validation share, and reports the
validation accuracy of its last epoch (per seed, and their mean) with the training seconds. The
chapter's own recipe is always the first row. How the course's recipes were chosen with it:
benchmarks/RESULTS.md.
"""

import argparse
import ast
import json
import statistics
from pathlib import Path

from common import EpochClock, chapter_data, chapter_model, chapter_names, machine

from cnn_lessons import course, training


def parse_variant(text):
    """'learning_rate=0.1,flip=True' -> {'learning_rate': 0.1, 'flip': True}."""
    changes = {}
    for part in filter(None, text.split(",")):
        field, _, value = part.partition("=")
        changes[field.strip()] = ast.literal_eval(value.strip())
    return changes


def validation_accuracy(key, recipe, dataset, seed):
    model = chapter_model(key, seed)
    clock = EpochClock()
    run = training.train(model, dataset, recipe, seed=seed, verbose=False, callbacks=[clock])
    metric = "val_linear_accuracy" if "val_linear_accuracy" in run.history else "val_accuracy"
    training.clear_session()
    return run.history[metric][-1], sum(seconds for seconds, _ in clock.epochs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapter", help="e.g. 5 or 05_resnet")
    parser.add_argument("variants", nargs="*", help="field=value[,field=value...]")
    parser.add_argument("--mode", default="cpu", choices=course.MODES)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--output", help="append the results to this JSON file")
    args = parser.parse_args(argv)
    (key,) = chapter_names(args.chapter)
    plan = course.CHAPTERS[key]
    mode = training.configure()
    base = plan.recipe(args.mode)
    dataset = chapter_data(key, plan.sizes(args.mode)[0])
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    print(f"{key}, {args.mode} mode, {len(dataset.x_train):,} images, {mode.precision}; "
          f"validation accuracy of the last epoch, seeds {seeds}")  # fmt: skip
    for text in ["", *args.variants]:
        recipe = base.replace(**parse_variant(text))
        results = [validation_accuracy(key, recipe, dataset, seed) for seed in seeds]
        accuracies = [accuracy for accuracy, _ in results]
        row = {"variant": text or "(the chapter's recipe)", "recipe": recipe.describe(),
               "validation_accuracy": [round(a, 4) for a in accuracies],
               "mean": round(statistics.mean(accuracies), 4),
               "training_seconds": round(statistics.mean(s for _, s in results), 1)}  # fmt: skip
        rows.append(row)
        print(f"{row['mean']:7.2%}  {row['training_seconds']:6.1f} s  {row['variant']}", flush=True)
    if args.output:
        path = Path(args.output)
        previous = json.loads(path.read_text()) if path.exists() else []
        previous.append({**machine(mode), "chapter": key, "mode": args.mode, "rows": rows})
        path.write_text(json.dumps(previous, indent=1) + "\n")


if __name__ == "__main__":
    main()

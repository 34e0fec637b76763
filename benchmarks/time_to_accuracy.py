"""Time to each chapter's accuracy: the chapter's own run, from the course table, timed.

    python benchmarks/time_to_accuracy.py                    # every chapter, cpu mode
    python benchmarks/time_to_accuracy.py --chapters 5
    python benchmarks/time_to_accuracy.py --mode quick       # the workshop setting
    KERAS_BACKEND=jax python benchmarks/time_to_accuracy.py  # on a GPU: gpu mode, all images

Per chapter: its main model, trained with the recipe and image counts of the chosen mode (the
run's own mode by default: cpu on a CPU, gpu on a GPU) through `training.train`, as the notebook
trains it. The clock counts the seconds of training epochs (validation and the final test not
counted); the target is the chapter's floor for that mode, reached when the validation accuracy
after an epoch first meets it (recipes are chosen on validation, so is this). The run goes on to
the end of its recipe, whose schedule is sized for it, and the test accuracy is measured once.
"""

import argparse
import json
from pathlib import Path

from common import EpochClock, chapter_data, chapter_model, chapter_names, machine, peak_memory_mib

from cnn_lessons import course, training


def time_to_accuracy(key, mode_name):
    plan = course.CHAPTERS[key]
    recipe = plan.recipe(mode_name)
    n_train, n_test = plan.sizes(mode_name)
    dataset = chapter_data(key, n_train, n_test)
    model = chapter_model(key)
    clock = EpochClock()
    run = training.train(model, dataset, recipe, verbose=False, callbacks=[clock])
    if len(model.outputs) > 1:  # GoogLeNet's auxiliary head: score the main classifier
        from cnn_lessons.googlenet import inference_model

        model = inference_model(model)
    accuracy, _ = training.evaluate(model, dataset.x_test, dataset.y_test)
    target = min(plan.floors[mode_name].values())
    metric = "val_linear_accuracy" if "val_linear_accuracy" in run.history else "val_accuracy"
    elapsed, curve, reached = 0.0, [], None
    for seconds, logs in clock.epochs:
        elapsed += seconds
        curve.append((round(elapsed, 2), round(logs[metric], 4)))
        if reached is None and logs[metric] >= target:
            reached = round(elapsed, 2)
    training.clear_session()
    return {
        "model": plan.models[0], "mode": mode_name, "n_train": run.trained,
        "n_validation": run.held_out, "n_test": len(dataset.x_test), "recipe": recipe.describe(),
        "target": target, "seconds_to_target": reached, "training_seconds": round(elapsed, 2),
        "images_per_second": round(run.images_per_second, 1), "test_accuracy": round(accuracy, 4),
        "curve": curve,
    }  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapters", default="all", help="e.g. 1,5 or 05_resnet (default: all)")
    parser.add_argument("--mode", choices=course.MODES, help="default: this machine's (cpu, gpu)")
    parser.add_argument("--output", default="time_to_accuracy.json")
    args = parser.parse_args(argv)
    keys = chapter_names(args.chapters)
    mode = training.configure()
    mode_name = args.mode or mode.name
    record = {**machine(mode), "mode": mode_name, "chapters": {}}
    output = Path(args.output)
    print(f"{record['backend']} on {mode.device} ({record['cpu']}), {mode.precision}, "
          f"{mode_name} mode", flush=True)  # fmt: skip
    print(f"{'chapter':<14} {'model':<20} {'target':>6} {'s to target':>11} {'train s':>8} "
          f"{'images/s':>9} {'test acc':>9}")  # fmt: skip
    for key in keys:
        result = record["chapters"][key] = time_to_accuracy(key, mode_name)
        record["peak_host_mib"] = round(peak_memory_mib())
        output.write_text(json.dumps(record, indent=1) + "\n")
        reached = result["seconds_to_target"]
        print(f"{key:<14} {result['model']:<20} {result['target']:>6.0%} "
              f"{reached if reached is not None else 'not reached':>11} "
              f"{result['training_seconds']:>8.1f} {result['images_per_second']:>9,.0f} "
              f"{result['test_accuracy']:>9.1%}", flush=True)  # fmt: skip
    print(f"wrote {output}")


if __name__ == "__main__":
    main()

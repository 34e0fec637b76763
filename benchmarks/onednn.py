"""TensorFlow's oneDNN kernels on and off, side by side: each chapter's training images/s.

    python benchmarks/onednn.py                       # every chapter, 3 rounds
    python benchmarks/onednn.py --chapters 4,5 --rounds 5

TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, when it starts, so the two settings cannot share a
process: each round runs `throughput.py --variants recipe` (the chapter's recipe through the
shared trainer, as the notebook trains it) in two fresh processes, one per setting, and the
setting that goes first alternates from round to round. A setting's number is the median over
rounds; the arithmetic fraction is against the convolution measured in the same process. JSON
with every number goes to --output; results: benchmarks/RESULTS.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETTINGS = {"on": "1", "off": "0"}


def measure_once(setting, chapters, images):
    """One fresh process's `throughput.py` record, with oneDNN `setting` ("on" or "off")."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "throughput.json"
        command = [sys.executable, str(HERE / "throughput.py"), "--chapters", chapters,
                   "--images", str(images), "--rounds", "1", "--variants", "recipe",
                   "--output", str(output)]  # fmt: skip
        env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": SETTINGS[setting]}
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        return json.loads(output.read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapters", default="all", help="e.g. 2,5 (default: all)")
    parser.add_argument("--images", type=int, default=2_560, help="training images per epoch")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per setting")
    parser.add_argument("--output", default="onednn.json")
    args = parser.parse_args(argv)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        raise SystemExit(f"oneDNN is TensorFlow's switch: unset KERAS_BACKEND (it is {backend!r})")
    records = {setting: [] for setting in SETTINGS}
    for round_ in range(args.rounds):
        for setting in list(SETTINGS)[:: 1 if round_ % 2 == 0 else -1]:
            record = measure_once(setting, args.chapters, args.images)
            if record["onednn"] is not (setting == "on"):
                raise SystemExit(f"TensorFlow did not take TF_ENABLE_ONEDNN_OPTS for {setting!r}")
            records[setting].append(record)
    first = records["on"][0]
    result = {key: first[key] for key in ("backend", "keras", "cpu", "precision", "date")}
    result["chapters"] = {}
    for key, chapter in first["chapters"].items():
        row = {"model": chapter["model"]}
        for setting, runs in records.items():
            speeds = [run["chapters"][key]["images_per_second"]["recipe"] for run in runs]
            row[setting] = {
                "images_per_second": round(statistics.median(s["median"] for s in speeds), 1),
                "rounds": [s["median"] for s in speeds],
                "arithmetic_fraction": round(
                    statistics.median(s["arithmetic_fraction"] for s in speeds), 3
                ),
            }
        row["speedup"] = round(row["on"]["images_per_second"] / row["off"]["images_per_second"], 3)
        result["chapters"][key] = row
    for setting, runs in records.items():
        result[f"convolution_gflops_{setting}"] = statistics.median(
            run["convolution_gflops"][first["precision"]] for run in runs
        )
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(f"{result['cpu']}, {result['precision']}; 3x3 convolution GFLOP/s: oneDNN on "
          f"{result['convolution_gflops_on']}, off {result['convolution_gflops_off']}")  # fmt: skip
    for key, row in result["chapters"].items():
        print(f"{key:<14} {row['model']:<16} on {row['on']['images_per_second']:>7,.0f}  "
              f"off {row['off']['images_per_second']:>7,.0f} images/s  x{row['speedup']:.2f}  "
              f"fraction on {row['on']['arithmetic_fraction']:.1%}, "
              f"off {row['off']['arithmetic_fraction']:.1%}")  # fmt: skip
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

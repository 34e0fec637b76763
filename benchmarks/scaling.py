"""Scale on paper: expected time per epoch and per run of the papers' full-scale training on 1, 8
and 64 devices, from one device's measured throughput (`distributed.scaling_table`).

    python benchmarks/scaling.py            # measure here, write results/scaling.json, print
    python benchmarks/scaling.py --tables   # only print the tables of the recorded measurements

Measured here (a minute at most): ResNet-50's training images/s at 224x224, batch 8, float32, a
few `train_on_batch` steps after two unmeasured ones (median); the ImageNet input pipeline's
images/s alone (`pipeline.ImageFolder.batches` at 224, on 256 generated 500x375 JPEG files,
ImageNet's most common size). Read from the repository's GPU record: ResNet-20's images/s on
one H200 (results/gpu_h200/targets.json, `benchmarks/RESULTS.md`). Not measured anywhere here:
ResNet-50 on a GPU; the table uses NVIDIA's published number for one A100 (`ASSUMED`), labelled
as such. The README's "When one machine is not enough" quotes these tables; a test checks that
they are the ones the record gives.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnn_lessons import course, distributed  # noqa: E402

RECORD = ROOT / "benchmarks" / "results" / "scaling.json"
GPU_RECORD = ROOT / "benchmarks" / "results" / "gpu_h200" / "targets.json"
RESNET50_PARAMETERS = 25_557_032  # trainable (PAPERS.md, = torchvision): the gradient's size
RESNET20_PARAMETERS = 269_722
# A single-device throughput this repository has not measured, with its source.
ASSUMED = {
    "resnet50_gpu_images_per_second": 2_470,
    "resnet50_gpu_batch": 256,
    "resnet50_gpu_source": (
        "NVIDIA DeepLearningExamples, PyTorch/Classification/ConvNets/resnet50v1.5/README.md, "
        "'Training performance: NVIDIA DGX A100 (8x A100 80GB)': 1 GPU, mixed precision, batch "
        "256, 2,470 img/s (8 GPUs: 16,621 img/s, 6.72x; 90 epochs ~14 h on one, ~3 h on 8)"
    ),
}


def measure_resnet50(batch=8, steps=5):
    """ResNet-50's training images/s at 224x224 on this machine, float32 (median step)."""
    import numpy as np

    from cnn_lessons import training
    from cnn_lessons.resnet import resnet

    training.configure(precision="float32")
    training.set_seed(0)
    model = resnet(50)
    recipe = course.FULL_SCALE["resnet50_imagenet"].recipe
    training.compile_for(model, recipe, steps=100)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 224, 224, 3)).astype("float32")
    y = rng.integers(0, 1000, batch)
    times = []
    for step in range(steps + 2):  # the first two trace the step and warm up
        started = time.perf_counter()
        model.train_on_batch(x, y)
        if step >= 2:
            times.append(time.perf_counter() - started)
    return batch / statistics.median(times)


def measure_pipeline(files=256, batch=64, batches=12):
    """The ImageNet training pipeline's images/s at 224 on `files` generated 500x375 JPEGs."""
    import numpy as np
    from PIL import Image

    from cnn_lessons import pipeline

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        for index in range(files):
            (Path(folder) / f"class_{index % 8}").mkdir(exist_ok=True)
            # smooth colours, so the files are of a photograph's size (~30-60 KB), not noise's
            small = rng.integers(0, 256, (12, 16, 3), dtype="uint8")
            image = Image.fromarray(small).resize((500, 375), Image.BICUBIC)
            image.save(Path(folder) / f"class_{index % 8}" / f"{index}.JPEG", quality=90)
        images = pipeline.ImageFolder(folder, image_size=224)
        return pipeline.images_per_second(images, batch_size=batch, batches=batches)


def tables(record):
    """The README's Markdown tables, by name, from a record of measurements."""
    resnet50 = course.FULL_SCALE["resnet50_imagenet"]
    cifar = course.FULL_SCALE["resnet_cifar10"]
    found = {}
    found["resnet50_gpu"] = distributed.markdown_table(distributed.scaling_table(
        record["resnet50_gpu_images_per_second"], RESNET50_PARAMETERS,
        record["resnet50_gpu_batch"], recipe=resnet50.recipe,
    ))  # fmt: skip
    found["resnet50_cpu"] = distributed.markdown_table(distributed.scaling_table(
        record["resnet50_cpu_images_per_second"], RESNET50_PARAMETERS,
        record["resnet50_cpu_batch"], devices_per_host=1, recipe=resnet50.recipe,
    ))  # fmt: skip
    found["resnet20_gpu"] = distributed.markdown_table(distributed.scaling_table(
        record["resnet20_gpu_images_per_second"], RESNET20_PARAMETERS,
        record["resnet20_gpu_batch"], devices=(1, 2, 8), images=cifar.images,
        epochs=cifar.recipe.epochs, recipe=cifar.recipe,
    ), epochs=cifar.recipe.epochs)  # fmt: skip
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", action="store_true", help="only print the recorded tables")
    parser.add_argument("--output", default=str(RECORD))
    args = parser.parse_args(argv)
    if not args.tables:
        gpu = json.loads(GPU_RECORD.read_text())
        record = {
            **ASSUMED,
            "resnet20_gpu_images_per_second": gpu["speed"]["resnet20"],
            "resnet20_gpu_batch": gpu["batch_size"],
            "resnet20_gpu_source": f"{GPU_RECORD.relative_to(ROOT)} ({gpu['device']}, "
            f"{gpu['precision']}, {gpu['date']})",
        }
        print("measuring ResNet-50 at 224x224, batch 8 ...", flush=True)
        record["resnet50_cpu_images_per_second"] = round(measure_resnet50(), 2)
        record["resnet50_cpu_batch"] = 8
        print("measuring the ImageNet input pipeline ...", flush=True)
        record["pipeline_images_per_second"] = round(measure_pipeline(), 1)
        from common import machine

        from cnn_lessons import training

        record["machine"] = machine(training.configure(precision="float32"))
        # the 2-core CPU is shared: what else ran shows in the load over the last minute
        record["load_average"] = round(os.getloadavg()[0], 2)
        Path(args.output).write_text(json.dumps(record, indent=1) + "\n")
    record = json.loads(Path(args.output).read_text())
    print(
        f"ResNet-50 on this CPU: {record['resnet50_cpu_images_per_second']} training images/s; "
        f"the input pipeline alone: {record['pipeline_images_per_second']} images/s"
    )
    for name, table in tables(record).items():
        print(f"\n{name}\n{table}")


if __name__ == "__main__":
    main()

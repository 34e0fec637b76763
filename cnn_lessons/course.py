"""The course as a whole: its chapters (the notebooks), running them, and the Binder and Colab
badges that open them, generated from the one repository URL in `pyproject.toml`
(`[project.urls] Repository`).

`cnn-lessons badges --check` fails when the README's chapter table or a notebook's badge has
drifted from the notebook list; `cnn-lessons badges --write` regenerates them.
`cnn-lessons notebooks run` executes chapters with papermill and measures each one.
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .files import replacing, temporary_file
from .recipes import Recipe

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
README = ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- chapters:start -->", "<!-- chapters:end -->"
BRANCH = "main"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


MODES = ("quick", "cpu", "gpu")


@dataclass(frozen=True)
class Plan:
    """How a chapter trains: the one place its recipe and its accuracy floors are written.

    Attributes:
        dataset: "mnist" or "cifar10".
        models: the registered models the chapter trains (`cnn_lessons.MODELS`); the first is
            the chapter's main model, the one `cnn-lessons train` and the benchmarks use.
        recipes: a `recipes.Recipe` per run mode ("quick", "cpu", "gpu", see
            `training.configure`).
        images: (training, test) images per mode; None means all the dataset holds.
        floors: per mode, the least each accuracy the notebook reports must reach (the tests
            assert the quick ones on a papermill run, and the cpu ones on the committed run).
    """

    dataset: str
    models: tuple
    recipes: dict
    images: dict
    floors: dict

    def recipe(self, mode, **overrides):
        """The recipe for `mode` (a `training.Mode` or its name), with `overrides` such as a
        notebook's `epochs=EPOCHS` (None keeps the recipe's own)."""
        return self.recipes[_mode_name(mode)].replace(**overrides)

    def sizes(self, mode, n_train=None, n_test=None):
        """(training, test) images for `mode`; None means all the dataset holds (read from the
        archive `data.load` finds). Explicit `n_train` / `n_test` win."""
        default_train, default_test = self.images[_mode_name(mode)]
        n_train, n_test = n_train or default_train, n_test or default_test
        if n_train is None or n_test is None:
            from . import data

            all_train, all_test = data.available(self.dataset)
            n_train, n_test = n_train or all_train, n_test or all_test
        return n_train, n_test


def _mode_name(mode):
    name = getattr(mode, "name", mode)
    if name not in MODES:
        raise ValueError(f"A run mode is one of {', '.join(MODES)}. Received: {mode!r}")
    return name


# Each chapter's plan. Recipes were chosen on the validation share (see each notebook's training
# section); the test set is touched once, at the end of a run.
# LeNet-5's steps are so small that Python's dispatch of each one dominates: 16 steps per call ran
# 2.2x the images/s of one per call, side by side (benchmarks/RESULTS.md).
_LENET = Recipe(optimizer="adam", learning_rate=2e-3, batch_size=128, steps_per_execution=16)
_ALEXNET = Recipe(optimizer="adam", learning_rate=1e-3, warmup=0.1, batch_size=128, flip=True)
_VGG = Recipe(optimizer="adam", learning_rate=2e-3, batch_size=64, flip=True)
_GOOGLENET = Recipe(optimizer="adam", learning_rate=4e-3, batch_size=64, output_weights=(1.0, 0.3))
# The paper's CIFAR recipe (section 4.2): SGD with momentum 0.9, weight decay 1e-4, peak 0.1 for
# batches of 128 (scaled here to 64), flips and 4-pixel shifts; a warm-up and a cosine replace
# the paper's steps in these short runs, and the shifts, which cost 6 points of validation
# accuracy in 4 epochs (benchmarks/RESULTS.md), are left out.
_RESNET = Recipe(
    optimizer="sgd", learning_rate=0.05, momentum=0.9, weight_decay=1e-4, warmup=1 / 3,
    batch_size=64, flip=True, bn_momentum=0.9,
)  # fmt: skip
_CIFAR_IMAGES = {"quick": (2_000, 1_000), "cpu": (10_000, 5_000), "gpu": (None, None)}

# Chapter 6's contest: one recipe for all five CIFAR networks (the same optimizer, schedule,
# augmentation and batches), chosen on a validation share held out of the training images
# (contest.RECIPE_TRIALS, shown in the notebook); the contest's runs then train on all of them
# (validation_split=0) and are tested once. Its epochs per mode are the same-epochs contest's;
# CONTEST_SECONDS is the same-seconds budget of each network, CONTEST_SEEDS how many seeds
# (SEED, SEED + 1, ...) each network trains with per budget.
CONTEST = Recipe(optimizer="adam", learning_rate=2e-3, batch_size=64, flip=True, shift=4,
                 bn_momentum=0.9, validation_split=0.0)  # fmt: skip
CONTEST_SECONDS = {"quick": 4, "cpu": 30, "gpu": 60}
CONTEST_SEEDS = {"quick": 1, "cpu": 1, "gpu": 3}

CHAPTERS = {
    "01_lenet5": Plan(
        dataset="mnist",
        models=("lenet5_modern", "lenet5", "lenet5_softmax"),
        recipes={"quick": _LENET.replace(epochs=2), "cpu": _LENET.replace(epochs=4),
                 "gpu": _LENET.replace(epochs=15, batch_size=256)},
        images={"quick": (10_000, 2_000), "cpu": (60_000, 10_000), "gpu": (60_000, 10_000)},
        floors={"quick": {"modern_test_accuracy": 0.88, "paper_test_accuracy": 0.88},
                "cpu": {"modern_test_accuracy": 0.98, "paper_test_accuracy": 0.975}},
    ),
    "02_alexnet": Plan(
        dataset="cifar10",
        models=("alexnet_cifar",),
        # cpu: batches of 64 beat 128 by 1.5 and 1.6 points of validation accuracy (seeds 0, 1);
        # label smoothing 0.1 gained 1.4, 0.7 and 0.8 more (seeds 0, 1, 2: benchmarks/RESULTS.md)
        recipes={"quick": _ALEXNET.replace(epochs=3),
                 "cpu": _ALEXNET.replace(epochs=7, batch_size=64, label_smoothing=0.1),
                 "gpu": _ALEXNET.replace(epochs=30)},
        images=_CIFAR_IMAGES,
        floors={"quick": {"cifar_test_accuracy": 0.16}, "cpu": {"cifar_test_accuracy": 0.50}},
    ),
    "03_vgg": Plan(
        dataset="cifar10",
        models=("vgg_cifar",),
        recipes={"quick": _VGG.replace(epochs=3), "cpu": _VGG.replace(epochs=10),
                 "gpu": _VGG.replace(epochs=30)},
        images=_CIFAR_IMAGES,
        floors={"quick": {"main_test_accuracy": 0.22}, "cpu": {"main_test_accuracy": 0.60}},
    ),
    "04_googlenet": Plan(
        dataset="cifar10",
        models=("googlenet_cifar_aux", "googlenet_cifar"),
        # cpu: flips with a 10 % warm-up beat the plain recipe on validation with seeds 0, 1, 2
        # (a paired gain of 2.2 points, standard error 0.55: benchmarks/RESULTS.md)
        recipes={"quick": _GOOGLENET.replace(epochs=2),
                 "cpu": _GOOGLENET.replace(epochs=7, flip=True, warmup=0.1),
                 "gpu": _GOOGLENET.replace(epochs=20)},
        images=_CIFAR_IMAGES,
        floors={"quick": {"googlenet_test_accuracy": 0.14, "no_aux_test_accuracy": 0.14},
                "cpu": {"googlenet_test_accuracy": 0.45, "no_aux_test_accuracy": 0.45}},
    ),
    "05_resnet": Plan(
        dataset="cifar10",
        models=("resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20", "plain56"),
        recipes={"quick": _RESNET.replace(epochs=2), "cpu": _RESNET.replace(epochs=4),
                 "gpu": _RESNET.replace(epochs=30, batch_size=128, learning_rate=0.1, shift=4)},
        images=_CIFAR_IMAGES,
        floors={"quick": {"resnet20_test_accuracy": 0.15}, "cpu": {"resnet20_test_accuracy": 0.45}},
    ),
    "06_side_by_side": Plan(
        dataset="cifar10",
        # the contest's five (contest.NETWORKS); ResNet-20 first, as the chapter's main model
        models=("resnet20", "lenet5_modern", "alexnet_cifar", "vgg_cifar", "googlenet_cifar"),
        recipes={"quick": CONTEST.replace(epochs=1), "cpu": CONTEST.replace(epochs=3),
                 "gpu": CONTEST.replace(epochs=15)},
        images=_CIFAR_IMAGES,
        # the same-epochs runs (bit for bit the same on one CPU); the same-seconds ones depend
        # on the machine's speed at the time
        floors={"quick": {"resnet20_epochs_test_accuracy": 0.16,
                          "lenet5_epochs_test_accuracy": 0.12, "alexnet_epochs_test_accuracy": 0.12},
                "cpu": {"resnet20_epochs_test_accuracy": 0.46, "lenet5_epochs_test_accuracy": 0.35,
                        "alexnet_epochs_test_accuracy": 0.35, "vgg_epochs_test_accuracy": 0.33,
                        "googlenet_epochs_test_accuracy": 0.30}},
    ),
}  # fmt: skip


# --- The papers' own training, at full scale (README: "When one machine is not enough") ----------


def decoupled(l2, momentum):
    """The decoupled weight decay (`Recipe.weight_decay`, Keras's `weight_decay`) that shrinks
    the weights as fast as the papers' L2 penalty `l2` does under SGD with `momentum`: the
    papers add l2 x weight to the gradient, so it goes through the momentum, which multiplies a
    steady push by 1 / (1 - momentum); Keras shrinks the weights after the momentum, unmultiplied.
    Exact for a weight that changes slowly; 5e-4 with momentum 0.9 is 5e-3."""
    return l2 / (1 - momentum)


@dataclass(frozen=True)
class FullScalePlan:
    """A paper's own training run at full scale, in the course's recipe format, so that
    `training.train(model, data, plan.recipe, devices="all")` runs it as published. Far too long
    for a CPU: the README's "When one machine is not enough" times it on 1, 8 and 64 devices.

    Attributes:
        dataset: "imagenet" (a folder of JPEG files: `pipeline.ImageFolder`) or "cifar10" (all
            of it: `pipeline.full_cifar10`).
        models: the registered models the paper trained this way; the first is the one timed.
        recipe: the paper's recipe; its `batch_size` is the paper's global batch (all its GPUs
            together), and its `weight_decay` the decoupled form of `paper_l2`.
        image_size: the side of the training images (crops, for ImageNet).
        images: training images per epoch.
        paper_l2: the weight decay as the paper states it: an L2 penalty in the gradient.
        source: where each number comes from.
        deviations: what the recipe format cannot say as the paper did, and what stands in.
    """

    dataset: str
    models: tuple
    recipe: Recipe
    image_size: int
    images: int
    paper_l2: float
    source: str
    deviations: tuple = ()

    @property
    def steps(self):
        """Optimizer steps (iterations) of the whole run: the trainer's whole batches per epoch,
        after the recipe's held-out share (`training.split`), times the epochs."""
        from .training import steps_per_epoch

        held = self.recipe.validation_split
        total = round(self.images / (1 - held)) if held else self.images
        return self.recipe.epochs * steps_per_epoch(total, self.recipe.batch_size, held)


_IMAGENET = 1_281_167  # ILSVRC-2012 training images
_PLATEAUS = (
    "The paper divides the learning rate by 10 when the validation error stops improving, three "
    "times, without dating the drops; the recipe format has fixed milestones, so three drops "
    "evenly spaced (at 1/4, 1/2, 3/4 of the run) stand in for the plateaus."
)
_CROPS = (
    "The pipeline's random-resized crops (8-100 % of the area, Szegedy et al. 2015, the modern "
    "standard) and flips stand in for the paper's own augmentation"
)

FULL_SCALE = {
    "alexnet_imagenet": FullScalePlan(
        dataset="imagenet", models=("alexnet", "alexnet_one_tower"), image_size=227,
        images=_IMAGENET, paper_l2=5e-4,
        recipe=Recipe(optimizer="sgd", learning_rate=0.01, momentum=0.9,
                      weight_decay=decoupled(5e-4, 0.9), schedule="steps",
                      milestones=(0.25, 0.5, 0.75), batch_size=128, epochs=90, flip=True,
                      validation_split=0.0),
        source="Krizhevsky et al. 2012, section 5: SGD, batch 128, momentum 0.9, weight decay "
               "0.0005, learning rate 0.01 divided by 10 when the validation error stopped "
               "improving, three times; about 90 passes over the 1.2 million images, five to "
               "six days on two GTX 580 GPUs",
        deviations=(_PLATEAUS,
                    f"{_CROPS} (random 224x224 patches of 256x256 images, flips, PCA colour "
                    "noise).",
                    "The paper's two GPUs split the model (its two towers: model parallelism); "
                    "`devices` is data parallelism: every device holds both towers."),
    ),
    "vgg16_imagenet": FullScalePlan(
        dataset="imagenet", models=("vgg16", "vgg11", "vgg13", "vgg19"), image_size=224,
        images=_IMAGENET, paper_l2=5e-4,
        recipe=Recipe(optimizer="sgd", learning_rate=0.01, momentum=0.9,
                      weight_decay=decoupled(5e-4, 0.9), schedule="steps",
                      milestones=(0.25, 0.5, 0.75), batch_size=256, epochs=74, flip=True,
                      validation_split=0.0),
        source="Simonyan and Zisserman 2014, section 3.1: SGD, batch 256, momentum 0.9, L2 "
               "penalty 5e-4, dropout 0.5 on the first two fully connected layers, learning "
               "rate 1e-2 divided by 10 when the validation accuracy stopped improving, three "
               "times; stopped after 370K iterations (74 epochs)",
        deviations=(_PLATEAUS,
                    f"{_CROPS} (224x224 crops of images rescaled to a side of 256-512, flips, "
                    "RGB colour shifts).",
                    "The paper trained configuration A first and started the deeper ones from "
                    "its layers; here every configuration starts from Keras's initializers."),
    ),
    "resnet50_imagenet": FullScalePlan(
        dataset="imagenet", models=("resnet50", "resnet18", "resnet34", "resnet101", "resnet152"),
        image_size=224, images=_IMAGENET, paper_l2=1e-4,
        recipe=Recipe(optimizer="sgd", learning_rate=0.1, momentum=0.9,
                      weight_decay=decoupled(1e-4, 0.9), schedule="steps",
                      milestones=(1 / 3, 2 / 3), batch_size=256, epochs=90, flip=True,
                      validation_split=0.0),
        source="He et al. 2015, section 3.4: SGD, batch 256, momentum 0.9, weight decay 1e-4, "
               "learning rate 0.1 divided by 10 when the error plateaus, no dropout; the drops "
               "at epochs 30 and 60 of 90 are torchvision's reference recipe "
               "(references/classification/train.py: lr 0.1, step 30, 90 epochs, 8 GPUs x 32)",
        deviations=("The paper drops on plateaus and trains up to 600K iterations (about 120 "
                    "epochs); the fixed 30/60/90-epoch schedule is the common reproduction "
                    "(Goyal et al. 2017 drop at 30, 60 and 80).",
                    f"{_CROPS} (224x224 crops of images whose shorter side is drawn from "
                    "256-480, flips, colour augmentation)."),
    ),
    "resnet_cifar10": FullScalePlan(
        dataset="cifar10",
        models=("resnet20", "resnet32", "resnet44", "resnet56", "resnet110"),
        image_size=32, images=45_000, paper_l2=1e-4,
        recipe=Recipe(optimizer="sgd", learning_rate=0.1, momentum=0.9,
                      weight_decay=decoupled(1e-4, 0.9), schedule="steps", milestones=(0.5, 0.75),
                      batch_size=128, epochs=182, flip=True, shift=4, validation_split=0.1),
        source="He et al. 2015, section 4.2: SGD, batch 128 on two GPUs, momentum 0.9, weight "
               "decay 1e-4, learning rate 0.1 divided by 10 at 32k and 48k iterations, stopped "
               "at 64k, determined on a 45k/5k train/val split; 4-pixel padding with random "
               "32x32 crops (shifts) and horizontal flips",
        deviations=("182 epochs of 351 whole batches (44,928 of the 45,000 images) make 63,882 "
                    "iterations for the paper's 64k; the drops at 1/2 and 3/4 of the run fall "
                    "at 31,941 and 47,912 for its 32k and 48k.",
                    "ResNet-110 starts at 0.01 until the training error is below 80 % (about "
                    "400 iterations) in the paper; the recipe has no such warm-up."),
    ),
}  # fmt: skip


def plan_for_model(name):
    """The chapter that trains registered model `name`, and its plan; (None, None) if none."""
    for stem, plan in CHAPTERS.items():
        if name in plan.models:
            return stem, plan
    return None, None


def repository_url():
    """The GitHub URL declared once, in pyproject.toml's [project.urls] Repository."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        return tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"].rstrip("/")
    for entry in metadata.metadata("cnn-lessons").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip() == "Repository":
            return url.strip().rstrip("/")
    raise RuntimeError("no Repository URL in pyproject.toml's [project.urls]")


@dataclass
class Chapter:
    number: int
    title: str
    path: Path

    @property
    def relative(self):
        return f"notebooks/{self.path.name}"

    def colab_url(self):
        slug = repository_url().removeprefix("https://github.com/")
        return f"https://colab.research.google.com/github/{slug}/blob/{BRANCH}/{self.relative}"

    def binder_url(self):
        slug = repository_url().removeprefix("https://github.com/")
        return f"https://mybinder.org/v2/gh/{slug}/{BRANCH}?labpath={self.relative.replace('/', '%2F')}"

    def colab_badge(self):
        return f"[![Open in Colab]({COLAB_BADGE})]({self.colab_url()})"

    def binder_badge(self):
        return f"[![Launch on Binder]({BINDER_BADGE})]({self.binder_url()})"


def chapters(folder=None):
    """The chapter notebooks `NN_name.ipynb`, in order, titled by their first heading."""
    found = []
    for path in sorted((folder or NOTEBOOK_DIR).glob("[0-9][0-9]_*.ipynb")):
        first = json.loads(path.read_text())["cells"][0]
        heading = re.search(r"^# (.+)$", "".join(first["source"]), re.M)
        title = heading.group(1) if heading else path.stem
        found.append(Chapter(int(path.name[:2]), title, path))
    return found


def readme_table(found=None):
    """The README's chapter table, one row per notebook, with both badges."""
    rows = ["| # | chapter | open |", "| --- | --- | --- |"]
    for chapter in found if found is not None else chapters():
        link = f"[{chapter.title}]({chapter.relative})"
        rows.append(
            f"| {chapter.number} | {link} | {chapter.binder_badge()} {chapter.colab_badge()} |"
        )
    return "\n".join(rows)


def _with_badge(source, chapter):
    """The first cell's Markdown with exactly one, current, Colab badge after the heading."""
    lines = [line for line in source.splitlines() if "colab-badge.svg" not in line]
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    lines.insert(heading + 1, chapter.colab_badge())
    return "\n".join(lines)


def problems():
    """Every place where the badges or the chapter table differ from what the notebooks imply."""
    found = chapters()
    issues = []
    text = README.read_text()
    block = re.search(re.escape(TABLE_START) + r"\n(.*?)\n" + re.escape(TABLE_END), text, re.S)
    if block is None or block.group(1).strip() != readme_table(found):
        issues.append(f"{README.name}: the chapter table is not the one the notebooks imply")
    for chapter in found:
        cells = json.loads(chapter.path.read_text())["cells"]
        first = "".join(cells[0]["source"])
        if _with_badge(first, chapter) != first:
            issues.append(f"{chapter.relative}: its first cell lacks its current Colab badge")
        setup = next(("".join(c["source"]) for c in cells if c["cell_type"] == "code"), "")
        if f"git+{repository_url()}" not in setup:
            issues.append(
                f"{chapter.relative}: its first code cell does not install from {repository_url()}"
            )
    return issues


def write():
    """Regenerate the README's chapter table and each notebook's Colab badge."""
    found = chapters()
    text = README.read_text()
    table = f"{TABLE_START}\n{readme_table(found)}\n{TABLE_END}"
    pattern = re.escape(TABLE_START) + r".*?" + re.escape(TABLE_END)
    if not re.search(pattern, text, re.S):
        raise RuntimeError(f"{README} has no {TABLE_START} ... {TABLE_END} block to fill")
    README.write_text(re.sub(pattern, lambda _: table, text, flags=re.S))
    for chapter in found:
        notebook = json.loads(chapter.path.read_text())
        cell = notebook["cells"][0]
        updated = _with_badge("".join(cell["source"]), chapter)
        if updated != "".join(cell["source"]):
            cell["source"] = updated.splitlines(keepends=True)
            write_notebook(notebook, chapter.path)


# Runs one notebook with papermill in a child process, then prints the peak memory (KiB) of the
# processes it waited for: the kernel, which is where the chapter's memory goes. No parameters
# are passed, so papermill injects no cell: the chapter runs exactly as a learner's would, and
# quick mode comes from CNN_LESSONS_QUICK, which the kernel inherits.
_RUNNER = """
import resource, sys
import papermill
papermill.execute_notebook(sys.argv[1], sys.argv[2], kernel_name="python3", cwd=sys.argv[3],
                           progress_bar=False)
print("PEAK_KIB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
# What papermill and nbclient add to an executed notebook that must never be committed: run
# metadata with this machine's absolute paths, per-cell timings, and the injected-parameters cell
# (a committed `QUICK = False` cell would override the learner's quick setting).
RUN_METADATA = ("papermill", "execution")
INJECTED_TAG = "injected-parameters"


def clean(notebook):
    """`notebook` (a dict) without papermill's injected cell, run metadata or cell timings."""
    notebook["cells"] = [
        cell
        for cell in notebook["cells"]
        if INJECTED_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    for holder in (notebook, *notebook["cells"]):
        for key in RUN_METADATA:
            holder["metadata"].pop(key, None)
    return notebook


def write_notebook(notebook, path):
    """Write `notebook` as Jupyter does (one-space indent, sorted keys, final newline), through a
    temporary file in the same folder, so `path` is never half-written."""
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@dataclass
class NotebookRun:
    chapter: Chapter
    output: Path
    ok: bool
    seconds: float
    peak_mib: float = float("nan")
    accuracy: str = ""
    error: str = ""


def reported_metrics(path):
    """The JSON a notebook's `metrics` cell displayed, or {} if it has none."""
    for cell in json.loads(Path(path).read_text())["cells"]:
        if "metrics" in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                if "application/json" in output.get("data", {}):
                    return output["data"]["application/json"]
    return {}


def run_notebook(chapter, output, quick):
    """Execute one chapter into `output` (papermill, kernel python3) and measure it.

    The run writes to a temporary file beside `output`, which is cleaned (`clean`) and replaces
    `output` only when the run succeeds: a failure or an interrupt never leaves a half-executed
    notebook in place of the one that was there (the committed chapter, with `--in-place`). A
    failed copy is kept as `.<name>.failed.ipynb` (hidden, so it never counts as a chapter).
    """
    output = Path(output)
    running = temporary_file(output.parent, output.stem, ".ipynb")
    environment = {**os.environ, "CNN_LESSONS_QUICK": "1" if quick else "0"}
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                _RUNNER,
                str(chapter.path),
                str(running),
                str(chapter.path.parent),
            ],
            capture_output=True,
            text=True,
            env=environment,
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
            error = lines[-1] if lines else "failed"
            if running.stat().st_size:
                failed = output.with_name(f".{output.stem}.failed.ipynb")
                os.replace(running, failed)
                error += f" (executed copy: {failed})"
            return NotebookRun(chapter, output, False, seconds, error=error)
        write_notebook(clean(json.loads(running.read_text())), output)
    finally:
        running.unlink(missing_ok=True)
    peak = re.search(r"PEAK_KIB (\d+)", result.stdout)
    accuracies = {k: v for k, v in reported_metrics(output).items() if k.endswith("test_accuracy")}
    accuracy = ", ".join(
        f"{k[: -len('test_accuracy')].rstrip('_') or 'test'} {v:.1%}" for k, v in accuracies.items()
    )
    peak_mib = int(peak.group(1)) / 1024 if peak else float("nan")
    return NotebookRun(chapter, output, True, seconds, peak_mib, accuracy)

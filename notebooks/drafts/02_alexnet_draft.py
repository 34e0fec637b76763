"""Generate notebooks/02_alexnet.ipynb (unexecuted); papermill then executes it in place."""
import sys

import nbformat as nbf

OUT = sys.argv[1] if len(sys.argv) > 1 else "notebooks/02_alexnet.ipynb"

cells = []
def md(text): cells.append(nbf.v4.new_markdown_cell(text.strip("\n")))
def code(text, tags=()):
    c = nbf.v4.new_code_cell(text.strip("\n"))
    if tags: c.metadata["tags"] = list(tags)
    cells.append(c)

md(r"""
# Chapter 2 · AlexNet (2012)

Krizhevsky, Sutskever and Hinton, *ImageNet Classification with Deep Convolutional Neural
Networks*, NeurIPS 2012, sections 3 to 6 and Figure 2.

In this chapter you will:

1. see why AlexNet's result in the 2012 ImageNet competition changed computer vision;
2. settle, with one line of arithmetic, whether its input is 224x224 or 227x227;
3. count its 60,965,224 parameters, by hand for the first layers and with `layer_table` for all,
   and find out that the parameters and the computation live in different layers;
4. measure what the paper's split over two GPUs saves, layer by layer, and how much memory the
   activations take;
5. take apart a widely copied Keras "AlexNet" that is missing a layer;
6. test three of the paper's claims (ReLU, dropout, data augmentation) in small experiments on
   CIFAR-10;
7. train a CIFAR-10 adaptation of AlexNet and look at what it learned.

**Time:** about 7 minutes on a 2-core laptop CPU for the default run. For a workshop, set
`CNN_LESSONS_QUICK=1` (or `QUICK = True` below) and it runs in about a minute.
""")

code(r"""
# Setup. Where the course package is missing (e.g. on Colab), install it first: this is the
# notebook's only platform-specific line.
try:
    import cnn_lessons
except ImportError:
    %pip install --quiet "cnn-lessons @ git+https://github.com/cnn-lessons/cnn-lessons"
    import cnn_lessons

import gc
import os
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers

from cnn_lessons import alexnet, data, plots, references, training
from cnn_lessons.arithmetic import compare, layer_table, totals

pd.set_option("display.max_colwidth", 70)
pd.set_option("display.width", 160)
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, device: {training.accelerator()}")
""")

code(r"""
# Run settings. papermill can override any of them; None means "the default for this mode".
QUICK = os.environ.get("CNN_LESSONS_QUICK", "0") == "1"  # the workshop setting, about a minute
EPOCHS = None
N_TRAIN = None
N_TEST = None
BATCH_SIZE = 128
SEED = 0
""", tags=["parameters"])

code(r"""
EPOCHS = EPOCHS or (2 if QUICK else 6)
N_TRAIN = N_TRAIN or (2_000 if QUICK else 10_000)
N_TEST = N_TEST or (1_000 if QUICK else 5_000)
# The small experiments of section 10 share the time budget with the main training of
# section 11: each trains on the first SMALL_TRAIN training images for SMALL_EPOCHS epochs and is
# measured on the last N_HELD ones, which the main run holds out for validation.
SMALL_TRAIN = 256 if QUICK else 1_000
SMALL_EPOCHS = 2 if QUICK else 16
N_HELD = min(500, N_TRAIN - int(N_TRAIN * 0.9))
print(f"{'Quick' if QUICK else 'Default'} run: {N_TRAIN:,} training images, {N_TEST:,} test images, "
      f"{EPOCHS} epochs, batch size {BATCH_SIZE}, seed {SEED}; "
      f"experiments: {SMALL_TRAIN:,} images, {SMALL_EPOCHS} epochs, {N_HELD} held out")
""")

md(r"""
## 1 · Why AlexNet mattered

The ImageNet Large Scale Visual Recognition Challenge (ILSVRC) asks for the class of an image
among 1,000, with about 1.2 million training images. Its headline measure is the **top-5 error**:
the share of test images whose correct class is not among the five the model ranks highest.

The best entries before 2012 computed hand-designed features from the images (for example
Fisher vectors from densely sampled local descriptors) and trained classifiers on top of them. In
ILSVRC-2012 a convolutional network trained end to end on the pixels, AlexNet, won with a top-5
error of **15.3 %**; the second-best entry, built on such features, had **26.2 %**. The networks
of the next chapters (VGG and GoogLeNet, the top two of ILSVRC-2014, and ResNet, the winner of
2015) are all convolutional networks trained the way AlexNet was.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
ref = references.ALEXNET
print(f"ILSVRC-2012 top-5 test error: AlexNet {ref['ilsvrc2012_top5_error']['alexnet']:.1%}, "
      f"second-best entry {ref['ilsvrc2012_top5_error']['runner_up']:.1%}")
print(f"ILSVRC-2010 test set, one network: top-1 error {ref['ilsvrc2010_error']['top1']:.1%}, "
      f"top-5 error {ref['ilsvrc2010_error']['top5']:.1%}")
print(f"The abstract: {ref['params_quoted']}")
""")

md(r"""
(The 15.3 % entry averaged the predictions of several such networks; one network's error on the
2010 test set, whose labels were published, is the second line.)

The architecture itself is LeNet-5's recipe (convolutions, pooling, fully connected layers) made
much bigger. What made something that big trainable, in the paper's own order:

- **ReLU** units, f(x) = max(0, x), instead of tanh: they do not saturate, so gradients stay
  large and training is several times faster (section 3.1; we test this in section 8);
- **two GPUs:** the network did not fit in the 3 GB of one GTX 580, so each GPU holds half of
  every layer, and the halves talk only at some layers (section 3.2; section 5 below);
- **local response normalization (LRN)** after the first two convolutions (section 3.3);
- **overlapping pooling:** 3x3 windows with stride 2 (section 3.4);
- against overfitting 60 million parameters to 1.2 million images: **data augmentation** with
  random crops and mirror images (section 4.1) and **dropout** in the first two fully connected
  layers (section 4.2); both are tested in section 8.

Training took five to six days on the two GPUs, for about 90 passes over the training set.

## 2 · The architecture

`cnn_lessons.alexnet` holds Figure 2 once, as data; the builder walks it. Each GPU holds half of
each layer's filters. conv2, conv4 and conv5 see only the maps on their own GPU; conv3 and the
fully connected layers see both halves.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
rows = []
for number, (label, filters, kernel, stride, padding) in enumerate(alexnet.PAPER_CONVOLUTIONS):
    sees = "its own GPU's half" if label in alexnet.GROUPED else ("the image" if number == 0 else "both halves")
    after = [alexnet.NORMALIZED.get(label), alexnet.POOLED.get(label)]
    rows.append({"layer": label, "filters or units": filters, "kernel": f"{kernel}x{kernel}",
                 "stride": stride, "padding": padding, "each filter sees": sees,
                 "then": " -> ".join(name for name in after if name)})
for number, units in enumerate((*alexnet.PAPER_FULLY_CONNECTED, "classes (1,000)"), start=6):
    rows.append({"layer": f"fc{number}", "filters or units": units, "kernel": "", "stride": "",
                 "padding": "", "each filter sees": "both halves",
                 "then": f"dropout {alexnet.DROPOUT}" if number < 8 else "softmax"})
print(f"LRN: {alexnet.LRN}; pooling: {alexnet.POOL_SIZE}x{alexnet.POOL_SIZE}, stride {alexnet.POOL_STRIDE}")
pd.DataFrame(rows)
""")

md(r"""
Every convolution and fully connected layer but fc8 is followed by a ReLU. In Keras, "same"
padding at stride 1 is the paper's 2-pixel border for conv2's 5x5 kernels and 1-pixel border for
the 3x3 kernels of conv3 to conv5: the map keeps its size.

## 3 · Build it: 224 or 227?

`alexnet.alexnet()` builds the network as published, with its two towers, and `layer_table`
tabulates it (section 4 walks through the numbers):
""")

code(r"""
two_towers = alexnet.alexnet(groups=2)
table = layer_table(two_towers)
""")

md(r"""
Section 3.5 of the paper says the input is 224x224x3, and Figure 2 shows conv1's output as
55x55x96. A k x k convolution with stride s and no padding turns n pixels into (n - k)/s + 1, and
that must be a whole number for the filters to tile the image:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
for side in (224, 227):
    print(f"({side} - 11)/4 + 1 = {(side - 11) / 4 + 1}")
""")

md(r"""
Only 227 gives the 55x55 of Figure 2 (Caffe's reference AlexNet takes 227x227 inputs for this
reason). At 224, Keras does not complain: it rounds down to 54 and leaves the last three pixel
rows and columns unused. The difference then travels through the pools, 54 -> 26 -> 12 -> 5, and
fc6 ends up with 5x5x256 = 6,400 inputs instead of 6x6x256 = 9,216. Each Keras layer's
`compute_output_shape` does this arithmetic without running anything, so we can walk the
network's layers at both sizes:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
def output_shapes(side):
    # The shapes conv1 ... pool5 would produce for a side x side x 3 image.
    shape, shapes = (None, side, side, 3), {}
    for layer in two_towers.layers[1:]:
        if isinstance(layer, layers.Flatten):
            return shapes
        shape = layer.compute_output_shape(shape)
        shapes[layer.name] = shape[1:]


by_name = table.set_index("name")
sizes = {}
for side in (224, 227):
    shapes = output_shapes(side)
    fc6 = (int(np.prod(shapes["pool5"])) + 1) * 4096  # one weight per input and unit, plus biases
    all_params = by_name["params"].sum() - by_name.loc["fc6", "params"] + fc6
    sizes[f"{side}x{side}"] = [*(shapes[name] for name in ("conv1", "pool1", "pool2", "pool5")),
                               f"{fc6:,}", f"{all_params:,}"]
pd.DataFrame(sizes, index=["conv1", "pool1", "pool2", "pool5", "fc6 parameters", "all parameters"])
""")

md(r"""
The network built at 224 would have 11.5 million fewer parameters: it is not the paper's
network. This course builds AlexNet at **227x227** (`alexnet.alexnet()`'s default), where every
shape in Figure 2 comes out right.

## 4 · Count the parameters by hand

A convolution with k x k kernels, C_in input maps and C_out filters has (k·k·C_in + 1)·C_out
parameters; in a *grouped* convolution each filter sees only C_in / groups of the input maps. For
one image it performs H_out·W_out·C_out·k·k·C_in/groups multiply-accumulates (MACs): every output
value is a dot product of a filter with the patch under it.

| layer | output | parameters | MACs for one image |
| --- | --- | ---: | ---: |
| conv1 | (227 - 11)/4 + 1 = 55: 55x55x96 | (11·11·3 + 1)·96 = 364·96 = **34,944** | 55·55·96 · 363 = **105,415,200** |
| pool1 | (55 - 3)/2 + 1 = 27: 27x27x96 | 0 | 0 |
| conv2 | 27x27x256 ("same") | (5·5·**48** + 1)·256 = 1,201·256 = **307,456** | 27·27·256 · 1,200 = **223,948,800** |
| fc6 | 4,096 | (6·6·256 + 1)·4,096 = 9,217·4,096 = **37,752,832** | 9,216·4,096 = **37,748,736** |

conv2 is grouped: each of its filters sees 48 of pool1's 96 maps, the half on its own GPU. As one
tower it would have (5·5·96 + 1)·256 = 614,656 parameters.

conv1 has 96 filters of 11x11x3 = 363 weights. It is the layer with the fewest parameters and yet
it does 105 million MACs, because each filter is applied at 55·55 = 3,025 positions. fc6 is the
opposite: each of its 37.7 million weights is used exactly once per image.

`layer_table` derives the same numbers from each Keras layer's configuration and checks every row
against Keras's own count (`keras_params`); `receptive_field` is the side of the input square one
unit can see.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
table
""")

md(r"""
The check against the published counts, and against Keras:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
sums = totals(table)
print(f"two towers: {sums['params']:,} parameters (reference {ref['params_two_towers']:,}); "
      f"Keras counts {two_towers.count_params():,}")
print(f"fc6: {table.set_index('name').loc['fc6', 'params']:,} (reference {ref['params_fc6']:,})")
print("every row matches Keras:", bool((table["params"] == table["keras_params"]).all()))
print(f"{sums['macs']:,} multiply-accumulates for one 227x227 image")
neurons = table[table["type"].isin(["Conv2D", "Dense"])]
units = sum(int(np.prod(shape)) for shape in neurons["output_shape"])
print(f"units in conv1 ... fc8: {units:,} (the abstract: {ref['params_quoted']!r})")
""")

md(r"""
The paper's "650,000 neurons" are the outputs of its eight weighted layers: 659,272 of them.
""")

code(r"""
del two_towers
keras.backend.clear_session()
gc.collect()
one_tower = alexnet.alexnet(groups=1)
one_table = layer_table(one_tower)
print(f"one tower: {one_tower.count_params():,} parameters (reference {ref['params_one_tower']:,})")
del one_tower
keras.backend.clear_session()
gc.collect();
""")

md(r"""
## 5 · Where the parameters live, and where the computation lives

The two are not in the same place:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
weighted = table[table["params"] > 0].set_index("name")[["params", "macs"]]
share = pd.DataFrame({
    "parameters": weighted["params"].map("{:,}".format),
    "% of parameters": (100 * weighted["params"] / weighted["params"].sum()).round(1),
    "MACs": weighted["macs"].map("{:,}".format),
    "% of MACs": (100 * weighted["macs"] / weighted["macs"].sum()).round(1),
})
is_conv = weighted.index.str.startswith("conv")
print(f"convolutions: {weighted['params'][is_conv].sum() / sums['params']:.1%} of the parameters, "
      f"{weighted['macs'][is_conv].sum() / sums['macs']:.1%} of the MACs")
print(f"fully connected: {weighted['params'][~is_conv].sum() / sums['params']:.1%} of the parameters, "
      f"{weighted['macs'][~is_conv].sum() / sums['macs']:.1%} of the MACs")
share
""")

code(r"""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, column, label in zip(axes, ("params", "macs"), ("parameters (millions)", "MACs per image (millions)")):
    ax.barh(weighted.index[::-1], weighted[column][::-1] / 1e6, color=["C1" if n.startswith("fc") else "C0" for n in weighted.index[::-1]])
    ax.set_xlabel(label)
    ax.grid(axis="x", alpha=0.3)
fig.suptitle("AlexNet (two towers): the weights sit in fc6-fc8, the work in conv1-conv5", fontsize=10)
fig.tight_layout()
plt.close(fig)
fig
""")

md(r"""
**fc6 alone holds 62 % of all parameters**: 9,216 inputs times 4,096 units. The three fully
connected layers hold 96 %. The convolutions hold under 4 % of the weights but do 92 % of the
arithmetic, because every weight is reused at every position of its map. Keep this picture in
mind: it is one reason why GoogLeNet and ResNet (chapters 4 and 5) replace the large fully
connected layers with global average pooling, and it is why a network's parameter count says
little about how long it takes to run.

## 6 · What the two towers save

The paper split the network over two GPUs because it did not fit in the memory of one. The
split is also a network design: a grouped layer connects each filter to half of the maps below,
so it has half the weights and does half the MACs. Layer by layer, one tower against two:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
one, two = one_table.set_index("name"), table.set_index("name")
names = [name for name in two.index if one.loc[name, "params"] > 0]
towers = pd.DataFrame({
    "params, one tower": one.loc[names, "params"],
    "params, two towers": two.loc[names, "params"],
    "params saved": one.loc[names, "params"] - two.loc[names, "params"],
    "MACs, one tower": one.loc[names, "macs"],
    "MACs, two towers": two.loc[names, "macs"],
    "MACs saved": one.loc[names, "macs"] - two.loc[names, "macs"],
})
towers.loc["total"] = towers.sum()
saved = towers.loc["total"]
print(f"two towers save {saved['params saved']:,} parameters "
      f"({saved['params saved'] / saved['params, one tower']:.1%}) and {saved['MACs saved']:,} MACs "
      f"({saved['MACs saved'] / saved['MACs, one tower']:.1%})")
towers.map("{:,}".format)
""")

md(r"""
Only conv2, conv4 and conv5 change, and each loses exactly half of its weights and MACs. Because
the savings land in the convolutions, the split saves only 2.3 % of the parameters but **36 % of
the computation**. Fewer MACs is not always less time, though: on TensorFlow's CPU kernels a
grouped convolution trains far more slowly than a full one (its backward pass was about 10 times
slower in this course's measurements), which is why our CIFAR-10 version below is a single tower.

## 7 · Activation memory

Parameters are stored once. Activations, the outputs of each layer, are stored *per image*, and
training keeps them all until the backward pass has used them. Here is what one 227x227 image
produces, layer by layer, in 32-bit floats, and what a batch of 128 (the paper's batch size)
needs:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
values = table.set_index("name")["output_shape"].map(lambda shape: int(np.prod(shape)))
activations = pd.DataFrame({
    "output": table.set_index("name")["output_shape"],
    "values": values.map("{:,}".format),
    "MB per image": (values * 4 / 1e6).round(2),
    "MB per batch of 128": (values * 4 * 128 / 1e6).round(0).astype(int),
})
layer_outputs = values.drop(["input", "flatten"])  # flatten is a reshape: same values as pool5
print(f"all layer outputs: {layer_outputs.sum():,} values = {layer_outputs.sum() * 4 / 1e6:.1f} MB per image, "
      f"{layer_outputs.sum() * 4 * 128 / 1e9:.2f} GB per batch of 128")
print(f"conv1 to pool2: {values[['conv1', 'norm1', 'pool1', 'conv2', 'norm2', 'pool2']].sum() / layer_outputs.sum():.0%} of them; "
      f"fc6 to fc8: {values[['fc6', 'drop6', 'fc7', 'drop7', 'fc8']].sum() / layer_outputs.sum():.1%}")
activations
""")

md(r"""
The picture is the mirror image of the parameters: the first two convolutions, with their large
maps, produce 84 % of the activations, and the fully connected layers, which hold 96 % of the
weights, produce about 1 %. A batch of 128 needs about 0.65 GB for the layer outputs alone, before
the gradients flowing back, the weights (60,965,224 x 4 bytes = 244 MB) and the optimizer's
momentum for every weight. On a 3 GB GPU in 2012, splitting every layer over two GPUs halved all
of these per GPU.

## 8 · A common mistake: the copied "AlexNet"

A Keras "AlexNet" that circulates widely has four convolutional layers with 96, 256, 384 and 256
filters: the second 384-filter layer is missing. It also has no local response normalization and
no groups. Built at 227x227 with 1,000 classes:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
copied = alexnet.copied_alexnet()
copied_table = layer_table(copied)
print(f"{copied.count_params():,} parameters (reference {references.COPIED_ALEXNET_PARAMS:,})")
del copied
keras.backend.clear_session()
gc.collect()
copied_table[["name", "type", "output_shape", "formula", "params", "macs"]]
""")

md(r"""
Side by side with the paper, layer by layer (the copied model's names on the right):
""")

code(r"""
# NBVAL_CHECK_OUTPUT
# Which copied layer plays the part of each of the paper's layers: its conv4 has conv5's shape.
COUNTERPART = {"conv1": "conv1", "conv2": "conv2", "conv3": "conv3", "conv4": None,
               "conv5": "conv4", "fc6": "fc1", "fc7": "fc2", "fc8": "output"}
copied_rows = copied_table.set_index("name")
side_by_side = pd.DataFrame({
    "paper, two towers": [two.loc[name, "params"] for name in COUNTERPART],
    "paper, one tower": [one.loc[name, "params"] for name in COUNTERPART],
    "copied layer": [other or "(missing)" for other in COUNTERPART.values()],
    "copied": [copied_rows.loc[other, "params"] if other else 0 for other in COUNTERPART.values()],
    "LRN after it": ["yes" if name in alexnet.NORMALIZED else "" for name in COUNTERPART],
}, index=list(COUNTERPART))
side_by_side.loc["total"] = [sums["params"], totals(one_table)["params"], "",
                             totals(copied_table)["params"], ""]
for column in ("paper, two towers", "paper, one tower", "copied"):
    side_by_side[column] = side_by_side[column].map("{:,}".format)
print(f"one tower - copied = {totals(one_table)['params'] - totals(copied_table)['params']:,} "
      f"= the missing conv4 ({one.loc['conv4', 'formula']})")
print(f"MACs: paper {sums['macs']:,} (two towers), {totals(one_table)['macs']:,} (one tower); "
      f"copied {totals(copied_table)['macs']:,}")
side_by_side
""")

md(r"""
The copied network's total, 61,050,856, is close to the paper's "60 million parameters", so the
total does not give it away; the layer list does. Its conv4 takes the place of the paper's conv5
(same shape, same 884,992 parameters), and the paper's conv4 (384 filters of 3x3x384, 1,327,488
parameters as one tower) is simply not there. It is a reasonable network, but results measured
with it are not AlexNet's. If a snippet says "AlexNet", count its convolutions: there are five.

## 9 · AlexNet for CIFAR-10

Training the ImageNet network is out of reach of a CPU: 724 million MACs per image, and 1.2
million images per epoch. `alexnet.alexnet_cifar` is a named adaptation for CIFAR-10's 32x32
images that keeps every idea of the paper: five convolutions with ReLU, LRN after the first two,
overlapping 3x3/2 max pooling after norm1, norm2 and conv5, and two wide fully connected layers
with dropout. What changes:

- every convolution has a quarter of the paper's filters (24, 64, 96, 96, 64), and fc6 and fc7
  have 1,024 units instead of 4,096;
- conv1 is 5x5 with stride 1 (a 32x32 image has no resolution to spare for stride 4), so only the
  three pools shrink the maps: 32 -> 15 -> 7 -> 3; conv2 is 3x3;
- a first `scale` layer maps the [0, 1] pixels back to the paper's range, -128..127, because
  LRN's constants (k = 2, alpha = 1e-4) were chosen for activations of that size: for values
  around 1, the divisor (2 + 1e-4·sum of 5 squares)^0.75 is the constant 2^0.75 and LRN does
  nothing;
- one tower, for the CPU speed reason of section 6 (`groups=2` builds the two-tower version).
""")

code(r"""
# NBVAL_CHECK_OUTPUT
cifar_table = layer_table(alexnet.alexnet_cifar())
cifar_sums = totals(cifar_table)
cifar_weighted = cifar_table[cifar_table["params"] > 0].set_index("name")
cifar_conv = cifar_weighted.index.str.startswith("conv")
print(f"{cifar_sums['params']:,} parameters, {cifar_sums['macs']:,} MACs per image "
      f"({sums['macs'] / cifar_sums['macs']:.0f} times fewer than the paper's network)")
print(f"fc6 and fc7: {cifar_weighted.loc[['fc6', 'fc7'], 'params'].sum() / cifar_sums['params']:.0%} of the parameters; "
      f"convolutions: {cifar_weighted['macs'][cifar_conv].sum() / cifar_sums['macs']:.0%} of the MACs")
cifar_table[["name", "type", "output_shape", "formula", "params", "macs", "receptive_field"]]
""")

md(r"""
The same division of labour as the paper's network: the fully connected layers hold most of the
weights, the convolutions do most of the work.

### The data

A class-balanced subset of CIFAR-10: 10 classes of 32x32 colour photographs.
""")

code(r"""
cifar = data.load_cifar10(N_TRAIN, N_TEST, seed=SEED)
print(cifar)
plots.samples(cifar.x_train, cifar.y_train, cifar.class_names)
""")

md(r"""
## 10 · Three of the paper's claims, in small

The paper's claims were measured on ImageNet over days. Here each one gets a small, fair test:
the CIFAR-10 network, the same seed and initial weights, trained with Adam at a constant
learning rate of 1e-3 on the first `SMALL_TRAIN` training images (1,000 in the default run) for
`SMALL_EPOCHS` epochs (16), and measured on `N_HELD` **held-out** images (500): the last images
of the training subset, which the main run of section 11 also holds out for validation. The
test images stay untouched until the end. So few training images make overfitting quick to see,
which claims 2 and 3 need. Four short runs share the budget:

| run | activation | dropout | augmentation | used in |
| --- | --- | --- | --- | --- |
| `relu` | ReLU | none | none | claims 1, 2 and 3 |
| `tanh` | tanh | none | none | claim 1 |
| `dropout` | ReLU | 0.5 | none | claim 2 |
| `augmented` | ReLU | none | crops and flips | claim 3 |

Runs this small are noisy: on 500 held-out images, one standard error of an accuracy near 40 %
is about 2 points, so differences of a few points between runs mean little. Larger effects, and
their direction, are what to look for.
""")

code(r"""
x_small, y_small = cifar.x_train[:SMALL_TRAIN], cifar.y_train[:SMALL_TRAIN]
x_held, y_held = cifar.x_train[-N_HELD:], cifar.y_train[-N_HELD:]


def augmentation():
    # Random crops: a shift of up to 4 pixels (0.125 of 32) with zeros filling the border is a
    # random 32x32 crop of the image padded with 4 pixels on each side. Then mirror images.
    # Both layers are active only in training; at test time they pass images through.
    return keras.Sequential([
        layers.RandomTranslation(0.125, 0.125, fill_mode="constant", interpolation="nearest", seed=SEED),
        layers.RandomFlip("horizontal", seed=SEED),
    ], name="augmentation")


def experiment(activation="relu", dropout=0.0, augment=False):
    # Free the previous run's model and compiled functions, then the same seed, so every run
    # starts from the same weights (tanh and ReLU layers are initialized alike) and sees the
    # images in the same order.
    keras.backend.clear_session()
    gc.collect()
    training.set_seed(SEED)
    model = alexnet.alexnet_cifar(activation=activation, dropout=dropout)
    trained = keras.Sequential([keras.Input((32, 32, 3)), augmentation(), model]) if augment else model
    training.compile_classifier(trained, learning_rate=1e-3)
    started = time.perf_counter()
    history = trained.fit(x_small, y_small, epochs=SMALL_EPOCHS, batch_size=BATCH_SIZE,
                          validation_data=(x_held, y_held), verbose=0).history
    seconds = time.perf_counter() - started
    # Training accuracy as at test time (dropout off, no augmentation), after the last epoch.
    final_train = trained.evaluate(x_small, y_small, batch_size=BATCH_SIZE, verbose=0)[1]
    return {"history": history, "seconds": seconds, "final_train": final_train,
            "held_out": history["val_accuracy"][-1]}


runs = {}
for name, settings in {"relu": {}, "tanh": {"activation": "tanh"}, "dropout": {"dropout": 0.5},
                       "augmented": {"augment": True}}.items():
    runs[name] = experiment(**settings)
    run = runs[name]
    print(f"{name:>9}: {SMALL_EPOCHS} epochs in {run['seconds']:5.1f} s; training accuracy "
          f"{run['final_train']:.1%}, held-out accuracy {run['held_out']:.1%}")
""")

md(r"""
### Claim 1: ReLU trains several times faster than tanh (Figure 1)

The paper's Figure 1 plots the training error of a four-layer convolutional network on CIFAR-10
against epochs: with ReLU it reached 25 % training error six times sooner than with tanh. Our
version plots the training error (the share of the training images misclassified during each
epoch) of the `relu` and `tanh` runs; neither uses dropout, so these are the same network but for
the activation function.
""")

code(r"""
errors = {name: 1 - np.array(runs[name]["history"]["accuracy"]) for name in ("relu", "tanh")}
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, error in errors.items():
    ax.plot(np.arange(1, len(error) + 1), 100 * error, "-o", label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training error (%)")
ax.set_title("ReLU against tanh (after the paper's Figure 1)", fontsize=10)
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.close(fig)


def epochs_to_reach(error, threshold):
    reached = np.flatnonzero(error <= threshold)
    return int(reached[0]) + 1 if len(reached) else None


threshold = 0.5
for name, error in errors.items():
    epoch = epochs_to_reach(error, threshold)
    print(f"{name}: training error {100 * error[-1]:.1f} % after {len(error)} epochs; "
          f"{threshold:.0%} reached " + (f"in epoch {epoch}" if epoch else "in none of them"))
fig
""")

md(r"""
**What this small version shows: the opposite of Figure 1.** Here tanh drives the training
error down faster: it passes 50 % in epoch 6 against epoch 11 for ReLU, and ends at 7.5 %
against 32 %. Held-out accuracy is about the same for both, near 35 %, so what tanh learns faster
is mostly the 1,000 training images themselves. The small version does not reproduce the
paper's effect, and the differences between the two experiments are worth knowing:

- the paper trained with plain stochastic gradient descent (SGD), where a saturated tanh unit,
  one whose input is far from 0, passes back almost no gradient and its weights barely move.
  Adam scales each weight's step by the recent size of that weight's gradients, which makes up
  for much of that handicap;
- in short trials before writing this chapter (2,000 images, 6 epochs), SGD with momentum 0.9
  did not make ReLU win either: at a learning rate of 0.01 the ReLU network did not start
  learning at all while tanh did; at 0.001 ReLU was ahead of tanh, but behind tanh at 0.01. The
  paper chose each network's learning rate separately, to make it train as fast as possible;
- Figure 1's network had four layers and trained on all 50,000 CIFAR-10 images, down to 25 %
  training error; ours has seven weighted layers and LRN, and sees 1,000 images.

ReLU has stayed the default anyway: it does not saturate for positive inputs, and it costs one
comparison where tanh needs exponentials. Every later network in this course uses it.
""")

md(r"""
### Claim 2: dropout reduces overfitting

Overfitting shows as a gap between accuracy on the training images and on images the network has
not seen. With only 1,000 training images, the `relu` run has far more parameters (1.86 million)
than it needs to memorise them. The `dropout` run is the same network with dropout 0.5 after fc6
and fc7, as in the paper: during training each unit of those layers is zeroed with probability
0.5, so no unit can rely on particular others.

The dashed lines are held-out accuracy after each epoch; the solid lines the accuracy on the
training images during the epoch (with dropout active for the `dropout` run, which lowers it).
The printed gap uses the training accuracy measured at the end, the way the network is used at
test time: dropout off.
""")

code(r"""
print(f"{'run':>9}  {'training':>8}  {'held-out':>8}  {'gap':>6}")
for name in ("relu", "dropout"):
    run = runs[name]
    print(f"{name:>9}  {run['final_train']:8.1%}  {run['held_out']:8.1%}  "
          f"{run['final_train'] - run['held_out']:6.1%}")
plots.learning_curves({"no dropout": runs["relu"]["history"], "dropout 0.5": runs["dropout"]["history"]},
                      metrics=("accuracy",))
""")

md(r"""
**What this small version shows: a small effect, in the paper's direction.** Dropout lowers the
training accuracy more than the held-out accuracy, so the gap shrinks from about 40 to 34
points, and the held-out accuracy stays about the same (36.2 % against 35.0 %, within the noise
of 500 images). Both networks still overfit badly: on 1,000 images for 16 epochs, dropout slows
the memorising down but does not stop it. On ImageNet the paper is blunter: "Without dropout, our
network exhibits substantial overfitting", and dropout roughly doubled the number of iterations
needed to converge (section 4.2).
""")

md(r"""
### Claim 3: data augmentation with random crops and flips

The paper trained on random 224x224 crops of the 256x256 images, and on their mirror images,
which multiplies the training set by 2,048 (32·32 positions, times 2), though the copies are of
course highly dependent (section 4.1). For 32x32 CIFAR-10 images the usual version is a random
shift of up to 4 pixels and a horizontal flip, made of two Keras preprocessing layers,
`RandomTranslation` and `RandomFlip`, placed in front of the network. They change every image
each time it is seen, and do nothing at test time. Here is what the network sees of the same
eight images during four epochs:
""")

code(r"""
augmenter = augmentation()
examples = cifar.x_train[:8]
shown = np.concatenate([np.asarray(augmenter(examples, training=True)) for _ in range(4)])
plots.samples(shown, np.tile(cifar.y_train[:8], 4), cifar.class_names, count=32, columns=8)
""")

code(r"""
print(f"{'run':>9}  {'training':>8}  {'held-out':>8}  {'gap':>6}")
for name in ("relu", "augmented"):
    run = runs[name]
    print(f"{name:>9}  {run['final_train']:8.1%}  {run['held_out']:8.1%}  "
          f"{run['final_train'] - run['held_out']:6.1%}")
plots.learning_curves({"no augmentation": runs["relu"]["history"],
                       "crops and flips": runs["augmented"]["history"]}, metrics=("accuracy",))
""")

md(r"""
**What this small version shows: half of the effect.** Augmentation cuts the gap by more than half,
from about 40 to 17 points: the network cannot memorise 1,000 fixed images when it never sees the
same version of an image twice. But in 16 epochs the held-out accuracy does not rise (35.4 %
against 35.0 %). Augmentation trades training speed for generalisation, and it pays off when
training runs long enough for the plain network to overfit well before the end, as over the
paper's 90 epochs; the paper says that without it the network "suffers from substantial
overfitting, which would have forced us to use much smaller networks" (section 4.1). It also
used a second augmentation, altering the intensities of the RGB channels along their principal
components, which we leave out.

## 11 · Training the CIFAR-10 AlexNet

Now the main run: the CIFAR-10 network as defined (ReLU, LRN, dropout 0.5), on all `N_TRAIN`
training images (10 % held out for validation), with Adam, a learning rate starting at 1e-3 and
following a cosine down to 0 over the run, and batches of 128. (The paper used stochastic
gradient descent with momentum 0.9, weight decay 5e-4 and a learning rate of 0.01, divided by 10
by hand whenever the validation error stopped improving, over 90 epochs; Adam with a fixed
schedule is the simpler choice for a few epochs, as in the other chapters.) No data augmentation:
in a short search on this subset, 8 epochs with random crops and flips reached 51.5 % test
accuracy against 58.5 % without, because a network that sees a different version of every image
each epoch needs more epochs to fit them (claim 3 above). The test set is used once, at the end.
""")

code(r"""
keras.backend.clear_session()  # free the experiments' models
gc.collect()
training.set_seed(SEED)
model = alexnet.alexnet_cifar()
decay_steps = EPOCHS * training.steps_per_epoch(len(cifar.x_train), BATCH_SIZE)
training.compile_classifier(model, learning_rate=1e-3, decay_steps=decay_steps)
run = training.fit(model, cifar.x_train, cifar.y_train, EPOCHS, BATCH_SIZE)
test_accuracy, predicted = training.evaluate(model, cifar.x_test, cifar.y_test)
print(f"test accuracy {test_accuracy:.2%} after {run.seconds:.0f} s ({run.images_per_second:,.0f} images/s)")
""")

code(r"""
plots.learning_curves({"AlexNet (CIFAR-10)": run.history})
""")

md(r"""
Which classes does it confuse? Rows are the true classes, columns the predictions:
""")

code(r"""
plots.confusion_matrix(cifar.y_test, predicted, cifar.class_names,
                       title=f"AlexNet (CIFAR-10), test accuracy {test_accuracy:.2%}")
""")

code(r"""
plots.misclassified(cifar.x_test, cifar.y_test, predicted, cifar.class_names, limit=16)
""")

md(r"""
### What the network learned

conv1's 24 filters, each 5x5x3, drawn as colour images (each tile scaled to its own range). The
paper's Figure 3 shows its 96 11x11x3 filters after 90 epochs on ImageNet: oriented edges,
gratings and colour blobs, with the 48 filters of one GPU mostly colour-agnostic and the 48 of
the other mostly colour-specific. After a few epochs on a few thousand small images ours are
much rougher, but look for colour blobs and light-dark edges.
""")

code(r"""
plots.filters(model.get_layer("conv1").get_weights()[0], columns=12)
""")

md(r"""
What conv1 (after its ReLU) and norm2 make of one test image: each map shows where its filter
found its pattern.
""")

code(r"""
image = cifar.x_test[0]
print(f"a {cifar.class_names[cifar.y_test[0]]}, predicted: {cifar.class_names[predicted[0]]}")
plots.samples(image[None], cifar.y_test[:1], cifar.class_names, count=1, columns=1)
""")

code(r"""
plots.feature_maps(model, "conv1", image, columns=12, limit=24)
""")

code(r"""
plots.feature_maps(model, "norm2", image, columns=12, limit=24)
""")

md(r"""
### Results

The final numbers of this run (the notebook tests read this output):
""")

code(r"""
training.report(
    cifar_test_accuracy=round(test_accuracy, 4),
    seconds=round(run.seconds, 1),
    images_per_second=round(run.images_per_second),
    relu_final_training_error=round(float(errors["relu"][-1]), 4),
    tanh_final_training_error=round(float(errors["tanh"][-1]), 4),
    gap_without_dropout=round(runs["relu"]["final_train"] - runs["relu"]["held_out"], 4),
    gap_with_dropout=round(runs["dropout"]["final_train"] - runs["dropout"]["held_out"], 4),
    gap_with_augmentation=round(runs["augmented"]["final_train"] - runs["augmented"]["held_out"], 4),
    experiments_seconds=round(sum(r["seconds"] for r in runs.values()), 1),
    n_train=N_TRAIN, n_test=N_TEST, epochs=EPOCHS, quick=QUICK,
)
""", tags=["metrics"])

md(r"""
**At full scale:** the paper's network, trained for about 90 epochs on 1.2 million ImageNet
images, reached 37.5 % top-1 and 17.0 % top-5 error on the ILSVRC-2010 test set, and an average
of several such networks won ILSVRC-2012 with 15.3 % top-5 error. This notebook's CIFAR-10
version reaches about 56 % test accuracy after 6 epochs on 9,000 images, a few
minutes of CPU. We have not trained it on the full 50,000 CIFAR-10 images or on a GPU; many more
epochs, with the crops and flips of claim 3 against overfitting, are what would raise it.

## 12 · Exercises

1. What is the smallest square input the paper's network accepts? How many parameters does fc6
   have then?
2. Replace flatten + fc6 by global average pooling over pool5's 6x6 maps, then a 4,096-unit fc6.
   How many parameters does fc6 have now, and what share of the network?
3. Work out conv3's MACs for one image by hand. Why does conv3, unlike conv4, see both towers?
4. LRN divides each activation by (k + alpha·S)^beta, where S is the sum of the squares of the
   5 neighbouring channels. With the paper's constants, compute the divisor for 5 activations of
   size 1 and for 5 activations of size 100. What does that say about the `scale` layer of
   `alexnet_cifar`?
5. Repeat claim 1 with `lrn=False` (pass it through `alexnet.alexnet_cifar` in `experiment`), and
   with twice the epochs. Does the order of the two curves change?
6. Time one epoch of `alexnet.alexnet_cifar(groups=2)` against the default one tower. Which has
   fewer MACs (check with `layer_table`), and which is faster on your backend and hardware?

<details><summary>Solutions</summary>

1. The three 3x3/2 pools need at least 15 pixels to leave one: 15 -> 7 -> 3 -> 1. conv1 gives
   (n - 11)/4 + 1 >= 15 pixels when n >= **67**. fc6 then sees 1·1·256 values and has
   (256 + 1)·4,096 = **1,052,672** parameters; the convolutions keep theirs (shared weights do not
   depend on the map size). `alexnet.alexnet(input_shape=(66, 66, 3))` raises a `ValueError`
   that says so.
2. Global average pooling also leaves 256 values: fc6 has (256 + 1)·4,096 = **1,052,672**
   parameters, as in exercise 1, and the network 60,965,224 - 37,752,832 + 1,052,672 =
   24,265,064, of which fc6 is 4.3 % instead of 62 %.
3. 13·13·384 outputs, each a dot product over 3·3·256 = 2,304 inputs: 64,896·2,304 =
   **149,520,384**. conv3 is where the paper lets the two GPUs exchange their feature maps
   (besides the fully connected layers); connecting across at every layer would need a transfer
   between the GPUs at every layer, and the paper chose this pattern by cross-validation.
4. S = 5·1² = 5: (2 + 0.0005)^0.75 = 1.6821, the same as 2^0.75 = 1.6818, so LRN is a constant
   division. S = 5·100² = 50,000: (2 + 5)^0.75 = 4.30, 2.6 times more. LRN only does something for
   activations in the hundreds, the scale of the paper's 0-255 pixels; the `scale` layer puts the
   [0, 1] pixels of CIFAR-10 back on that scale.
5. `model = alexnet.alexnet_cifar(activation=activation, dropout=dropout, lrn=False)` in
   `experiment`, and `SMALL_EPOCHS = 16`. Compare the two curves' orders and the epochs each
   needs to reach the same training error; whichever way it comes out, say what the small run can
   and cannot show.
6. `layer_table` gives 16,085,504 MACs for one tower and fewer for two (conv2, conv4 and conv5
   halve). Build each, compile it with `training.compile_classifier`, and time
   `training.fit(model, x, y, 1)`. On TensorFlow's CPU kernels the grouped version trained
   several times more slowly in this course's measurements: a layer that does less arithmetic is
   not faster unless the library has a fast kernel for it.
</details>

## Summary

- AlexNet won ILSVRC-2012 with 15.3 % top-5 error against 26.2 %, and made convolutional
  networks the default for computer vision.
- Its input is 227x227, not the 224x224 of the text: (227 - 11)/4 + 1 = 55.
- **60,965,224** parameters as published (two towers), 62,378,344 as one tower. fc6 alone holds
  62 % of them; the convolutions hold under 4 % but do 92 % of the 724 million MACs per image.
- The two-GPU split halves conv2, conv4 and conv5: 2.3 % of the parameters, 36 % of the MACs.
- Activations live in the first layers, weights in the last ones.
- The copied four-convolution "AlexNet" has about the right total (61,050,856) and the wrong
  network: count the layers, not just the parameters.

Next: **Chapter 3, VGG**, which replaces AlexNet's large kernels by stacks of 3x3 convolutions.
""")

nb = nbf.v4.new_notebook()
nb.cells = cells
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, OUT)

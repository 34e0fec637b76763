"""Generate notebooks/05_resnet.ipynb (unexecuted); papermill then executes it in place."""
import sys

import nbformat as nbf

TARGET = sys.argv[1] if len(sys.argv) > 1 else "notebooks/05_resnet.ipynb"

cells = []
def md(text): cells.append(nbf.v4.new_markdown_cell(text.strip("\n")))
def code(text, tags=()):
    c = nbf.v4.new_code_cell(text.strip("\n"))
    if tags: c.metadata["tags"] = list(tags)
    cells.append(c)

md(r"""
# Chapter 5 · ResNet (2015)

He, Zhang, Ren and Sun, *Deep Residual Learning for Image Recognition*, CVPR 2016
(arXiv:1512.03385, December 2015).

In this chapter you will:

1. see why depth stopped helping before ResNet, and how a shortcut that adds a block's input to
   its output fixed it;
2. read the paper's Table 1 and build ResNet-18 to ResNet-50 from it;
3. count a basic block and a bottleneck block by hand, see why ResNet-50 costs about as much as
   ResNet-34, and reconcile our counts with torchvision's and keras.applications';
4. demonstrate two mistakes of a widely copied Keras ResNet;
5. reproduce the degradation problem in small: plain and residual networks of 20 and 56 layers;
6. train ResNet-20 on CIFAR-10 with the paper's recipe, scaled down to a few minutes of CPU.

**Time:** about 8 minutes on a 2-core laptop CPU for the default run, the tightest budget of the
course. For a workshop, set `CNN_LESSONS_QUICK=1` (or `QUICK = True` below): it runs in about a
minute and a half.
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
import numpy as np
import pandas as pd

from cnn_lessons import data, plots, references, resnet, training
from cnn_lessons.arithmetic import layer_table, totals

pd.set_option("display.max_colwidth", 70)
pd.set_option("display.width", 160)
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, device: {training.accelerator()}")
""")

code(r"""
# Run settings. papermill can override any of them; None means "the default for this mode".
QUICK = os.environ.get("CNN_LESSONS_QUICK", "0") == "1"  # the workshop setting, about 90 s
EPOCHS = None
N_TRAIN = None
N_TEST = None
BATCH_SIZE = 64
SEED = 0
""", tags=["parameters"])

code(r"""
EPOCHS = EPOCHS or (1 if QUICK else 3)
N_TRAIN = N_TRAIN or (2_000 if QUICK else 10_000)
N_TEST = N_TEST or (1_000 if QUICK else 5_000)
# The degradation experiment (section 6): plain and residual networks of two depths, trained
# on the first DEGRADATION_IMAGES training images. Quick mode uses 8 and 14 layers instead of
# 20 and 56, as a smoke test: tracing a 56-layer training step alone takes 10 s.
DEGRADATION_DEPTHS = (8, 14) if QUICK else (20, 56)
DEGRADATION_IMAGES = 320 if QUICK else 1_600
print(f"{'Quick' if QUICK else 'Default'} run: {N_TRAIN:,} training images, {N_TEST:,} test images, "
      f"{EPOCHS} epochs, batch size {BATCH_SIZE}, seed {SEED}; "
      f"degradation experiment: depths {DEGRADATION_DEPTHS} on {DEGRADATION_IMAGES:,} images")
""")

md(r"""
## 1 · Why ResNet mattered

From 2012 to 2014 the winners of the ImageNet Large Scale Visual Recognition Challenge (ILSVRC)
got deeper: AlexNet had 8 weighted layers, VGG 19, GoogLeNet 22. Batch normalization (BN) and
careful initialization had solved the old problem of gradients that vanish or explode at the
start of training. Yet stacking more layers stopped helping. The paper's Figure 1 shows it on
CIFAR-10: a plain 56-layer network has a higher **training** error than a plain 20-layer one. This
is not overfitting (the deeper network fits its training set *worse*), and the authors call it the
**degradation problem**.

It is strange, because a solution exists by construction: copy the 20 layers of the shallow
network and make the 36 extra layers compute the identity. The deeper network could be at least as
good; the optimizer just does not find that solution. So the paper makes the identity the easy
thing to learn. A stack of layers that should compute H(x) computes a **residual** F(x) = H(x) - x,
and a **shortcut** adds the input back:

    y = ReLU(F(x) + x)

If the identity is best, the block only has to drive F to zero. The shortcut is an addition: it
has no parameters and costs one addition per value.

With residual blocks, depth trains again. A 152-layer ResNet, 8 times deeper than VGG yet with
fewer multiply-adds (11.3 billion against VGG-19's 19.6), was part of the ensemble that won the
ILSVRC-2015 classification task with **3.57 % top-5 error**, and the same networks won the 2015
detection and localization tasks on ImageNet and detection and segmentation on COCO. On CIFAR-10
the paper trains up to 110 layers, and a 1,202-layer network still trains.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
print(references.RESNET["source"])
print(f"ILSVRC-2015 classification, top-5 error (ensemble): {references.RESNET['ilsvrc2015_top5_error']} %")
print("multiply-adds (billions, Table 1):", references.RESNET["gflops"])
""")

md(r"""
## 2 · The paper's table

Table 1 of the paper describes five ImageNet networks with one pattern: a stem (a 7x7 convolution
with stride 2 and a 3x3 max pool with stride 2), four stages `conv2_x` ... `conv5_x` of blocks,
global average pooling and a 1000-way fully connected layer. Each stage after the first halves
the feature maps in its first block and doubles the width. `resnet.TABLE_1` holds what differs
between the depths, the block type and the blocks per stage, and `resnet.STAGES` the width and
output size of each stage; the table below is generated from them:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
def block_text(kind, width):
    if kind == "basic":  # two 3x3 convolutions
        return f"[3x3, {width}; 3x3, {width}]"
    return f"[1x1, {width}; 3x3, {width}; 1x1, {4 * width}]"  # the bottleneck


rows = {"conv1": {"output": "112x112"}, "pool1": {"output": "56x56"}}
for depth, (kind, blocks_per_stage) in resnet.TABLE_1.items():
    rows["conv1"][f"{depth}-layer"] = "7x7, 64, stride 2"
    rows["pool1"][f"{depth}-layer"] = "3x3 max pool, stride 2"
    for (stage, width, size), blocks in zip(resnet.STAGES, blocks_per_stage):
        rows.setdefault(f"{stage}_x", {"output": f"{size}x{size}"})[f"{depth}-layer"] = (
            f"{block_text(kind, width)} x {blocks}")
rows["head"] = {"output": "1x1", **{f"{d}-layer": "average pool, 1000-d fc, softmax" for d in resnet.TABLE_1}}
rows["multiply-adds"] = {"output": "", **{f"{d}-layer": f"{g} x 10^9" for d, g in references.RESNET["gflops"].items()}}
pd.DataFrame(rows).T
""")

md(r"""
The depth counts the weighted layers: ResNet-34 has 1 + 2·(3 + 4 + 6 + 3) + 1 = 34, ResNet-50
has 1 + 3·16 + 1 = 50. Three rules hold everywhere:

- **every convolution is followed by BN** (and has no bias: BN's learned shift does that job);
- **the ReLU comes after the addition** of the shortcut, not before;
- the shortcut is the **identity** wherever the shapes match. Where a stage changes the shape, the
  paper compares three options: **A**, the identity subsampled and padded with zero channels (no
  parameters); **B**, a *projection* (a 1x1 convolution with stride 2, then BN) only there; **C**,
  projections everywhere. B is a little better than A and C hardly better than B, so the ImageNet
  networks use B.

For CIFAR-10 (section 4.2) the paper uses a smaller family, 6n + 2 layers for n = 3, 5, 7, 9, 18
(20 to 110 layers): a 3x3 convolution with 16 filters, three stages of n basic blocks, global
average pooling and a 10-way fully connected layer, with option A shortcuts:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
pd.DataFrame(
    [{"stage": stage, "output": f"{size}x{size}", "filters": filters, "layers": "2n (n basic blocks)"}
     for stage, filters, size in resnet.CIFAR_STAGES],
)
""")

md(r"""
## 3 · Build it

`resnet.resnet50()` builds Table 1's 50-layer column, with keras.applications' layer names:
`conv2_block1_1_conv` is the first convolution of the first block of stage `conv2`, `_0_` marks the
projection shortcut, `_add` the addition and `_out` the ReLU after it.
""")

code(r"""
training.set_seed(SEED)
r50 = resnet.resnet50()
r50_table = layer_table(r50)
print(f"{r50.name}: {len(r50.layers)} Keras layers, output {r50.output.shape}")
""")

code(r"""
# NBVAL_CHECK_OUTPUT
columns = ["name", "type", "output_shape", "formula", "params", "trainable", "macs"]
r50_table[r50_table["name"].str.match(r"conv1_|pool1_|conv2_block1_")][columns]
""")

md(r"""
Read the first block, `conv2_block1`: the residual branch is 1x1 (64), 3x3 (64), 1x1 (256), each
followed by BN, with a ReLU after the first two. The block's input has 64 channels and its output
256, so the shortcut is a projection, `conv2_block1_0_conv` and `_0_bn`, with **no ReLU**. The two
branches meet in `conv2_block1_add`, and only then comes the ReLU, `conv2_block1_out`. Keras lists
the layers in the order it built them, which is why the two branches interleave.

## 4 · Parameter arithmetic, by hand

A convolution without bias, with k x k kernels, C_in input channels and C_out filters, has
k·k·C_in·C_out weights and does that many multiply-accumulates (MACs) at each output position.
A BN layer has 4 numbers per channel: a scale γ and a shift β that training learns, and a moving
mean and variance that it only tracks, so they are **non-trainable**.

**The stem.** `conv1_conv` has 7·7·3·64 = **9,408** weights and runs at 112·112 positions:
112·112·9,408 = 118,013,952 MACs. `conv1_bn` adds 2·64 = 128 trainable and 128 non-trainable.

**A basic block** (ResNet-18 and ResNet-34), `conv2_block2` of ResNet-18 at 56x56 with 64
channels:

| layer | weights | MACs at 56x56 |
| --- | ---: | ---: |
| 3x3 conv, 64 -> 64 | 3·3·64·64 = 36,864 | 56·56·36,864 = 115,605,504 |
| BN | 2·64 = 128 (+ 128 non-trainable) | |
| 3x3 conv, 64 -> 64 | 36,864 | 115,605,504 |
| BN | 128 (+ 128 non-trainable) | |
| shortcut | identity: 0 | |
| **block** | **73,984** trainable, 256 non-trainable | **231,211,008** |

**A bottleneck block** (ResNet-50 and deeper), `conv2_block2` of ResNet-50, whose input and output
have 256 channels. The first 1x1 reduces the width to 64, the 3x3 works at 64, the last 1x1
restores 256:

| layer | weights | MACs at 56x56 |
| --- | ---: | ---: |
| 1x1 conv, 256 -> 64 | 1·1·256·64 = 16,384 | 56·56·16,384 = 51,380,224 |
| BN | 2·64 = 128 (+ 128) | |
| 3x3 conv, 64 -> 64 | 3·3·64·64 = 36,864 | 115,605,504 |
| BN | 2·64 = 128 (+ 128) | |
| 1x1 conv, 64 -> 256 | 1·1·64·256 = 16,384 | 51,380,224 |
| BN | 2·256 = 512 (+ 512) | |
| shortcut | identity: 0 | |
| **block** | 69,632 + 768 = **70,400** trainable, 768 non-trainable | **218,365,952** |

The bottleneck block carries **four times as many channels** (256 instead of 64) for slightly
*fewer* weights and MACs. In general, at width w a basic block costs 2·9w² = 18w² per position, a
bottleneck block 4w² + 9w² + 4w² = 17w².

The first block of a stage also has its projection: in ResNet-50's `conv2_block1`, 1·1·64·256 =
16,384 weights and 512 + 512 for its BN; in ResNet-18's `conv3_block1`, 1·1·64·128 = 8,192 (with
stride 2) and 256 + 256. Option A would need none of them.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
def block(table, prefix):
    rows = table[table["name"].str.startswith(prefix)]
    return {"trainable": int(rows["trainable"].sum()),
            "non-trainable": int((rows["params"] - rows["trainable"]).sum()),
            "MACs": int(rows["macs"].sum())}


training.set_seed(SEED)
r18 = resnet.resnet18()
r18_table = layer_table(r18)
pd.DataFrame({"ResNet-18 conv2_block2 (basic)": block(r18_table, "conv2_block2_"),
              "ResNet-50 conv2_block2 (bottleneck)": block(r50_table, "conv2_block2_")}).T
""")

md(r"""
### Why ResNet-50 costs about as much as ResNet-34

ResNet-34 and ResNet-50 have the same number of blocks per stage, 3, 4, 6 and 3; ResNet-50 swaps
each basic block for a bottleneck block of the same width. Per position that is 17w² instead of
18w², while the blocks' outputs become four times wider. Stage by stage, from `layer_table`:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
def by_stage(table):
    stage = table["name"].str.split("_").str[0]
    return table.groupby(stage, sort=False)[["trainable", "macs"]].sum().loc[
        ["conv1", "conv2", "conv3", "conv4", "conv5", "predictions"]]


training.set_seed(SEED)
r34 = resnet.resnet34()
r34_table = layer_table(r34)
stages = pd.concat({"ResNet-34": by_stage(r34_table), "ResNet-50": by_stage(r50_table)}, axis=1)
stages.loc["total"] = stages.sum()
print(stages.to_string())
for depth, table in ((18, r18_table), (34, r34_table), (50, r50_table)):
    macs = totals(table)["macs"]
    print(f"ResNet-{depth}: {macs / 1e9:.2f} billion MACs (Table 1: {references.RESNET['gflops'][depth]})")
del r34, r34_table
""")

md(r"""
ResNet-50 does 3.86 billion MACs and ResNet-34 3.66: the paper's 3.8 and 3.6 (Table 1 calls them
FLOPs but counts multiply-adds, and cuts 3.66 and 3.86 to one decimal). Its conv2 to conv4 stages
cost about the same as ResNet-34's; the difference sits in the first 1x1 convolutions of the
wider blocks and in the projections. Where do ResNet-50's extra 3.8 million parameters go? To
conv5, whose 1x1 convolutions connect 2,048 channels, and to the classifier, which now reads 2,048
features instead of 512: 2,048·1,000 + 1,000 = 2,049,000 weights against 513,000.

### The full tables

Every layer of ResNet-18, with trainable and non-trainable parameters apart. `layer_table` checks
each row against Keras's own count:
""")

code(r"""
# NBVAL_CHECK_OUTPUT
def full(table):
    shown = table[["name", "type", "output_shape", "formula", "trainable", "macs", "receptive_field"]].copy()
    shown.insert(5, "non_trainable", table["params"] - table["trainable"])
    return shown.to_string(index=False)


print(full(r18_table))
print("\nResNet-18:", totals(r18_table), "| every row matches Keras:",
      bool((r18_table["params"] == r18_table["keras_params"]).all()))
""")

md(r"""
And every layer of ResNet-50 (177 rows):
""")

code(r"""
# NBVAL_CHECK_OUTPUT
print(full(r50_table))
print("\nResNet-50:", totals(r50_table), "| every row matches Keras:",
      bool((r50_table["params"] == r50_table["keras_params"]).all()))
del r18, r18_table
""")

md(r"""
The receptive field grows to 435 pixels at `conv5_block3_out`, larger than the 224x224 input: the
last blocks see the whole image.

### Reconciling with torchvision and keras.applications

Three libraries, three totals for "ResNet-50". They differ only in what they count:

| | ResNet-18 | ResNet-50 | what is counted |
| --- | ---: | ---: | --- |
| ours, trainable | 11,689,512 | 25,557,032 | convolution weights, BN γ and β, the classifier |
| torchvision (`num_params`) | 11,689,512 | 25,557,032 | the same: BN statistics are *buffers*, not parameters |
| ours, `count_params()` | 11,699,112 | 25,610,152 | + BN moving means and variances (9,600 and 53,120) |
| keras.applications `ResNet50` | | 25,636,712 | + a bias in every convolution |

ResNet-50 has 53 convolutions, each followed by BN, with 26,560 output channels in all. BN
stores 2 statistics per channel: 2·26,560 = 53,120. keras.applications gives each convolution a
bias as well: 26,560 more. 25,610,152 + 26,560 = 25,636,712. Those biases do nothing useful: the
BN that follows subtracts the batch mean, which removes any constant added before it.
`resnet50(conv_bias=True)` builds keras.applications' network exactly, layer for layer.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
conv_channels = int(r50_table.loc[r50_table["type"] == "Conv2D", "output_shape"].str[-1].sum())
keras_resnet50 = keras.applications.ResNet50(weights=None)
ours = totals(r50_table)
print(f"convolutions: {(r50_table['type'] == 'Conv2D').sum()}, their output channels: {conv_channels:,}")
print(f"ours: {ours['trainable']:,} trainable (torchvision: {references.RESNET['trainable'][50]:,}) "
      f"+ {ours['non_trainable']:,} BN statistics = {ours['params']:,}")
print(f"+ {conv_channels:,} conv biases = {ours['params'] + conv_channels:,}; "
      f"keras.applications ResNet50: {keras_resnet50.count_params():,}")
print("same output shape at every stage:", all(
    r50.get_layer(name).output.shape == keras_resnet50.get_layer(name).output.shape
    for name in ("conv1_relu", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out",
                 "conv5_block3_out", "avg_pool", "predictions")))
del keras_resnet50
""")

md(r"""
**v1 against v1.5.** In the paper (and in Caffe and keras.applications), a bottleneck stage that
halves the maps puts its stride 2 on the first 1x1 convolution. torchvision puts it on the 3x3,
which NVIDIA's documentation calls ResNet-50 "v1.5": about 0.5 % better top-1 accuracy, and more
computation. The parameters do not change, since a stride is not a weight. The MACs do: the first
1x1 of `conv3_block1`, `conv4_block1` and `conv5_block1` now runs before the subsampling, at 4
times as many positions. For `conv3_block1`, 56·56·256·128 = 102,760,448 MACs instead of
28·28·256·128 = 25,690,112; the same difference, 77,070,336, in each of the three stages adds
231,211,008 MACs: 3.86 + 0.23 = 4.09 billion, torchvision's published 4.09 "GFLOPS".
""")

code(r"""
# NBVAL_CHECK_OUTPUT
training.set_seed(SEED)
v15 = resnet.resnet50(stride_on="3x3")
v15_totals = totals(layer_table(v15))
print(f"v1 (stride on the 1x1):   {ours['trainable']:,} trainable, {ours['macs']:,} MACs")
print(f"v1.5 (stride on the 3x3): {v15_totals['trainable']:,} trainable, {v15_totals['macs']:,} MACs "
      f"(+{v15_totals['macs'] - ours['macs']:,}; torchvision: {references.RESNET['torchvision_resnet50_gflops']} billion)")
del v15
gc.collect()
""")

md(r"""
### The CIFAR-10 networks against Table 6

ResNet-20 by hand: the stem has 3·3·3·16 = 432 weights; stage 1 has six 3x3 convolutions of
16 -> 16, 6·2,304 = 13,824; stage 2 has one of 16 -> 32 (4,608) and five of 32 -> 32 (5·9,216),
50,688; stage 3 has one of 32 -> 64 (18,432) and five of 64 -> 64 (5·36,864), 202,752. The
19 BN layers have 2·(16 + 6·16 + 6·32 + 6·64) = 2·688 = 1,376 trainable values, and the
classifier 64·10 + 10 = 650. In all 432 + 13,824 + 50,688 + 202,752 + 1,376 + 650 = **269,722**,
Table 6's "0.27M". The option A shortcuts add nothing, and neither does removing them: a plain
network has exactly its residual twin's parameters.
""")

code(r"""
# NBVAL_CHECK_OUTPUT
rows = []
for depth in (20, 32, 44, 56, 110):
    model = resnet.resnet_cifar(depth)
    counted = totals(layer_table(model))
    rows.append({"depth": depth, "n": (depth - 2) // 6, "trainable": counted["trainable"],
                 "non-trainable": counted["non_trainable"],
                 "Table 6 (millions)": references.RESNET["cifar_params_millions"][depth],
                 "rounded": round(counted["trainable"] / 1e6, 2 if depth < 100 else 1),
                 "MACs": counted["macs"], "Table 6 error %": references.RESNET["cifar_test_error"][depth]})
    if depth in (20, 56):
        plain = totals(layer_table(resnet.resnet_cifar(depth, plain=True)))["trainable"]
        print(f"plain-{depth}: {plain:,} trainable, the same as ResNet-{depth}: {plain == counted['trainable']}")
    del model
keras.backend.clear_session()
pd.DataFrame(rows)
""")

md(r"""
ResNet-20 does 40.6 million MACs per 32x32 image, 95 times fewer than ResNet-50 on 224x224
images. ResNet-56 does 3.1 times as many as ResNet-20, which matters in section 6.

## 5 · Common mistakes in a widely copied Keras ResNet

Two mistakes circulate in Keras code that calls itself ResNet-50. Both keep every parameter, so a
parameter count will not catch them; they change the *function*. `resnet.copied_resnet` rebuilds
each, wrong on purpose, with the same layer names, so we can copy the weights of our ResNet-50
into it, layer by layer, and compare what the two networks compute on the same images.

1. **No ReLU after the addition** in the bottleneck block. The paper's block is
   y = ReLU(F(x) + x) (its Figure 2 and Figure 5). Without that ReLU, each block passes negative
   values on, and the next block's shortcut adds them in.
2. **A ReLU on the projection shortcut**, before the addition. The projection is linear (W_s·x in
   the paper's equation 2). With a ReLU, the shortcut can only add, never subtract, and half of
   what it carries is clipped away.
""")

code(r"""
def same_weights(source, target):
    "Copy every weighted layer of `source` into the layer of the same name in `target`."
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def probe(model, names):
    "A model that returns the outputs of the layers called `names`."
    return keras.Model(model.input, [model.get_layer(name).output for name in names])


images = np.random.default_rng(SEED).uniform(size=(1, 224, 224, 3)).astype("float32")  # one image
watched = ["conv2_block1_0_bn", "conv2_block1_out", "conv3_block4_out", "avg_pool"]
right = dict(zip(watched, map(np.asarray, probe(r50, watched)(images))))
for mistake in resnet.MISTAKES:
    training.set_seed(SEED)
    copied = resnet.copied_resnet(50, mistake)
    same_weights(r50, copied)
    names = watched + (["conv2_block1_0_relu"] if mistake == "relu_on_projection" else [])
    wrong = dict(zip(names, map(np.asarray, probe(copied, names)(images))))
    print(f"{mistake}: {copied.count_params():,} parameters, the same as ours: "
          f"{copied.count_params() == r50.count_params()}")
    if mistake == "no_relu_after_add":
        for name in ("conv2_block1_out", "conv3_block4_out"):
            print(f"  {name}: smallest value {right[name].min():.2f} (ours) and "
                  f"{wrong[name].min():.2f} (copied); {np.mean(wrong[name] < 0):.0%} of the copied "
                  f"values are negative")
    else:
        shortcut = right["conv2_block1_0_bn"]
        print(f"  conv2_block1's projection: {np.mean(shortcut < 0):.0%} of its values are negative; "
              f"after the copied ReLU the smallest is {wrong['conv2_block1_0_relu'].min():.2f}")
    difference = np.linalg.norm(wrong["avg_pool"] - right["avg_pool"]) / np.linalg.norm(right["avg_pool"])
    print(f"  the 2,048 features before the classifier differ by {difference:.0%} (relative norm)\n")
    del copied
gc.collect()
""")

md(r"""
Same weights, different functions. The consequence is worst when someone loads weights trained
with one architecture into the other (for instance keras.applications' ImageNet weights into a
copied model): every layer loads without an error, and the predictions are wrong. And trained
from scratch, the copied network is simply not the network the paper measured.

`tests/test_resnet.py` checks that every block of ours ends with a ReLU after its addition, and
that the check fails for both copied models.
""")

code(r"""
del r50, r50_table, right, images
keras.backend.clear_session()
gc.collect();
""")

md(r"""
## 6 · The degradation problem, in small

Now the experiment that motivated the paper (its Figures 1 and 6): train plain-20 and plain-56,
ResNet-20 and ResNet-56 on CIFAR-10 the same way, and compare their **training** error. Plain
networks are `resnet_cifar(depth, plain=True)`: the same layers, the same parameters, no shortcuts.

First the data: a class-balanced subset of CIFAR-10, 32x32 colour images in 10 classes.
""")

code(r"""
cifar = data.load_cifar10(N_TRAIN, N_TEST, seed=SEED)
print(cifar)
plots.samples(cifar.x_train, cifar.y_train, cifar.class_names)
""")

md(r"""
The paper trains for 64,000 iterations of 128 images. We can afford about 1 % of one of its
training runs for all four networks together, so this is a small version: one pass over the first
`DEGRADATION_IMAGES` training images, in batches of 32, with the paper's optimizer settings
(stochastic gradient descent, SGD, with learning rate 0.1, momentum 0.9 and weight decay 1e-4), no
augmentation, the same images in the same order for all four networks. `train_on_batch` returns
the accuracy on each batch just before the update, so we get the paper's kind of curve: training
error against iterations.
""")

code(r"""
def training_errors(model, x, y, batch_size=32, seed=SEED):
    "One pass of SGD over (x, y) with the paper's settings; the training error of every batch."
    model.compile(keras.optimizers.SGD(0.1 * batch_size / 128, momentum=0.9, weight_decay=1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    order = np.random.default_rng(seed).permutation(len(x))
    batches = order[: len(x) // batch_size * batch_size].reshape(-1, batch_size)
    return [1 - model.train_on_batch(x[b], y[b], return_dict=True)["accuracy"] for b in batches]


x_small, y_small = cifar.x_train[:DEGRADATION_IMAGES], cifar.y_train[:DEGRADATION_IMAGES]
errors, degradation_seconds = {}, {}
for plain in (True, False):
    for depth in DEGRADATION_DEPTHS:
        name = f"{'plain' if plain else 'ResNet'}-{depth}"
        training.set_seed(SEED)
        model = resnet.resnet_cifar(depth, plain=plain)
        started = time.perf_counter()
        errors[name] = training_errors(model, x_small, y_small)
        degradation_seconds[name] = time.perf_counter() - started
        print(f"{name}: {len(errors[name])} iterations in {degradation_seconds[name]:.0f} s, training "
              f"error over the last quarter {np.mean(errors[name][-len(errors[name]) // 4:]):.1%}", flush=True)
        del model
keras.backend.clear_session()
""")

code(r"""
names = list(errors)
plots.iteration_curves({"plain networks (no shortcuts)": {k: errors[k] for k in names[:2]},
                        "ResNets (option A shortcuts)": {k: errors[k] for k in names[2:]}}, window=10)
""")

md(r"""
DEGRADATION_TEXT
""")

md(r"""
## 7 · Training ResNet-20 on CIFAR-10

The paper's CIFAR-10 recipe (section 4.2): SGD with momentum 0.9 and weight decay 1e-4, batches of
128, learning rate 0.1, divided by 10 at 32,000 and 48,000 iterations, stop at 64,000; each
training image padded by 4 pixels on every side and a random 32x32 crop taken (a random translation
of up to 4 pixels), and flipped horizontally half of the time. 64,000 iterations are 8.2 million
images, 164 passes over CIFAR-10's 50,000.

We have a few minutes of CPU, about RECIPE_IMAGES images, so we keep the optimizer and the
augmentation and scale the schedule down:

RECIPE_TEXT
""")

code(r"""
PEAK_LEARNING_RATE = 0.1 * BATCH_SIZE / 128  # the paper's 0.1 for 128 images, scaled to our batch
training.set_seed(SEED)
model = resnet.resnet_cifar(20)
for layer in model.layers:  # see the third point above
    if isinstance(layer, keras.layers.BatchNormalization):
        layer.momentum = 0.9

# The paper's augmentation, as Keras layers that are active only in training: a horizontal flip
# half of the time, and a shift of up to 4 pixels (4/32 of the side) that fills with zeros, the
# same as padding by 4 and cropping 32x32 at random.
augment = keras.Sequential([
    keras.layers.RandomFlip("horizontal"),
    keras.layers.RandomTranslation(4 / 32, 4 / 32, fill_mode="constant", interpolation="nearest"),
], name="augment")
trainer = keras.Sequential([keras.Input(shape=(32, 32, 3)), augment, model], name="trainer")

steps = EPOCHS * training.steps_per_epoch(N_TRAIN, BATCH_SIZE)
warmup = steps // 3
schedule = keras.optimizers.schedules.CosineDecay(
    0.0, decay_steps=steps - warmup, warmup_target=PEAK_LEARNING_RATE, warmup_steps=warmup)
trainer.compile(keras.optimizers.SGD(schedule, momentum=0.9, weight_decay=1e-4),
                loss="sparse_categorical_crossentropy", metrics=["accuracy"])
run = training.fit(trainer, cifar.x_train, cifar.y_train, EPOCHS, BATCH_SIZE)
accuracy, predicted = training.evaluate(model, cifar.x_test, cifar.y_test)
print(f"ResNet-20: test accuracy {accuracy:.2%} on {N_TEST:,} images after {run.seconds:.0f} s "
      f"({run.images_per_second:,.0f} images/s, {steps} iterations)")
""")

md(r"""
The learning curves. Training accuracy is measured on augmented images while the weights change
during the epoch; validation accuracy on the 10 % held out, at the end of each epoch:
""")

code(r"""
plots.learning_curves({"ResNet-20": run.history})
""")

md(r"""
Where does it go wrong? Rows are the true classes, columns the predictions:
""")

code(r"""
plots.confusion_matrix(cifar.y_test, predicted, cifar.class_names,
                       title=f"ResNet-20, test accuracy {accuracy:.2%}")
""")

code(r"""
plots.misclassified(cifar.x_test, cifar.y_test, predicted, cifar.class_names)
""")

md(r"""
CONFUSION_TEXT

### What the network learned

The 16 filters of the stem, `conv1_conv`, 3x3 in colour, each scaled to its own range:
""")

code(r"""
plots.filters(model.get_layer("conv1_conv").get_weights()[0], columns=8)
""")

md(r"""
What one test image becomes at the end of each stage: 32x32 maps in `conv2`, 16x16 in `conv3`,
8x8 in `conv4` (the first 16 channels of each):
""")

code(r"""
image = cifar.x_test[0]
print("test image 0:", cifar.class_names[cifar.y_test[0]])
for stage in ("conv2_block3_out", "conv3_block3_out", "conv4_block3_out"):
    display(plots.feature_maps(model, stage, image, columns=8, limit=16))
""")

md(r"""
### Results

The final numbers of this run (the notebook tests read this output):
""")

code(r"""
training.report(
    resnet20_test_accuracy=round(accuracy, 4),
    resnet20_seconds=round(run.seconds, 1),
    resnet20_images_per_second=round(run.images_per_second, 1),
    degradation_last_quarter_error={k: round(float(np.mean(v[-len(v) // 4:])), 4) for k, v in errors.items()},
    degradation_seconds=round(sum(degradation_seconds.values()), 1),
    n_train=N_TRAIN, n_test=N_TEST, epochs=EPOCHS, quick=QUICK,
)
""", tags=["metrics"])

md(r"""
## 8 · At full scale

FULLSCALE_TEXT

## 9 · Exercises

1. How many trainable parameters does a bottleneck block of ResNet-50's `conv4` stage have (input
   and output 1,024 channels, width 256)? And its first block, `conv4_block1`, with its
   projection from 512 channels?
2. ResNet-20 with option B shortcuts instead of A: how many parameters more?
3. Build `resnet.resnet152()`, count its trainable parameters and MACs, and compare them with
   torchvision's 60,192,808 and Table 1's 11.3 billion. Which stage holds most of its parameters?
4. Why does the paper's ResNet-110 start with a learning rate of 0.01 for its first 400
   iterations (until the training error is below 80 %) before going to 0.1? Look at the first
   iterations of ResNet-56 in section 6.
5. Train plain-20 with the recipe of section 7 (`resnet.resnet_cifar(20, plain=True)`) and
   compare it with ResNet-20.
6. In `copied_resnet(50, "no_relu_after_add")`, what is the smallest value `conv5_block3_out`
   can output? And in ours?

<details><summary>Solutions</summary>

1. 1·1·1,024·256 + 3·3·256·256 + 1·1·256·1,024 = 262,144 + 589,824 + 262,144 = 1,114,112
   weights, and BN 2·(256 + 256 + 1,024) = 3,072: **1,117,184**. `conv4_block1` reads 512
   channels: its first 1x1 has 512·256 = 131,072 weights instead of 262,144, and its projection
   512·1,024 = 524,288 + 2,048 for BN: 1,117,184 - 131,072 + 524,288 + 2,048 = **1,512,448**.
   Check: `block(layer_table(resnet.resnet50()), "conv4_block1_")` with `block` from section 4.
2. Two projections: 1·1·16·32 = 512 + BN 64, and 1·1·32·64 = 2,048 + BN 128: **2,752** more,
   272,474 in all. Check: `totals(layer_table(resnet.resnet_cifar(20, shortcut="B")))`.
3. 60,192,808 trainable, as torchvision, and 11.28 billion MACs (Table 1: 11.3). `conv4`, with
   its 36 blocks, holds 40.6 million of them. Use `by_stage` from section 4.
4. The paper found 0.1 "slightly too large to start converging" for 110 layers: the first
   updates of a freshly initialized deep network are large, and the training error can stay near
   chance (90 %). A small learning rate first lets the error start falling; then 0.1 takes over.
   Our short run in section 7 warms up linearly for the same reason.
5. `plain = resnet.resnet_cifar(20, plain=True)`, then the same cells as section 7 with `plain` in
   place of `model`. Expect a small difference: at 20 layers the paper's plain and residual
   networks are close (its Figure 6), and the shortcuts matter more the deeper the network.
6. Without the final ReLU, `conv5_block3_out` is the sum of a BN output and the block's input, and
   BN's output is unbounded: it can be any negative number. Ours ends with a ReLU, so 0.

</details>

## Summary

- A residual block computes ReLU(F(x) + x): the identity shortcut costs no parameter and makes
  "do nothing" easy to learn, so depth stops hurting.
- ResNet-18/34/50/101/152 have **11,689,512 / 21,797,672 / 25,557,032 / 44,549,160 /
  60,192,808** trainable parameters, as torchvision counts them; BN statistics add 9,600 to
  ResNet-18 and 53,120 to ResNet-50, and keras.applications' conv biases 26,560 more.
- A bottleneck block costs 17w² per position against a basic block's 18w² and carries 4 times the
  channels: ResNet-50 does 3.86 billion MACs, ResNet-34 3.66. Moving the stride to the 3x3 ("v1.5")
  adds 0.23 billion and no parameter.
- The CIFAR ResNets match Table 6: 269,722 parameters for ResNet-20 up to 1,727,962 for
  ResNet-110; a plain network has exactly as many.
- Two copied mistakes, a missing ReLU after the addition and a ReLU on the projection, keep every
  parameter and change the function: count parameters *and* read the block.

This is the last chapter: from LeNet-5's 60,000 parameters to ResNet-152's 60 million, every
number in this course has been counted by hand and checked against Keras.
""")

nb = nbf.v4.new_notebook()
nb.cells = cells
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, TARGET)

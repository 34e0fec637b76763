"""Architecture figures, one per chapter, each drawn from the table its builder walks.

Every figure builds the network (or the block) with the chapter's own builder and reads the
names, widths and output shapes it draws from the built layers, so a change to a table such as
`vgg.TABLE_1` or `googlenet.TABLE_1` changes the model and the figure together: nothing is typed
twice. Matplotlib only. Each function returns a closed Figure, as everything in `plots` does.

The drawing helpers work in inches: `_canvas` gives an axes whose data coordinates are inches from
the figure's bottom-left corner, so that box sizes and font sizes (a point is 1/72 inch) can be
laid out against each other without overlapping.
"""

import inspect
import math
import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch, Rectangle

from . import alexnet, googlenet, lenet, resnet, vgg
from ._keras import keras, layers
from .layers import EuclideanRBF, LocalResponseNormalization, SubsampleZeroPad
from .validation import check_choice, check_flag, is_integer, positive_int

FONT = 8  # points; a line of 8-point text is about 0.13 inch high
SMALL = 7  # points, for dense boxes (VGG's table, the blocks' layers)
COLORS = {
    "conv": "#f6b26b",  # a convolution with a kernel larger than 1x1
    "conv1x1": "#fde9a9",  # a 1x1 convolution
    "pool": "#a4c2f4",
    "norm": "#d9d2e9",  # local response or batch normalization
    "fc": "#b6d7a8",  # fully connected
    "module": "#f4cccc",  # a GoogLeNet inception module
    "relu": "#ffffff",  # no weights: an activation, dropout, option A's shortcut
    "io": "#e0e0e0",  # inputs, outputs, concatenations
}
EXCHANGE = "#cc0000"  # AlexNet's arrows from one tower to the other


# --- Shared helpers ----------------------------------------------------------------------------


def _canvas(width, height):
    """A figure `width` x `height` inches whose data coordinates are inches, origin bottom-left."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def _closed(fig):
    """Close the figure (a notebook shows it once, as the cell's value) and return it."""
    plt.close(fig)
    return fig


@dataclass(frozen=True)
class _Box:
    """Where a drawn box is, in inches: its centre, its size, and the edges arrows attach to."""

    x: float
    y: float
    width: float
    height: float

    @property
    def left(self):
        return self.x - self.width / 2

    @property
    def right(self):
        return self.x + self.width / 2

    @property
    def top(self):
        return self.y + self.height / 2

    @property
    def bottom(self):
        return self.y - self.height / 2


def _note(ax, x, y, text, fontsize=FONT, **placement):
    """Text at (x, y) inches, centred unless `placement` says otherwise (ha=..., va=...)."""
    placement = {"ha": "center", "va": "center", **placement}
    return ax.text(x, y, text, fontsize=fontsize, linespacing=1.15, zorder=4, **placement)


def _box(ax, x, y, width, height, text, kind, fontsize=FONT):
    """A rounded box centred on (x, y), coloured by `kind` (a key of COLORS), `text` inside."""
    corner = min(0.06, width / 4, height / 4)  # inches of rounding, never more than the box
    # zorder 3: above the lines (zorder 2) that may run behind a box, such as a shortcut
    style = {"edgecolor": "black", "linewidth": 0.8, "zorder": 3}
    style["boxstyle"] = f"round,pad=0,rounding_size={corner}"
    corner_xy = (x - width / 2, y - height / 2)
    ax.add_patch(FancyBboxPatch(corner_xy, width, height, facecolor=COLORS[kind], **style))
    _note(ax, x, y, text, fontsize)
    return _Box(x, y, width, height)


def _arrow(ax, start, end, color="black", gid=None):
    """An arrow from point `start` to point `end`; `gid` names it for a test to find."""
    style = {"arrowstyle": "-|>", "mutation_scale": 8, "linewidth": 0.8, "shrinkA": 0, "shrinkB": 0}
    ax.add_patch(FancyArrowPatch(start, end, color=color, gid=gid, **style))


def _across(ax, left, right, **style):
    """An arrow from the middle of box `left`'s right edge to that of box `right`'s left edge."""
    _arrow(ax, (left.right, left.y), (right.left, right.y), **style)


def _down(ax, upper, lower):
    """An arrow from the bottom of box `upper` to the top of box `lower`."""
    _arrow(ax, (upper.x, upper.bottom), (lower.x, lower.top))


def _elbow(ax, upper, lower, turn):
    """From the bottom of box `upper` down to height `turn`, across, then down into box
    `lower`: how a chain of boxes continues on the next row."""
    ax.plot([upper.x, upper.x, lower.x], [upper.bottom, turn, turn], color="black", lw=0.8)
    _arrow(ax, (lower.x, turn), (lower.x, lower.top))


def _title(ax, width, height, text):
    _note(ax, width / 2, height - 0.12, text, fontsize=10, va="top")


def _shapes(model):
    """Each layer's output shape without the batch axis, by layer name (the input's too)."""
    return {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}


def _dims(shape):
    """A shape as the papers write it: (28, 28, 256) -> "28x28x256"."""
    return "x".join(str(d) for d in shape)


def _window(layer):
    """A convolution's or a pool's window and stride, as GoogLeNet's Table 1 writes them: 7x7/2."""
    kernel = layer.kernel_size if isinstance(layer, layers.Conv2D) else layer.pool_size
    return f"{kernel[0]}x{kernel[1]}/{layer.strides[0]}"


def _kind(layer):
    """The colour key of a Keras layer."""
    if isinstance(layer, layers.Conv2D):
        return "conv1x1" if tuple(layer.kernel_size) == (1, 1) else "conv"
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return "pool"
    if isinstance(layer, (layers.BatchNormalization, LocalResponseNormalization)):
        return "norm"
    if isinstance(layer, layers.Dense):
        return "fc"
    if isinstance(layer, layers.InputLayer):
        return "io"
    return "relu"


# --- Chapter 1: LeNet-5 --------------------------------------------------------------------------

PIXEL = 0.042  # inches per pixel of a feature map: the 32x32 input is drawn 1.34 inches wide
MAP_OFFSET = 0.06  # inches between the stacked squares of one layer's feature maps
MAX_MAPS_DRAWN = 8  # a stack shows at most this many maps; its label gives the count
UNIT = 0.12  # inches per square in a column of units


def _is_maps(shape):
    """Whether a layer is drawn as feature maps (C5's 1x1 maps are drawn as a column of units)."""
    return len(shape) == 3 and shape[:2] != (1, 1)


def _drawn_width(shape):
    """The width in inches of a layer's drawing: a stack of maps, or a column of units."""
    if _is_maps(shape):
        return shape[0] * PIXEL + (min(shape[2], MAX_MAPS_DRAWN) - 1) * MAP_OFFSET
    return UNIT


def _draw_lenet_layer(ax, left, y, shape):
    """A stack of square feature maps, each offset down and to the right of the one behind it;
    or a column of about sqrt(units) squares, so that 120, 84 and 10 units read in order. The
    drawing's middle is at height `y`."""
    if _is_maps(shape):
        drawn, side = min(shape[2], MAX_MAPS_DRAWN), shape[0] * PIXEL
        top = y + (side + (drawn - 1) * MAP_OFFSET) / 2
        corners = [(left + i * MAP_OFFSET, top - side - i * MAP_OFFSET) for i in range(drawn)]
    else:
        drawn, side = max(1, round(shape[-1] ** 0.5)), UNIT
        corners = [(left, y - drawn * UNIT / 2 + i * UNIT) for i in range(drawn)]
    for corner in corners:
        ax.add_patch(Rectangle(corner, side, side, facecolor="white", edgecolor="black", lw=0.7))


def _lenet_label(index, label, shape):
    """The paper's label of one layer: "C1: feature maps 6@28x28", "F6: layer 84", ..."""
    if label in ("INPUT", "OUTPUT"):
        return f"{label}\n{_dims(shape[:2]) if label == 'INPUT' else shape[-1]}"
    if _is_maps(shape):
        maps = "feature maps" if index == 1 else "f. maps"  # the paper abbreviates after C1
        return f"{label}: {maps}\n{shape[2]}@{shape[0]}x{shape[1]}"
    return f"{label}: layer\n{shape[-1]}"


def _lenet_connection(kind, shape, layer):
    """The words under the arrow into a layer, as the paper's Figure 2 has them."""
    if isinstance(layer, EuclideanRBF):
        return "Gaussian\nconnections"
    if kind == "pool":
        return "Subsampling"
    if kind == "conv" and _is_maps(shape):
        return "Convolutions"
    return "Full\nconnection"  # F6, and C5: a 5x5 convolution of a 5x5 map sees all of it


def _or_list(numbers):
    """[3, 4, 6] -> "3, 4 or 6"."""
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def lenet5_architecture():
    """LeNet-5 as the paper's Figure 2 draws it: the input, C1 ... S4 as stacks of feature maps
    shrinking left to right ("C1: feature maps 6@28x28"), then C5, F6 and the output as columns
    of units, with the kind of connection under each arrow. The layers are `lenet.ARCHITECTURE`'s,
    their shapes those of the built paper model; the note on C3 counts `lenet.C3_CONNECTIONS`."""
    model = lenet.lenet5("paper")
    shapes = _shapes(model)
    entries = [(label, label, kind) for label, kind, _ in lenet.ARCHITECTURE]
    entries = [("INPUT", "input", None), *entries, ("OUTPUT", "output", "output")]

    width, height = 11.5, 3.2
    middle = 1.75  # inches: the height of the drawings' middles
    labels, words = 2.58, 0.95  # inches: the labels above the tallest drawing, words below it
    slot = 1.05  # inches: the narrowest slot that holds a label such as "C1: feature maps"
    gap = 0.3  # inches between two slots, for the arrow
    fig, ax = _canvas(width, height)
    slot_left, previous_right = 0.2, None
    for index, (label, name, kind) in enumerate(entries):
        shape = shapes[name]
        drawn = _drawn_width(shape)
        left = slot_left + max(slot - drawn, 0) / 2  # a narrow drawing sits mid-slot
        _draw_lenet_layer(ax, left, middle, shape)
        _note(ax, left + drawn / 2, labels, _lenet_label(index, label, shape), va="bottom")
        if previous_right is not None:
            _arrow(ax, (previous_right, middle), (left, middle))
            connection = _lenet_connection(kind, shape, model.get_layer(name))
            _note(ax, (previous_right + left) / 2, words, connection, va="top")
        previous_right = left + drawn
        slot_left += max(drawn, slot) + gap

    connections, s2_maps = lenet.C3_CONNECTIONS, shapes["S2"][-1]
    seen = _or_list(sorted({len(inputs) for inputs in connections}))
    links = sum(map(len, connections))
    note = (
        f"C3: each of its {len(connections)} maps sees {seen} of S2's {s2_maps} maps "
        f"(Table I): {links} of the {len(connections) * s2_maps} map pairs are connected."
    )
    _note(ax, 0.2, 0.1, note, ha="left", va="bottom")
    _title(
        ax, width, height, "LeNet-5 (Figure 2 of LeCun et al. 1998); shapes from the built model"
    )
    return _closed(fig)


# --- Chapter 2: AlexNet -------------------------------------------------------------------------

TOWERS = 2  # the paper's two GPUs, each holding half of every layer's kernels (section 3.2)


def _alexnet_columns(shapes):
    """(label, one tower's box text) for each layer after the input, from the tables and the
    built model's shapes: conv1 ... conv5 with their norms and pools, then fc6, fc7."""
    columns = []
    for label, _, kernel, stride, _ in alexnet.PAPER_CONVOLUTIONS:
        window = f"{kernel}x{kernel}" + (f"/{stride}" if stride > 1 else "")
        lines = [f"{label} {window}", _dims(_per_tower(shapes[label]))]
        after = [
            name for name in (alexnet.NORMALIZED.get(label), alexnet.POOLED.get(label)) if name
        ]
        if after:
            lines.append(", ".join(after))
        if label in alexnet.POOLED:
            lines.append(_dims(_per_tower(shapes[alexnet.POOLED[label]])))
        columns.append((label, "\n".join(lines)))
    for number in range(6, 6 + len(alexnet.PAPER_FULLY_CONNECTED)):
        units = _per_tower(shapes[f"fc{number}"])[-1]
        text = f"fc{number}\n{units} units\ndropout {alexnet.DROPOUT:g}"
        columns.append((f"fc{number}", text))
    return columns


def _per_tower(shape):
    """One tower's share of a layer's output: half of the channels (or units)."""
    return (*shape[:-1], shape[-1] // TOWERS)


def alexnet_architecture():
    """AlexNet's two towers as the paper's Figure 2 draws them: two rows of layers, one per GPU,
    each holding half of every layer's maps (shapes per tower, from the built `groups=2` model).
    Black arrows stay on one GPU; red arrows cross to the other, into the layers that see both
    halves (conv3 and the fully connected layers), while the layers of `alexnet.GROUPED`
    (conv2, conv4, conv5) see only their own tower's maps."""
    model = alexnet.alexnet(groups=TOWERS)
    shapes = _shapes(model)
    columns = _alexnet_columns(shapes)

    width, height = 12.0, 4.0
    rows = (2.75, 1.5)  # inches: the centres of tower 1 (GPU 1) and tower 2 (GPU 2)
    middle = sum(rows) / 2
    step, box_width, box_height = 1.28, 0.98, 0.78  # inches; four 8-point lines fit 0.78
    fig, ax = _canvas(width, height)
    x = 0.95  # the input's centre, right of the GPU labels
    image = _box(ax, x, middle, box_width, 0.5, f"input\n{_dims(shapes['input'])}", "io")
    for tower, y in enumerate(rows):
        _note(ax, 0.15, y, f"GPU {tower + 1}", fontsize=9, rotation=90)
    below = [image] * TOWERS  # the previous layer's box on each GPU (the image: on both)
    for label, text in columns:
        x += step
        kind = "fc" if label.startswith("fc") else "conv"
        boxes = [_box(ax, x, y, box_width, box_height, text, kind) for y in rows]
        for tower, box in enumerate(boxes):
            _across(ax, below[tower], box)
            if label in alexnet.GROUPED or below[0] is image:  # own tower only (or the image)
                continue
            for other in below[:tower] + below[tower + 1 :]:
                _across(ax, other, box, color=EXCHANGE, gid=f"exchange:{label}")
        below = boxes
    classes = shapes["fc8"][-1]
    output = _box(ax, x + step, middle, box_width, 0.62, f"fc8\n{classes} units\nsoftmax", "fc")
    for origin in below:
        _across(ax, origin, output, color=EXCHANGE, gid="exchange:fc8")

    exchanging = [label for label, _ in columns[1:] if label not in alexnet.GROUPED] + ["fc8"]
    kernels = shapes["conv1"][-1]
    note = (
        f"Red arrows: the GPUs exchange maps. {', '.join(exchanging)} see both halves of the "
        f"layer before; {', '.join(alexnet.GROUPED)} see only their own GPU's half (grouped "
        f"convolutions, groups={TOWERS}).\nEach box shows one GPU's half: conv1 has {kernels} "
        f"kernels, {kernels // TOWERS} on each GPU."
    )
    _note(ax, 0.4, 0.42, note, ha="left")
    title = "AlexNet (Figure 2 of Krizhevsky et al. 2012): two towers, one per GPU"
    _title(ax, width, height, f"{title}; shapes per tower from the built model")
    return _closed(fig)


# --- Chapter 3: VGG -----------------------------------------------------------------------------

# The paper's 224x224 crop (section 2.1): the builder's default input, read from its signature.
VGG_INPUT = inspect.signature(vgg.vgg).parameters["input_shape"].default


def _vgg_kind(entry):
    """The colour key of a Table 1 entry: conv3-64, conv1-256, LRN, maxpool, FC-4096."""
    if entry == "maxpool":
        return "pool"
    if entry.startswith("FC"):
        return "fc"
    kind, kernel_size, _ = vgg.parse(entry)
    if kind == "lrn":
        return "norm"
    return "conv1x1" if kernel_size == 1 else "conv"


def _vgg_shapes(config):
    """The layer shapes of one configuration's built convolution stacks at 224x224 (the
    classifier is left out: its widths are written in CLASSIFIER)."""
    inputs = keras.Input(shape=VGG_INPUT, name="input")
    return _shapes(keras.Model(inputs, vgg.conv_stacks(inputs, config)))


def vgg_configurations():
    """VGG's configurations side by side as the paper's Table 1 sets them out: one column per
    configuration (A, A-LRN, B, C, D, E), headed by its number of weight layers, one box per
    layer in the paper's notation (conv3-64, conv1-256, LRN, maxpool, FC-4096), coloured by kind.
    Drawn from `vgg.TABLE_1` and `vgg.CLASSIFIER`; the map sizes in the margin and the size of
    the first FC's input come from the built convolution stacks."""
    configs = tuple(vgg.TABLE_1)
    blocks = list(zip(*(vgg.TABLE_1[config] for config in configs)))  # per block, per config
    shapes = {config: _vgg_shapes(config) for config in configs}
    first = shapes[configs[0]]  # every column pools at the same places: its map sizes are all's
    image = _dims(first["input"][:2])
    flattened = sorted({shapes[config][f"pool{len(blocks)}"] for config in configs})
    rows = 2 + sum(max(map(len, block)) + 1 for block in blocks) + len(vgg.CLASSIFIER)

    margin, step = 1.05, 1.45  # inches: the margin for map sizes, then one column each
    row, box_height, box_width = 0.25, 0.2, step - 0.2  # inches; 7-point text in a 0.2 box
    header, footer = 0.95, 0.9  # inches above the rows (title, column heads) and below them
    width, height = margin + step * len(configs) + 0.15, header + row * rows + footer
    fig, ax = _canvas(width, height)
    columns = [margin + step * (i + 0.5) for i in range(len(configs))]
    for x, config in zip(columns, configs):
        _note(ax, x, height - header + 0.35, f"{config}\n{vgg.depth(config)} weight layers")

    _note(ax, margin - 0.1, height - header + 0.35, "map size", SMALL, ha="right")
    y = height - header + row / 2
    table = (margin + step * len(configs) / 2, step * len(configs) - 0.2)  # centre, width

    def next_row(entries, size=None):
        """One row of Table 1: an entry per column, or one string across them all; the map
        size in the margin."""
        nonlocal y
        y -= row
        if size:
            _note(ax, margin - 0.1, y, size, SMALL, ha="right")
        if isinstance(entries, str):
            _box(ax, table[0], y, table[1], box_height, entries, "io", SMALL)
            return
        for x, entry in zip(columns, entries):
            if entry:
                _box(ax, x, y, box_width, box_height, entry, _vgg_kind(entry), SMALL)

    next_row(f"input ({image} RGB image)")
    for number, block in enumerate(blocks, start=1):
        for position in range(max(map(len, block))):
            entries = [stack[position] if position < len(stack) else None for stack in block]
            size = _dims(first[f"conv{number}_1"][:2]) if position == 0 else None
            next_row(entries, size=size)
        next_row(["maxpool"] * len(configs), size=f"→ {_dims(first[f'pool{number}'][:2])}")
    for entry in vgg.CLASSIFIER:
        next_row([entry] * len(configs))
    next_row("soft-max")

    kinds = {
        "conv": "conv3: 3x3 convolution",
        "conv1x1": "conv1: 1x1 convolution",
        "norm": "LRN",
        "pool": "maxpool 2x2/2",
        "fc": "FC: fully connected",
    }
    handles = [
        Patch(facecolor=COLORS[k], edgecolor="black", label=text) for k, text in kinds.items()
    ]
    ax.legend(
        handles=handles,
        loc="lower center",
        ncol=len(handles),
        fontsize=SMALL,
        frameon=False,
        bbox_to_anchor=(0.5, 0.4 / height),
    )
    sizes = " or ".join(f"{_dims(shape)} = {math.prod(shape):,}" for shape in flattened)
    note = (
        "conv3-64: 3x3 kernels, 64 maps, stride 1, padding 1; a ReLU after every convolution "
        f"and FC-4096. The first FC sees {sizes} values.\nMap sizes at {image}, from the built "
        "model."
    )
    _note(ax, width / 2, 0.12, note, SMALL, va="bottom")
    _title(ax, width, height, "VGG's ConvNet configurations (Table 1 of Simonyan and Zisserman)")
    return _closed(fig)


# --- Chapter 4: GoogLeNet ------------------------------------------------------------------------


def _googlenet_text(layer, shape):
    """A layer's box text: its name, what it is in Table 1's notation, its output shape."""
    shape = _dims(shape)
    if layer.name.startswith("inception_"):
        return f"inception ({layer.name.split('_')[1]})\n{shape}"
    if isinstance(layer, layers.Dropout):
        return f"dropout\n{layer.rate:.0%}"
    if isinstance(layer, layers.Dense):
        return f"linear\n{layer.units}, {layer.get_config()['activation']}"
    if isinstance(layer, layers.Conv2D):
        return f"{layer.name}\n{_window(layer)} conv, {layer.filters}\n{shape}"
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        pool = "max" if isinstance(layer, layers.MaxPooling2D) else "avg"
        return f"{layer.name}\n{_window(layer)} {pool} pool\n{shape}"
    if isinstance(layer, LocalResponseNormalization):
        return f"{layer.name}\nLRN\n{shape}"
    return f"{layer.name}\n{shape}"  # the input


def _googlenet_rows(model):
    """The main path's layers in three rows: the stem up to pool2; stages 3 and 4 with the pools
    after them; stage 5 and the classifier. A module is one entry, its concatenation layer."""
    path = [
        layer
        for layer in model.layers
        if not layer.name.startswith("aux")
        and not isinstance(layer, layers.Flatten)
        and (not layer.name.startswith("inception_") or layer.name.endswith("_concat"))
    ]
    names = [layer.name for layer in path]
    stage3 = names.index(f"inception_{googlenet.STAGES[0][0]}_concat")
    stage5 = names.index(f"inception_{googlenet.STAGES[-1][0]}_concat")
    return path[:stage3], path[stage3:stage5], path[stage5:]


def _aux_text(model, shapes, head, module):
    """An auxiliary head's box text, a line per layer of the built head."""
    lines = [f"{head}, on {module} (training only)"]
    for layer in model.layers:
        if not layer.name.startswith(f"{head}_") or isinstance(layer, layers.Flatten):
            continue
        if isinstance(layer, layers.Dropout):
            lines[-1] += f", dropout {layer.rate:.0%}"
        elif isinstance(layer, layers.AveragePooling2D):
            lines.append(f"{_window(layer)} avg pool → {_dims(shapes[layer.name])}")
        elif isinstance(layer, layers.Conv2D):
            lines.append(f"{_window(layer)} conv → {_dims(shapes[layer.name])}")
        elif layer.name.endswith("_linear"):
            lines.append(f"linear → {layer.units}, {layer.get_config()['activation']}")
        else:
            lines.append(f"FC → {layer.units}")
    return "\n".join(lines)


def googlenet_architecture(aux_heads=True):
    """GoogLeNet as the paper's Table 1 and Figure 3 build it, in three rows: the stem (conv1,
    the pools and LRNs, conv2), the nine inception modules 3a ... 5b with their output shapes and
    the pools between the stages, then the classifier; with `aux_heads`, the two auxiliary
    classifiers branching off 4a and 4d. Drawn from the built `googlenet(aux_heads=...)`, which
    walks `googlenet.STEM`, `TABLE_1`, `STAGES` and `AUX_HEADS`."""
    aux_heads = check_flag("aux_heads", aux_heads)
    model = googlenet.googlenet(aux_heads=aux_heads)
    shapes = _shapes(model)
    rows = _googlenet_rows(model)

    step, box_width, box_height = 1.3, 1.12, 0.62  # inches; three 8-point lines fit 0.62
    head_height, head_width = 0.85, 1.95  # inches: a head's five 8-point lines
    # The rows' centres, bottom-up: the classifier row; the heads below stage 4, with room under
    # them for the line that turns to the last row; stage 4; the stem; then the title.
    bottom = 0.8 if aux_heads else 0.5  # above the note on the heads
    heads = bottom + box_height / 2 + 0.4 + head_height / 2
    middle = heads + head_height / 2 + 0.3 + box_height / 2 if aux_heads else bottom + 1.25
    ys = (middle + 1.25, middle, bottom)
    width, height = 0.24 + step * max(map(len, rows)), ys[0] + 0.95  # 0.12 inch margins
    fig, ax = _canvas(width, height)
    boxes, previous = {}, None
    for row, y in zip(rows, ys):
        for column, layer in enumerate(row):
            kind = "module" if layer.name.startswith("inception_") else _kind(layer)
            text = _googlenet_text(layer, shapes[layer.name])
            box = _box(ax, 0.12 + step * (column + 0.5), y, box_width, box_height, text, kind)
            if previous is not None and column == 0:  # continued from the row above
                _elbow(ax, previous, box, box.top + 0.22)
            elif previous is not None:
                _across(ax, previous, box)
            boxes[layer.name] = previous = box
    if aux_heads:
        for module, head in googlenet.AUX_HEADS.items():
            above = boxes[f"inception_{module}_concat"]
            text = _aux_text(model, shapes, head, module)
            _down(ax, above, _box(ax, above.x, heads, head_width, head_height, text, "fc"))
        note = (
            f"The auxiliary heads' losses are added with weight {googlenet.AUX_LOSS_WEIGHT:g} "
            "during training; the heads are discarded at inference (section 5)."
        )
        _note(ax, 0.15, 0.12, note, ha="left", va="bottom")
    title = "GoogLeNet (Table 1 of Szegedy et al. 2014): every conv is followed by a ReLU"
    _title(ax, width, height, f"{title}; shapes from the built model")
    return _closed(fig)


def inception_module(label, input_channels=None, size=None):
    """One inception module of Table 1, as the paper's Figure 2b draws it, bottom-up: the
    previous layer; four branches (1x1; a 1x1 reduce then 3x3; a 1x1 reduce then 5x5; a 3x3 max
    pool then the 1x1 pool projection), their widths from `googlenet.TABLE_1`; and the filter
    concatenation, which adds up their maps.

    Args:
        label: the module's row of `googlenet.TABLE_1`: "3a", "3b", "4a", ... "5b".
        input_channels, size: the maps the module sees (channels, and height = width); by
            default those of the paper's network, read from the built model (3a: 192 at 28x28).
    """
    label = check_choice("label", label, tuple(googlenet.TABLE_1))
    if input_channels is None or size is None:
        seen = googlenet.googlenet().get_layer(f"inception_{label}_1x1").input.shape
        input_channels = seen[-1] if input_channels is None else input_channels
        size = seen[1] if size is None else size
    input_channels = positive_int("input_channels", input_channels)
    size = positive_int("size", size)
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = googlenet.TABLE_1[label]
    branches = [  # each branch's boxes, bottom to top: (text, kind)
        [(f"1x1 conv, {n1x1}", "conv1x1")],
        [(f"1x1 conv, {n3x3_reduce}\n(#3x3 reduce)", "conv1x1"), (f"3x3 conv, {n3x3}", "conv")],
        [(f"1x1 conv, {n5x5_reduce}\n(#5x5 reduce)", "conv1x1"), (f"5x5 conv, {n5x5}", "conv")],
        [("3x3 max pool\nstride 1", "pool"), (f"1x1 conv, {pool_proj}\n(pool proj)", "conv1x1")],
    ]
    total = n1x1 + n3x3 + n5x5 + pool_proj

    width, height = 9.0, 4.8
    step, box_width, box_height = 2.05, 1.7, 0.5  # inches; two 9-point lines fit 0.5
    levels = (1.7, 2.85)  # inches: the heights of a branch's first and second boxes
    fig, ax = _canvas(width, height)
    centre = width / 2
    previous = f"previous layer: {size}x{size}x{input_channels}"
    below = _box(ax, centre, 0.5, 3.2, 0.45, previous, "io", fontsize=9)
    concat = f"filter concatenation: {n1x1} + {n3x3} + {n5x5} + {pool_proj} = {total} maps"
    above = _box(ax, centre, 4.0, 5.4, 0.45, f"{concat}, {size}x{size}", "io", fontsize=9)
    for column, branch in enumerate(branches):
        x = centre + step * (column - 1.5)
        spread = centre + 0.3 * step * (column - 1.5)  # where its arrows leave and arrive
        heights = [sum(levels) / 2] if len(branch) == 1 else levels
        boxes = [
            _box(ax, x, y, box_width, box_height, text, kind, fontsize=9)
            for (text, kind), y in zip(branch, heights)
        ]
        _arrow(ax, (spread, below.top), (x, boxes[0].bottom))
        for lower, upper in zip(boxes, boxes[1:]):
            _arrow(ax, (x, lower.top), (x, upper.bottom))
        _arrow(ax, (x, boxes[-1].top), (spread, above.bottom))
    title = f"Inception module {label} (Table 1 widths); every conv is followed by a ReLU"
    _title(ax, width, height, title)
    return _closed(fig)


# --- Chapter 5: ResNet --------------------------------------------------------------------------


def _resnet_text(layer):
    """A block layer's box text, in the notation of the paper's Figure 5: "3x3 conv, 64, /2"."""
    if isinstance(layer, layers.Conv2D):
        kernel, stride = layer.kernel_size[0], layer.strides[0]
        return f"{kernel}x{kernel} conv, {layer.filters}" + (f", /{stride}" if stride > 1 else "")
    if isinstance(layer, layers.BatchNormalization):
        return "BN"
    if isinstance(layer, SubsampleZeroPad):
        widths = f"{layer.input.shape[-1]} → {layer.output.shape[-1]}"
        return f"subsample /{layer.strides},\nzero-pad {widths}"
    activation = layer.get_config()["activation"]
    return "ReLU" if activation == "relu" else activation


def _block_model(block, input_shape, *args, name):
    """One block alone, built by the chapter's block function on an input of `input_shape`."""
    inputs = keras.Input(shape=input_shape, name="x")
    return keras.Model(inputs, block(inputs, *args, name=name))


def _draw_block(ax, left, top, model, title):
    """One block as the paper's Figures 2 and 5 draw it, top-down: x, the residual branch
    (weight layers, BN, ReLU), the addition, the ReLU after it; and the shortcut, an arc on the
    right from x to the addition, with its layers (if any) on it."""
    name = model.layers[-1].name.removesuffix("_out")  # the block's prefix, e.g. conv2_block2
    main, shortcut = [], []
    for layer in model.layers[1:]:
        if not isinstance(layer, layers.ZeroPadding2D):  # padding belongs to its strided conv
            (shortcut if layer.name.startswith(f"{name}_0_") else main).append(layer)
    row, box_height, box_width = 0.36, 0.25, 1.2  # inches per layer; a 7-point line fits 0.25
    x, arc = left + 0.95, left + 2.3  # the centres of the residual branch and of the shortcut
    _note(ax, left + 1.45, top, title, va="top")
    previous = _box(
        ax, x, top - 0.75, box_width, box_height, f"x: {_dims(model.input.shape[1:])}", "io", SMALL
    )
    split = previous.bottom - 0.12  # where the shortcut leaves
    ax.plot([x], [split], "k.", markersize=4)
    y = split - 0.1 - row / 2
    for layer in main:
        if isinstance(layer, layers.Add):
            ax.add_patch(Circle((x, y), 0.12, facecolor="white", edgecolor="black", zorder=3))
            _note(ax, x, y, "+", fontsize=10)
            box = add = _Box(x, y, 0.24, 0.24)
        else:
            box = _box(ax, x, y, box_width, box_height, _resnet_text(layer), _kind(layer), SMALL)
        _down(ax, previous, box)
        previous, y = box, y - row
    output = f"out: {_dims(model.output.shape[1:])}"
    _down(ax, previous, _box(ax, x, y, box_width, box_height, output, "io", SMALL))

    ax.plot([x, arc, arc], [split, split, add.y], color="black", linewidth=0.8, zorder=2)
    _arrow(ax, (arc, add.y), (add.right, add.y))
    halfway = (split + add.y) / 2
    if not shortcut:
        _note(ax, arc + 0.08, halfway, "identity", SMALL, ha="left", rotation=90)
    for i, layer in enumerate(shortcut):  # stacked around the arc's middle
        text = _resnet_text(layer)
        y = halfway + row * ((len(shortcut) - 1) / 2 - i)
        _box(ax, arc, y, 1.05, box_height * (1 + text.count("\n")), text, _kind(layer), SMALL)


def resnet_blocks():
    """ResNet's two blocks and two shortcuts, each built by `resnet.basic_block` or
    `resnet.bottleneck_block` at the sizes of `resnet.STAGES` and drawn from its layers: the
    basic block (ResNet-18, 34) and the bottleneck block (ResNet-50, 101, 152) with identity
    shortcuts; then a block that halves the maps and widens them, with shortcut A (the identity,
    subsampled and zero-padded: no parameters) and with shortcut B (a 1x1 projection and BN)."""
    (first, filters, size), (second, wider, _) = resnet.STAGES[:2]
    depths = {
        kind: ", ".join(str(d) for d, (k, _) in resnet.TABLE_1.items() if k == kind)
        for kind in ("basic", "bottleneck")
    }
    maps = (size, size, filters)  # what the first stage's blocks see
    halved = f"{second}_block1: maps halved, widened"
    panels = [
        (
            f"Basic block (ResNet-{depths['basic']})\nidentity shortcut",
            _block_model(resnet.basic_block, maps, filters, name=f"{first}_block2"),
        ),
        (
            f"Bottleneck block (ResNet-{depths['bottleneck']})\nidentity shortcut",
            _block_model(
                resnet.bottleneck_block, (size, size, 4 * filters), filters, name=f"{first}_block2"
            ),
        ),
        (
            f"{halved}\nshortcut A (identity, zero-padded)",
            _block_model(resnet.basic_block, maps, wider, 2, "A", name=f"{second}_block1"),
        ),
        (
            f"{halved}\nshortcut B (1x1 projection)",
            _block_model(resnet.basic_block, maps, wider, 2, "B", name=f"{second}_block1"),
        ),
    ]
    panel_width, height = 2.95, 5.6
    width = panel_width * len(panels) + 0.1
    fig, ax = _canvas(width, height)
    for index, (title, model) in enumerate(panels):
        _draw_block(ax, 0.05 + panel_width * index, height - 0.1, model, title)
    note = (
        "BN: batch normalization. The ReLU comes after the addition, so a block outputs "
        "relu(F(x) + shortcut(x)). Shapes from the built blocks."
    )
    _note(ax, width / 2, 0.1, note, va="bottom")
    return _closed(fig)


FAMILIES = ("imagenet", "cifar")


def _resnet_model(depth, family):
    """The built ResNet of `depth` and its family: ImageNet's Table 1, or CIFAR-10's 6n + 2."""
    family = check_choice("family", family, (None, *FAMILIES))
    in_table = is_integer(depth) and depth in resnet.TABLE_1
    family = family or ("imagenet" if in_table else "cifar")
    depths = ", ".join(map(str, resnet.TABLE_1))
    if family == "imagenet" and not in_table:
        raise ValueError(
            f"An ImageNet ResNet has a depth of Table 1 ({depths}). "
            f"Received: depth={depth!r}, family='imagenet'"
        )
    if family == "imagenet":
        return resnet.resnet(depth), family
    try:
        return resnet.resnet_cifar(depth), family
    except ValueError:
        if is_integer(depth) and depth not in resnet.TABLE_1:  # neither family's depth
            raise ValueError(
                f"`depth` must be a depth of Table 1 ({depths}) for an ImageNet ResNet, or 6n + 2 "
                f"(20, 32, 44, 56, 110, ...) for a CIFAR-10 one. Received: depth={depth!r}"
            ) from None
        raise


def _stage(model, stage):
    """A stage's box text in Table 1's notation (its first block's convolutions, kernel and
    filters, and how many blocks it stacks), its block count and its weight layers per block."""
    ends = re.compile(rf"{stage}_block\d+_out")
    blocks = sum(bool(ends.fullmatch(layer.name)) for layer in model.layers)
    first_block = re.compile(rf"{stage}_block1_[1-9]_conv")  # _0_conv is a projection
    convs = [layer for layer in model.layers if first_block.fullmatch(layer.name)]
    lines = [f"{c.kernel_size[0]}x{c.kernel_size[1]}, {c.filters}" for c in convs]
    text = "\n".join([f"{stage}_x", *lines, f"× {blocks} blocks"])
    return text, blocks, len(convs)


def resnet_stages(depth, family=None):
    """A ResNet's stages as Table 1 lists them (section 4.2 for CIFAR-10): conv1, the max pool
    (ImageNet only), each stage conv2_x ... with one block's convolutions and how many blocks it
    stacks, then average pooling and the fully connected layer, each with its output shape; all
    read from the built `resnet.resnet(depth)` or `resnet.resnet_cifar(depth)`.

    Args:
        depth: an ImageNet depth of `resnet.TABLE_1` (18, 34, 50, 101, 152), or 6n + 2 for the
            CIFAR-10 family (20, 32, 44, 56, 110, ...).
        family: "imagenet" or "cifar"; by default ImageNet for the depths of Table 1 and CIFAR-10
            for the others (50 and 152 are 6n + 2 too: pass family="cifar" for those).
    """
    model, family = _resnet_model(depth, family)
    shapes = _shapes(model)
    conv1 = model.get_layer("conv1_conv")
    chain = [("input", "io", "input"), (f"conv1\n{_resnet_text(conv1)}", "conv", "conv1_relu")]
    if "pool1_pool" in shapes:
        chain.append((f"max pool\n{_window(model.get_layer('pool1_pool'))}", "pool", "pool1_pool"))
    counts, weight_layers = [], 2  # conv1 and the fully connected layer
    for stage, _, _ in resnet.STAGES if family == "imagenet" else resnet.CIFAR_STAGES:
        text, blocks, per_block = _stage(model, stage)
        chain.append((text, "conv", f"{stage}_block{blocks}_out"))
        counts.append(blocks)
        weight_layers += blocks * per_block
    classes = shapes["predictions"][-1]
    chain.append((f"average pool\n{classes}-d fc\nsoftmax", "fc", "predictions"))

    step, box_width, box_height = 1.45, 1.25, 1.05  # inches; five 8-point lines fit 1.05
    width, height = 0.3 + step * len(chain), 2.75
    fig, ax = _canvas(width, height)
    previous = None
    for column, (text, kind, layer_name) in enumerate(chain):
        box = _box(ax, 0.15 + step * (column + 0.5), 1.25, box_width, box_height, text, kind)
        _note(ax, box.x, box.bottom - 0.08, _dims(shapes[layer_name]), va="top")
        if previous is not None:
            _across(ax, previous, box)
        previous = box
    kind = "basic" if per_block == 2 else "bottleneck"
    where = "(Table 1)" if family == "imagenet" else f"for CIFAR-10 (section 4.2, n = {counts[0]})"
    title = (
        f"ResNet-{int(depth)} {where}: {' + '.join(map(str, counts))} = {sum(counts)} {kind} "
        f"blocks of {per_block} weight layers,\n{weight_layers} weight layers with conv1 and the "
        "fc (shortcuts not counted); shapes from the built model"
    )
    _title(ax, width, height, title)
    return _closed(fig)

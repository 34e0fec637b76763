"""The architecture figures: each draws from its chapter's table, says what the paper says, with
shapes from the built model, and lays its text out without overlaps."""

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # no display: render to memory, as MPLBACKEND=Agg would

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from cnn_lessons import alexnet, googlenet, lenet, plots, resnet, vgg  # noqa: E402

imagenet_size = pytest.mark.imagenet_size  # AlexNet, VGG, GoogLeNet and ResNet-50 are built


def texts(fig):
    """Every piece of text drawn in the figure, in drawing order."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def text_artists(fig):
    return [t for t in fig.findobj(Text) if t.get_text() and t.get_visible()]


def layout_problems(fig):
    """Texts that overlap each other, leave the figure, or spill out of the box they are in
    (a text is in a box when its anchor point is), as pixel boxes after rendering."""
    canvas = FigureCanvasAgg(fig)  # a closed figure may have lost its backend's canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    artists = text_artists(fig)
    extents = [t.get_window_extent(renderer).shrunk(0.98, 0.98) for t in artists]
    boxes = [p.get_window_extent(renderer) for p in fig.findobj(FancyBboxPatch)]
    problems = []
    for i, (artist, extent) in enumerate(zip(artists, extents)):
        name = repr(artist.get_text())
        if not fig.bbox.contains(extent.x0, extent.y0) or not fig.bbox.contains(
            extent.x1, extent.y1
        ):
            problems.append(f"{name} leaves the figure")
        anchor = artist.get_transform().transform(artist.get_position())
        for box in boxes:
            if box.contains(*anchor) and not (
                box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0 <= box.y1
                and extent.y1 <= box.y1
            ):  # fmt: skip
                problems.append(f"{name} spills out of its box")
        for other, other_extent in zip(artists[i + 1 :], extents[i + 1 :]):
            if extent.overlaps(other_extent):
                problems.append(f"{name} overlaps {other.get_text()!r}")
    return problems


FIGURES = {
    "lenet5": lambda: plots.lenet5_architecture(),
    "alexnet": lambda: plots.alexnet_architecture(),
    "vgg": lambda: plots.vgg_configurations(),
    "googlenet": lambda: plots.googlenet_architecture(),
    "googlenet_no_heads": lambda: plots.googlenet_architecture(aux_heads=False),
    "inception_3a": lambda: plots.inception_module("3a"),
    "inception_5b": lambda: plots.inception_module("5b"),
    "resnet_blocks": lambda: plots.resnet_blocks(),
    "resnet50_stages": lambda: plots.resnet_stages(50),
    "resnet152_stages": lambda: plots.resnet_stages(152),
    "resnet20_stages": lambda: plots.resnet_stages(20),
}
SMALL_MODELS = {"lenet5", "resnet_blocks", "resnet20_stages"}


@pytest.mark.parametrize(
    "name",
    [name if name in SMALL_MODELS else pytest.param(name, marks=imagenet_size) for name in FIGURES],
)
def test_each_figure_is_closed_readable_and_free_of_overlaps(name):
    fig = FIGURES[name]()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert not plt.fignum_exists(fig.number), "a figure must be returned closed"
    width, height = fig.get_size_inches()
    assert width <= 12 and height <= 9
    assert layout_problems(fig) == []


def test_the_layout_check_finds_overlapping_and_spilling_text():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "one label")
    ax.text(0.5, 0.5, "another label")
    ax.add_patch(FancyBboxPatch((0.1, 0.1), 0.05, 0.05, boxstyle="square,pad=0"))
    ax.text(0.12, 0.12, "far too long for its box")
    problems = layout_problems(fig)
    plt.close(fig)
    assert "'one label' overlaps 'another label'" in problems
    assert "'far too long for its box' spills out of its box" in problems


# --- LeNet-5 ------------------------------------------------------------------------------------


def test_lenet5_is_labelled_as_the_papers_figure_2():
    drawn = texts(plots.lenet5_architecture())
    for label in (
        "INPUT\n32x32",
        "C1: feature maps\n6@28x28",
        "S2: f. maps\n6@14x14",
        "C3: f. maps\n16@10x10",
        "S4: f. maps\n16@5x5",
        "C5: layer\n120",
        "F6: layer\n84",
        "OUTPUT\n10",
    ):
        assert label in drawn
    words = ("Convolutions", "Subsampling", "Full\nconnection", "Gaussian\nconnections")
    assert [t for t in drawn if t in words] == [
        "Convolutions", "Subsampling", "Convolutions", "Subsampling", "Full\nconnection",
        "Full\nconnection", "Gaussian\nconnections",
    ]  # fmt: skip
    assert (
        "C3: each of its 16 maps sees 3, 4 or 6 of S2's 6 maps (Table I): 60 of the 96 map "
        "pairs are connected." in drawn
    )


def test_lenet5_figure_follows_the_c3_table(monkeypatch):
    monkeypatch.setattr(lenet, "C3_CONNECTIONS", lenet.C3_CONNECTIONS[:-1])  # drop the last map
    drawn = texts(plots.lenet5_architecture())
    assert "C3: f. maps\n15@10x10" in drawn and "S4: f. maps\n15@5x5" in drawn
    assert any(
        "of its 15 maps sees 3 or 4 of S2's 6 maps (Table I): 54 of the 90" in t for t in drawn
    )


# --- AlexNet ------------------------------------------------------------------------------------


def exchange_arrows(fig):
    gids = [p.get_gid() for p in fig.findobj(FancyArrowPatch) if p.get_gid()]
    return {gid: gids.count(gid) for gid in gids}


@imagenet_size
def test_alexnet_draws_two_towers_and_their_exchanges():
    fig = plots.alexnet_architecture()
    drawn = texts(fig)
    assert "GPU 1" in drawn and "GPU 2" in drawn
    for tower_box in (
        "conv1 11x11/4\n55x55x48\nnorm1, pool1\n27x27x48",
        "conv2 5x5\n27x27x128\nnorm2, pool2\n13x13x128",
        "conv3 3x3\n13x13x192",
        "conv4 3x3\n13x13x192",
        "conv5 3x3\n13x13x128\npool5\n6x6x128",
        "fc6\n2048 units\ndropout 0.5",
        "fc7\n2048 units\ndropout 0.5",
    ):
        assert drawn.count(tower_box) == 2, tower_box  # one per tower
    assert "fc8\n1000 units\nsoftmax" in drawn and "input\n227x227x3" in drawn
    # conv3 and the fully connected layers get one crossing arrow per tower; fc8 one from each
    assert exchange_arrows(fig) == {
        f"exchange:{layer}": 2 for layer in ("conv3", "fc6", "fc7", "fc8")
    }
    assert any(
        "conv3, fc6, fc7, fc8 see both halves of the layer before; conv2, conv4, conv5 see only "
        "their own GPU's half" in t
        for t in drawn
    )


@imagenet_size
def test_alexnet_figure_follows_the_grouped_table(monkeypatch):
    monkeypatch.setattr(alexnet, "GROUPED", ("conv2", "conv4"))
    fig = plots.alexnet_architecture()
    assert exchange_arrows(fig)["exchange:conv5"] == 2
    assert any("conv3, conv5, fc6, fc7, fc8 see both halves" in t for t in texts(fig))


# --- VGG ----------------------------------------------------------------------------------------

WEIGHT_LAYER = re.compile(r"conv\d+-\d+|FC-\d+")


def vgg_columns(fig):
    """{configuration: the texts drawn in its column, top to bottom, its head first}."""
    artists = text_artists(fig)
    heads = [t for t in artists if t.get_text().endswith("weight layers")]
    return {
        head.get_text().split("\n")[0]: [
            t.get_text() for t in artists if t.get_position()[0] == head.get_position()[0]
        ]
        for head in heads
    }


@imagenet_size
def test_vgg_draws_every_configuration_in_the_papers_notation():
    fig = plots.vgg_configurations()
    drawn = texts(fig)
    columns = vgg_columns(fig)
    expected = {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}
    assert list(columns) == list(expected)
    for config, depth in expected.items():
        assert f"{config}\n{depth} weight layers" in drawn
        entries = columns[config]
        assert sum(bool(WEIGHT_LAYER.fullmatch(e)) for e in entries) == depth
        assert entries.count("maxpool") == 5
        assert entries[-3:] == ["FC-4096", "FC-4096", "FC-1000"]
    assert columns["A"][1] == "conv3-64" and columns["E"][-5] == "conv3-512"
    assert columns["A-LRN"].count("LRN") == 1 and columns["A"].count("LRN") == 0
    assert columns["C"].count("conv1-256") == 1 and columns["C"].count("conv1-512") == 2
    assert "input (224x224 RGB image)" in drawn and "soft-max" in drawn
    assert ["224x224", "→ 112x112", "112x112", "→ 56x56"] == [
        t for t in drawn if re.fullmatch(r"(→ )?\d+x\d+", t)
    ][:4]
    assert any("The first FC sees 7x7x512 = 25,088 values" in t for t in drawn)


@imagenet_size
def test_vgg_figure_follows_table_1(monkeypatch):
    a = vgg.TABLE_1["A"]
    monkeypatch.setitem(vgg.TABLE_1, "A", (a[0], ("conv3-128", "conv3-128"), *a[2:]))
    fig = plots.vgg_configurations()
    assert "A\n12 weight layers" in texts(fig) and "A\n11 weight layers" not in texts(fig)
    assert vgg_columns(fig)["A"].count("conv3-128") == 2


# --- GoogLeNet ----------------------------------------------------------------------------------

MODULE_OUTPUTS = {
    "3a": "28x28x256", "3b": "28x28x480", "4a": "14x14x512", "4b": "14x14x512",
    "4c": "14x14x512", "4d": "14x14x528", "4e": "14x14x832", "5a": "7x7x832", "5b": "7x7x1024",
}  # fmt: skip


@imagenet_size
def test_googlenet_draws_the_stem_nine_modules_pools_and_both_heads():
    drawn = texts(plots.googlenet_architecture(aux_heads=True))
    modules = [t for t in drawn if t.startswith("inception (")]
    assert modules == [f"inception ({label})\n{shape}" for label, shape in MODULE_OUTPUTS.items()]
    for box in (
        "conv1\n7x7/2 conv, 64\n112x112x64",
        "pool1\n3x3/2 max pool\n56x56x64",
        "conv2\n3x3/1 conv, 192\n56x56x192",
        "pool2\n3x3/2 max pool\n28x28x192",
        "pool3\n3x3/2 max pool\n14x14x480",
        "pool4\n3x3/2 max pool\n7x7x832",
        "avg_pool\n7x7/1 avg pool\n1x1x1024",
        "dropout\n40%",
        "linear\n1000, softmax",
    ):
        assert box in drawn, box
    heads = [t for t in drawn if t.startswith("aux")]
    assert heads == [
        "aux1, on 4a (training only)\n5x5/3 avg pool → 4x4x512\n1x1/1 conv → 4x4x128\n"
        "FC → 1024, dropout 70%\nlinear → 1000, softmax",
        "aux2, on 4d (training only)\n5x5/3 avg pool → 4x4x528\n1x1/1 conv → 4x4x128\n"
        "FC → 1024, dropout 70%\nlinear → 1000, softmax",
    ]


@imagenet_size
def test_googlenet_without_heads_draws_none():
    drawn = texts(plots.googlenet_architecture(aux_heads=False))
    assert not [t for t in drawn if "aux" in t]
    assert len([t for t in drawn if t.startswith("inception (")]) == 9
    with pytest.raises(
        ValueError, match=r"`aux_heads` must be True or False\. Received: aux_heads='no'"
    ):
        plots.googlenet_architecture(aux_heads="no")


INCEPTION_3A = [
    "previous layer: 28x28x192",
    "filter concatenation: 64 + 128 + 32 + 32 = 256 maps, 28x28",
    "1x1 conv, 64",
    "1x1 conv, 96\n(#3x3 reduce)",
    "3x3 conv, 128",
    "1x1 conv, 16\n(#5x5 reduce)",
    "5x5 conv, 32",
    "3x3 max pool\nstride 1",
    "1x1 conv, 32\n(pool proj)",
    "Inception module 3a (Table 1 widths); every conv is followed by a ReLU",
]


@imagenet_size
def test_inception_module_is_the_notebooks_figure():
    assert texts(plots.inception_module("3a")) == INCEPTION_3A  # sizes from the built model
    assert texts(plots.inception_module("3a", input_channels=192, size=28)) == INCEPTION_3A
    drawn = texts(plots.inception_module("4e", input_channels=100, size=9))
    assert "previous layer: 9x9x100" in drawn
    assert "filter concatenation: 256 + 320 + 128 + 128 = 832 maps, 9x9" in drawn


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"label": "3c"}, r"`label` must be one of '3a', '3b', .*'5b'\. Received: label='3c'"),
        ({"label": "3a", "input_channels": 192, "size": 0}, r"`size` must be an integer >= 1\. Received: size=0"),
        ({"label": "3a", "input_channels": 1.5, "size": 28}, r"Received: input_channels=1\.5"),
    ],
)  # fmt: skip
def test_inception_module_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.inception_module(**kwargs)


@imagenet_size
def test_googlenet_figures_follow_table1(monkeypatch):
    monkeypatch.setitem(googlenet.TABLE_1, "3a", (64, 96, 128, 16, 32, 64))  # pool proj 32 -> 64
    assert "inception (3a)\n28x28x288" in texts(plots.googlenet_architecture())
    assert "filter concatenation: 64 + 128 + 32 + 64 = 288 maps, 28x28" in texts(
        plots.inception_module("3a")
    )
    assert "previous layer: 28x28x288" in texts(plots.inception_module("3b"))


# --- ResNet -------------------------------------------------------------------------------------


def test_resnet_blocks_draw_both_blocks_and_both_shortcuts():
    drawn = texts(plots.resnet_blocks())
    assert [t for t in drawn if "shortcut" in t and "\n" in t] == [
        "Basic block (ResNet-18, 34)\nidentity shortcut",
        "Bottleneck block (ResNet-50, 101, 152)\nidentity shortcut",
        "conv3_block1: maps halved, widened\nshortcut A (identity, zero-padded)",
        "conv3_block1: maps halved, widened\nshortcut B (1x1 projection)",
    ]
    layers = [t for t in drawn if t in ("BN", "ReLU", "+") or " conv, " in t]
    assert layers == [
        # basic: weight layer, BN, ReLU, weight layer, BN, addition, the ReLU after it
        "3x3 conv, 64", "BN", "ReLU", "3x3 conv, 64", "BN", "+", "ReLU",
        "1x1 conv, 64", "BN", "ReLU", "3x3 conv, 64", "BN", "ReLU", "1x1 conv, 256", "BN", "+",
        "ReLU",
        "3x3 conv, 128, /2", "BN", "ReLU", "3x3 conv, 128", "BN", "+", "ReLU",
        "3x3 conv, 128, /2", "BN", "ReLU", "3x3 conv, 128", "BN", "+", "ReLU",
        "1x1 conv, 128, /2", "BN",  # shortcut B's projection, on the arc
    ]  # fmt: skip
    assert drawn.count("identity") == 2
    assert "subsample /2,\nzero-pad 64 → 128" in drawn  # shortcut A: no parameters
    inputs_outputs = [t for t in drawn if t.startswith(("x: ", "out: "))]
    assert inputs_outputs == [
        "x: 56x56x64", "out: 56x56x64", "x: 56x56x256", "out: 56x56x256",
        "x: 56x56x64", "out: 28x28x128", "x: 56x56x64", "out: 28x28x128",
    ]  # fmt: skip


def stage_blocks(fig):
    return [int(n) for t in texts(fig) for n in re.findall(r"× (\d+) blocks", t)]


@imagenet_size
def test_resnet50_stages_from_table_1():
    fig = plots.resnet_stages(50)
    drawn = texts(fig)
    assert stage_blocks(fig) == [3, 4, 6, 3]
    assert "conv2_x\n1x1, 64\n3x3, 64\n1x1, 256\n× 3 blocks" in drawn
    assert "conv5_x\n1x1, 512\n3x3, 512\n1x1, 2048\n× 3 blocks" in drawn
    assert "conv1\n7x7 conv, 64, /2" in drawn and "max pool\n3x3/2" in drawn
    shapes = ["224x224x3", "112x112x64", "56x56x64", "56x56x256", "28x28x512", "14x14x1024"]
    assert [t for t in drawn if re.fullmatch(r"\d+x\d+x\d+|\d+", t)] == [
        *shapes,
        "7x7x2048",
        "1000",
    ]
    assert any(
        t.startswith("ResNet-50 (Table 1): 3 + 4 + 6 + 3 = 16 bottleneck blocks of 3 weight "
                     "layers,\n50 weight layers")
        for t in drawn
    )  # fmt: skip


@pytest.mark.parametrize(
    "depth, family, blocks, title",
    [
        (18, None, [2, 2, 2, 2], "ResNet-18 (Table 1): 2 + 2 + 2 + 2 = 8 basic blocks"),
        (20, None, [3, 3, 3], "ResNet-20 for CIFAR-10 (section 4.2, n = 3): 3 + 3 + 3 = 9 basic"),
        (50, "cifar", [8, 8, 8], "ResNet-50 for CIFAR-10 (section 4.2, n = 8): 8 + 8 + 8 = 24"),
    ],
)
def test_resnet_stages_of_other_depths(depth, family, blocks, title):
    fig = plots.resnet_stages(depth, family=family)
    assert stage_blocks(fig) == blocks
    assert any(t.startswith(title) and f"\n{depth} weight layers" in t for t in texts(fig))


def test_cifar_resnet_stages_shapes():
    drawn = texts(plots.resnet_stages(20))
    assert "conv1\n3x3 conv, 16" in drawn and not [t for t in drawn if "max pool" in t]
    assert [t for t in drawn if re.fullmatch(r"\d+x\d+x\d+|\d+", t)] == [
        "32x32x3", "32x32x16", "32x32x16", "16x16x32", "8x8x64", "10",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depth": 19}, r"`depth` must be a depth of Table 1 \(18, 34, 50, 101, 152\) for an "
                        r"ImageNet ResNet, or 6n \+ 2 .*Received: depth=19"),
        ({"depth": 20, "family": "imagenet"}, r"An ImageNet ResNet has a depth of Table 1 "
                                              r"\(18, 34, 50, 101, 152\)\. Received: depth=20"),
        ({"depth": 34, "family": "cifar"}, r"`depth` must be 6n \+ 2 .*Received: depth=34"),
        ({"depth": "50"}, r"`depth` must be 6n \+ 2 .*Received: depth='50'"),
        ({"depth": 20, "family": "CIFAR"}, r"`family` must be one of None, 'imagenet', 'cifar'\. "
                                           r"Received: family='CIFAR'"),
    ],
)  # fmt: skip
def test_resnet_stages_refuses_bad_depths(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.resnet_stages(**kwargs)


@imagenet_size
def test_resnet_stages_follow_table_1(monkeypatch):
    monkeypatch.setitem(resnet.TABLE_1, 50, ("bottleneck", (3, 4, 5, 3)))
    fig = plots.resnet_stages(50)
    assert stage_blocks(fig) == [3, 4, 5, 3]
    assert any(
        "= 15 bottleneck blocks of 3 weight layers,\n47 weight layers" in t for t in texts(fig)
    )


def test_plots_imports_keras_only_for_an_architecture_figure():
    code = "import sys, cnn_lessons.plots; print('keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_architecture_figures_are_plots_functions():
    for name in plots.ARCHITECTURE_FIGURES:
        assert callable(getattr(plots, name)) and name in dir(plots)
    with pytest.raises(AttributeError, match="has no attribute 'resnet_stage'"):
        plots.resnet_stage  # noqa: B018


def test_layer_bars_draw_one_bar_per_layer_and_column():
    import matplotlib
    import pandas as pd

    from cnn_lessons import plots

    frame = pd.DataFrame({"params": [10, 2000], "macs": [5000, 20]}, index=["conv1", "fc6"])
    fig = plots.layer_bars(frame, ("params", "macs"), ("parameters", "MACs"), "where it goes",
                           highlight=lambda name: name.startswith("fc"))  # fmt: skip
    bars = [p for ax in fig.axes for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]
    assert len(fig.axes) == 2 and len(bars) == 4
    assert [b.get_width() for b in fig.axes[0].patches] == [10, 2000]
    assert fig.axes[0].patches[1].get_facecolor() != fig.axes[0].patches[0].get_facecolor()
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "where it goes" in texts and "conv1" in texts and "fc6" in texts


def test_branch_maps_show_each_branch_with_its_receptive_field():
    import matplotlib
    import numpy as np

    from cnn_lessons import plots
    from cnn_lessons.googlenet import googlenet_cifar

    model = googlenet_cifar()
    fig = plots.branch_maps(model, "inception_3a", np.zeros((32, 32, 3), "float32"), per_branch=4)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert len(fig.axes) == 16 and [label.split("\n")[0] for label in labels] == [
        "1x1",
        "3x3",
        "5x5",
        "pool_proj",
    ]
    assert all(label.endswith(" px") for label in labels)
    assert "inception_3a: the first 4 maps of each branch" in [
        t.get_text() for t in fig.findobj(matplotlib.text.Text)
    ]


def _images(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


def test_filters_share_one_colour_scale_with_a_colour_bar():
    import numpy as np

    rng = np.random.default_rng(0)
    grey = rng.normal(size=(5, 5, 6, 4))
    grey[..., 3] *= 0.01  # a faint filter must look faint
    fig = plots.filters(grey, columns=4)
    images = _images(fig)
    limit = np.abs(grey).max()
    assert len(images) == 4 and all(im.get_clim() == (-limit, limit) for im in images)
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    rgb = plots.filters(rng.normal(size=(3, 3, 3, 2)))
    faint = plots.filters(np.stack([np.ones((3, 3, 3)), 0.1 * np.ones((3, 3, 3))], axis=-1))
    assert [im.get_array().max() for im in _images(faint)] == [1.0, 0.55]
    assert len(_images(rgb)) == 2
    each = plots.filters(grey, scale="each")  # the old behaviour: each tile stretched
    assert not any(ax.get_label() == "<colorbar>" for ax in each.axes)
    assert _images(each)[3].get_array().max() == 1.0
    with pytest.raises(ValueError, match=r"Received: scale='own'"):
        plots.filters(grey, scale="own")
    with pytest.raises(ValueError, match=r"Received: an array of shape \(5, 5\)"):
        plots.filters(np.zeros((5, 5)))


def test_feature_maps_stand_beside_their_input_on_one_scale():
    import numpy as np

    model = lenet.lenet5("modern")
    digit = np.zeros((32, 32, 1), "float32")
    digit[8:24, 14:18] = 1.0
    fig = plots.feature_maps(model, "C1", digit, columns=6)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "input" and [f"C1:{c}" for c in range(6)] == titles[1:7]
    maps = _images(fig)[1:]
    assert len(maps) == 6 and len({im.get_clim() for im in maps}) == 1
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    alone = plots.feature_maps(model, "C3", digit, show_input=False, limit=8)
    assert "input" not in [ax.get_title() for ax in alone.axes] and len(_images(alone)) == 8
    with pytest.raises(ValueError, match=r"Received: layer_name='F6'"):
        plots.feature_maps(model, "F6", digit)


def test_learning_rate_schedule_plots_the_recipes_own_numbers():
    from cnn_lessons.recipes import Recipe

    recipe = Recipe(optimizer="adam", learning_rate=1e-3, warmup=0.1)
    fig = plots.learning_rate_schedule({"warm-up": recipe, "plain": recipe.replace(warmup=0)}, 50)
    warm, plain = fig.axes[0].get_lines()
    assert list(warm.get_ydata()) == [recipe.learning_rate_at(s, 50) for s in range(50)]
    assert warm.get_ydata()[0] == 1e-3 / 5 and plain.get_ydata()[0] == 1e-3
    single = plots.learning_rate_schedule(recipe, 10)
    assert single.axes[0].get_legend().get_texts()[0].get_text() == recipe.describe()
    with pytest.raises(ValueError, match="Received: steps=0"):
        plots.learning_rate_schedule(recipe, 0)


def test_optimizer_paths_draw_each_path():
    from cnn_lessons import ideas

    paths = {name: ideas.descend(name, 10, 0.02) for name in ideas.OPTIMIZERS}
    fig = plots.optimizer_paths(paths, ideas.bowl_loss, target=ideas.BOWL_TARGET)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == [*ideas.OPTIMIZERS, "minimum"]
    assert list(lines[0].get_xdata()) == list(paths["sgd"][:, 0])


def test_overfitting_gaps_draws_a_solid_and_a_dashed_line_per_arm_in_percent():
    arms = {"none": {"train": [0.5, 1.0], "held_out": [0.4, 0.45]},
            "dropout": {"train": [0.4, 0.9], "held_out": [0.42, 0.5]}}  # fmt: skip
    fig = plots.overfitting_gaps({"yours": arms, "committed": arms})
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["yours", "committed"]
    lines = axes[0].get_lines()
    assert [line.get_label() for line in lines] == [
        "none: training", "none: held out", "dropout: training", "dropout: held out"
    ]  # fmt: skip
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]
    assert list(lines[1].get_ydata()) == [40.0, 45.0]

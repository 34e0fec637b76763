"""Figures for chapter 6, drawn from the tables `contest` makes: the papers' errors against the
computation they cost, the contest's accuracies against cost and time, and where each network
spends its parameters and its multiply-accumulates. matplotlib only; each function returns a
closed Figure, which a notebook shows as the cell's value."""

import matplotlib.pyplot as plt
import numpy as np

from .plots import _finish  # tight layout, closed: one way to end a course figure

MARKERS = {"same epochs": "^", "same seconds": "o"}


def _check(table, function, columns):
    missing = [c for c in columns if c not in getattr(table, "columns", ())]
    if missing:
        raise ValueError(
            f"{function} needs a table with the columns {', '.join(columns)}, as the `contest` "
            f"function named in its docstring returns it; this one lacks {', '.join(missing)}. "
            f"Received: columns {list(getattr(table, 'columns', []))}"
        )


def _bubbles(params, largest, biggest_area=1800):
    """Marker areas proportional to the parameters, the largest `biggest_area` points²."""
    return biggest_area * np.asarray(params, dtype=float) / largest


def error_against_macs(papers):
    """Each paper's ImageNet top-5 error (%) against its multiply-accumulates per image, on a log
    scale; the area of each bubble is proportional to the network's parameters. Filled: the
    single model (validation set); open, joined to it: the paper's ensemble (test set), which
    costs several networks' MACs (and, like the single models, many crops per image).

    Args:
        papers: `contest.paper_table(...)`. A network with no ImageNet result (LeNet-5) is
            left out, and named in the caption.
    """
    columns = ("MACs", "params", "single top-5 %", "ensemble top-5 % (test)")
    _check(papers, "error_against_macs", columns)
    shown = papers[papers["single top-5 %"].notna()]
    left_out = [str(label) for label in papers.index.difference(shown.index)]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    areas = _bubbles(shown["params"], papers["params"].max())
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (label, row), area, color in zip(shown.iterrows(), areas, colors):
        macs = row["MACs"] / 1e9
        ax.scatter(macs, row["single top-5 %"], s=area, color=color, alpha=0.6, edgecolor="k")
        ax.annotate(f"{label}\n{row['params'] / 1e6:.1f} M params", (macs, row["single top-5 %"]),
                    xytext=(9, 6), textcoords="offset points", fontsize=8)  # fmt: skip
        ensemble = row["ensemble top-5 % (test)"]
        if ensemble == ensemble and ensemble is not None:  # not NaN
            ax.plot([macs, macs], [row["single top-5 %"], ensemble], color=color, lw=1)
            ax.scatter(macs, ensemble, s=40, facecolor="none", edgecolor=color, lw=1.5)
    ax.scatter([], [], s=60, color="grey", alpha=0.6, edgecolor="k", label="single model")
    ax.scatter([], [], s=40, facecolor="none", edgecolor="grey", lw=1.5, label="ensemble (test)")
    ax.set_xscale("log")
    ax.set_xlabel("multiply-accumulates per image, one crop (billions, log scale)")
    ax.set_ylabel("ImageNet top-5 error (%)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper right")
    caption = "bubble area: parameters"
    if left_out:
        caption += f"; no ImageNet result: {', '.join(left_out)}"
    ax.set_title(f"The papers' own numbers ({caption})", fontsize=10)
    return _finish(fig)


def contest_figure(results):
    """The contest: test accuracy against multiply-accumulates per image (log scale) and against
    the seconds each run took, one point per network and budget (▲ same epochs, ● same
    seconds), with error bars of two standard errors of the accuracy (from the test set's size).

    Args:
        results: `contest.summary(...)`.
    """
    columns = ("contest", "network", "test accuracy", "standard error", "MACs", "seconds")
    _check(results, "contest_figure", columns)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color_of = {
        label: colors[i % len(colors)] for i, label in enumerate(results["network"].unique())
    }
    for ax, x, label in ((axes[0], "MACs", "multiply-accumulates per image (log scale)"),
                         (axes[1], "seconds", "seconds of training (whole run)")):  # fmt: skip
        for _, row in results.iterrows():
            ax.errorbar(
                row[x], 100 * row["test accuracy"], yerr=200 * row["standard error"],
                marker=MARKERS.get(row["contest"], "s"), color=color_of[row["network"]],
                markersize=7, capsize=3, linestyle="none",
            )  # fmt: skip
            ax.annotate(row["network"], (row[x], 100 * row["test accuracy"]), xytext=(5, 4),
                        textcoords="offset points", fontsize=7)  # fmt: skip
        ax.set_xlabel(label)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_xscale("log")
    axes[0].set_ylabel("test accuracy (%)")
    for contest, marker in MARKERS.items():
        if contest in set(results["contest"]):
            axes[1].plot([], [], marker=marker, color="grey", linestyle="none", label=contest)
    axes[1].legend(fontsize=8)
    fig.suptitle("One recipe, one budget: accuracy against cost (bars: ±2 standard errors)")
    return _finish(fig)


def spending_figure(shares):
    """Where each network spends its parameters and its multiply-accumulates: for each, the
    share in convolutions, in fully connected layers, and elsewhere (batch normalization,
    LeNet-5's sub-sampling and RBF units), as stacked bars.

    Args:
        shares: `contest.spending(...)`.
    """
    columns = ("params in conv %", "params in FC %", "MACs in conv %", "MACs in FC %")
    _check(shares, "spending_figure", columns)
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(shares) + 1.6), sharey=True)
    positions = np.arange(len(shares))
    for ax, kind in zip(axes, ("params", "MACs")):
        conv, dense = shares[f"{kind} in conv %"], shares[f"{kind} in FC %"]
        other = (100 - conv - dense).clip(lower=0)
        ax.barh(positions, conv, color="tab:blue", label="convolutions")
        ax.barh(positions, dense, left=conv, color="tab:orange", label="fully connected")
        ax.barh(positions, other, left=conv + dense, color="tab:grey", label="other")
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"share of the {'parameters' if kind == 'params' else 'MACs'} (%)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(positions, shares.index)
    axes[0].invert_yaxis()
    axes[1].legend(fontsize=8, loc="lower right")
    fig.suptitle("Parameters live in the fully connected layers, computation in the convolutions")
    return _finish(fig)

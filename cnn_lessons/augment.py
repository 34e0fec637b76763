"""Data augmentation as NumPy, done once per epoch while the previous epoch trains.

Keras's preprocessing layers (RandomFlip, RandomTranslation) run inside every training step;
on a 2-core CPU they cost a share of each step, and on JAX RandomTranslation's general affine
transform made GPU epochs about 20 times slower (benchmarks/RESULTS.md). A flip and a shift of
whole images need neither: here they are an index and a copy, done by the trainer on a
background thread while the backend trains on the previous epoch's images.
"""

import numpy as np


def flip_and_shift(images, rng, flip=False, shift=0, in_place=False):
    """`images` (N, H, W, C), each mirrored left-right with probability 1/2 (`flip`) and moved by
    a random offset of up to `shift` pixels in each direction, the uncovered border filled with
    zeros: the same as zero-padding by `shift` and cropping an H x W window at random.

    Returns a new array, or `images` itself changed with `in_place=True` (the trainer's
    shuffled copy of an epoch: no second copy of the training set in memory)."""
    if not isinstance(images, np.ndarray) or images.ndim != 4:
        raise ValueError(
            "Augmentation takes a NumPy array of images of shape (N, height, width, channels). "
            f"Received: shape {np.shape(images)}"
        )
    out = images if in_place else images.copy()
    if flip:
        mirrored = np.flatnonzero(rng.random(len(out)) < 0.5)
        out[mirrored] = out[mirrored, :, ::-1]
    if shift:
        height, width = out.shape[1:3]
        offsets = rng.integers(-shift, shift + 1, size=(len(out), 2))
        for dy in range(-shift, shift + 1):  # all images with the same offset at once
            for dx in range(-shift, shift + 1):
                chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
                if not len(chosen) or (dy == 0 and dx == 0):
                    continue
                moved = np.zeros_like(out[chosen])
                moved[:, max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = out[
                    chosen, max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)
                ]
                out[chosen] = moved
    return out

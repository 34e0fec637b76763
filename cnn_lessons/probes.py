"""Looking inside models: copy weights from one to another, and read what given layers output.

The chapters use these to compare a correct block with a copied mistake on the same weights
(chapters 4 and 5), to start two training runs from the same weights (chapter 4), and to show
feature maps.
"""

import numpy as np

from ._keras import keras


def copy_weights(source, target):
    """Copy every weighted layer of `source` into the layer of the same name in `target`.
    Returns the names copied. A layer of `target` that `source` lacks, or whose weights have
    other shapes, is an error that names it."""
    by_name = {layer.name: layer for layer in source.layers}
    copied = []
    for layer in target.layers:
        if not layer.weights:
            continue
        if layer.name not in by_name:
            raise ValueError(
                f"`{source.name}` has no layer named '{layer.name}' to copy into `{target.name}`."
                f" Received: source layers {sorted(by_name)[:8]}..."
            )
        weights = by_name[layer.name].get_weights()
        shapes = [w.shape for w in weights], [tuple(w.shape) for w in layer.weights]
        if [tuple(s) for s in shapes[0]] != shapes[1]:
            raise ValueError(
                f"Layer '{layer.name}' holds weights of shapes {shapes[1]} in `{target.name}` "
                f"but {[tuple(s) for s in shapes[0]]} in `{source.name}`. Received: both models"
            )
        layer.set_weights(weights)
        copied.append(layer.name)
    return copied


def layer_outputs(model, names, images):
    """{name: NumPy array} of what the layers called `names` output for `images`, in inference
    mode (dropout off, batch normalization on its moving statistics)."""
    names = [names] if isinstance(names, str) else list(names)
    missing = [name for name in names if name not in {layer.name for layer in model.layers}]
    if missing:
        raise ValueError(
            f"`{model.name}` has no layer named {missing[0]!r}. Received: names={names!r}"
        )
    # A one-input model's probe takes its input as a tensor, not a list of one: given an array,
    # a probe built on the list `model.inputs` warns that the structure does not match.
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, [model.get_layer(name).output for name in names])
    outputs = probe(np.asarray(images), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    # float32 whatever the model computes in: NumPy 1.x cannot mix bfloat16 with other types,
    # format it or draw it (and a learner compares these numbers with float32 arithmetic)
    return {
        name: np.asarray(keras.ops.convert_to_numpy(output), dtype="float32")
        for name, output in zip(names, outputs)
    }

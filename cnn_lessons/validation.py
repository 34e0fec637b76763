"""Argument checks shared by the whole package: a bad argument fails here, with what was received
and what is allowed, instead of deep inside Keras or NumPy. Each kind of argument (an integer, a
rate, a flag, a choice, an activation, an input shape, a model name) has one check; each check
returns the value in a plain Python form, so NumPy scalars never reach a Keras layer's config.

No framework is imported at module level: the two checks that need Keras import it when called.
"""

import difflib
import math
import numbers

import numpy as np


def is_integer(value):
    """True for Python and NumPy integers (`np.int64(10)`, what `y.max() + 1` gives), False for
    bools, floats (even 2.0) and strings: the one definition of "integer" in the package."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def positive_int(argument, value, minimum=1, maximum=None):
    """`value` as a Python int, if it is an integer >= `minimum` (and <= `maximum`, if given);
    else a ValueError naming `argument`. Returning a plain int keeps NumPy integers out of Keras
    layer configs, which reject them."""
    too_big = maximum is not None and is_integer(value) and value > maximum
    if not is_integer(value) or value < minimum or too_big:
        allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise ValueError(
            f"`{argument}` must be an integer {allowed}. Received: {argument}={value!r}"
        )
    return int(value)


def check_number(argument, value, low, high=math.inf, low_inclusive=True, high_inclusive=False):
    """`value` as a float, if it is a real number (Python's or NumPy's, not a bool or a string)
    in the interval from `low` to `high`; else a ValueError naming `argument` and the interval."""
    is_real = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    above = is_real and (value >= low if low_inclusive else value > low)
    below = is_real and (value <= high if high_inclusive else value < high)
    if not (above and below):  # NaN fails both comparisons
        interval = (
            f"{'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
        )
        raise ValueError(
            f"`{argument}` must be a number in {interval}. Received: {argument}={value!r}"
        )
    return float(value)


def check_rate(argument, value):
    """A dropout rate: a number in [0, 1) (1 would drop everything)."""
    return check_number(argument, value, 0, 1)


def check_flag(argument, value):
    """`value` as a Python bool, if it is True or False (NumPy's too); anything else, even a
    truthy "yes" or 1, is a ValueError rather than a guess."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{argument}` must be True or False. Received: {argument}={value!r}")
    return bool(value)


def _same(value, choice):
    """Whether `value` is `choice`: integers match integers by value (NumPy's too), everything
    else must also have the choice's type, so 2.0 is not the choice 2 and True is not 1."""
    if is_integer(choice):
        return is_integer(value) and value == choice
    if isinstance(choice, bool):
        return isinstance(value, (bool, np.bool_)) and bool(value) is choice
    return isinstance(value, type(choice)) and value == choice


def check_choice(argument, value, allowed):
    """The element of `allowed` that `value` is (so `np.int64(50)` comes back as 50), or a
    ValueError listing `allowed`."""
    for choice in allowed:
        if _same(value, choice):
            return choice
    choices = ", ".join(repr(a) for a in allowed)
    raise ValueError(f"`{argument}` must be one of {choices}. Received: {argument}={value!r}")


def check_classes(classes):
    """`classes` must be a positive integer."""
    return positive_int("classes", classes)


def check_activation(argument, value):
    """`value` unchanged if Keras knows it as an activation: None (linear), a name such as
    "relu" or "softmax", a callable (or a saved activation's config). A typo fails here, with
    the closest names, instead of deep inside Keras."""
    if value is None or callable(value):
        return value
    from ._keras import keras

    try:
        keras.activations.get(value)
        return value
    except (ValueError, TypeError):
        pass
    hint = ""
    if isinstance(value, str):
        helpers = {"get", "serialize", "deserialize"}
        names = [n for n in dir(keras.activations) if not n.startswith("_") and n not in helpers]
        close = difflib.get_close_matches(value, names, n=3)
        hint = f" Did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
    raise ValueError(
        f"`{argument}` must be an activation Keras knows: a name such as 'relu' or 'softmax', a "
        f"callable, or None (linear).{hint} Received: {argument}={value!r}"
    )


def check_classifier(classes, classifier_activation):
    """(classes, classifier_activation) for a dense output layer. One unit with a softmax is
    refused: a softmax over one value is always 1.0, so such a model predicts nothing."""
    classes = check_classes(classes)
    check_activation("classifier_activation", classifier_activation)
    if classes == 1 and classifier_activation is not None:
        from ._keras import keras

        if keras.activations.get(classifier_activation) is keras.activations.softmax:
            raise ValueError(
                "A softmax over one output unit is always 1.0: use classes=2 for two classes, or "
                "classifier_activation='sigmoid' (or None for a logit) for one unit. Received: "
                f"classes=1, classifier_activation={classifier_activation!r}"
            )
    return classes, classifier_activation


def check_name(name):
    """A model name: None (the builder's default) or a non-empty string without '/', which
    Keras rejects in names. An empty name would silently become the default."""
    if name is not None and (not isinstance(name, str) or not name or "/" in name):
        raise ValueError(
            "`name` must be None (the default name) or a non-empty string without '/'. "
            f"Received: name={name!r}"
        )
    return name


CHANNELS_LAST_FIX = "keras.config.set_image_data_format('channels_last')"


def check_channels_last(what):
    """Every model and layer of the course is channels-last, (batch, height, width, channels).
    Under Keras's global `channels_first` setting its built-in layers would read the channels
    from the wrong axis and fail with unrelated shape errors, so refuse it at once."""
    from ._keras import keras

    data_format = keras.config.image_data_format()
    if data_format != "channels_last":
        raise ValueError(
            f"{what} is channels-last, (height, width, channels), like every model of the "
            f"course, but Keras's image data format is set to {data_format!r}. Switch back with "
            f"`{CHANNELS_LAST_FIX}`. Received: keras.config.image_data_format()={data_format!r}"
        )


def check_data_format(what, data_format):
    """A custom layer's `data_format`: "channels_last", or None for Keras's global setting,
    which must then be channels-last. Returns "channels_last", which the layer saves in its
    config so that a saved model loads whatever the global setting is then."""
    if data_format is None:
        check_channels_last(what)
    elif data_format != "channels_last":
        raise ValueError(
            f"{what} works on channels-last tensors only: `data_format` must be "
            f"'channels_last' or None. Received: data_format={data_format!r}"
        )
    return "channels_last"


def check_input_shape(model_name, input_shape, min_size):
    """`input_shape` as a tuple of three Python ints (height, width, channels), each positive,
    height and width at least `min_size`; else a ValueError that says which rule it breaks."""
    try:
        dims = tuple(input_shape)
    except TypeError:
        dims = None
    if dims is not None and len(dims) == 3 and any(d is None for d in dims):
        raise ValueError(
            f"{model_name} needs a fixed input size, (height, width, channels) with no None: "
            f"its layers are sized from it. Received: input_shape={input_shape!r}"
        )
    if dims is None or len(dims) != 3 or not all(is_integer(d) and d >= 1 for d in dims):
        hint = ""
        if dims is not None and len(dims) == 4:
            hint = " (one image's shape, without the batch dimension)"
        raise ValueError(
            f"`input_shape` must be (height, width, channels), three positive integers{hint}. "
            f"Received: input_shape={input_shape!r}"
        )
    dims = tuple(int(d) for d in dims)
    height, width, channels = dims
    if height < min_size or width < min_size:
        hint = ""
        if height <= 4 and channels > 4:
            hint = " The channels go last: (height, width, channels)."
        raise ValueError(
            f"{model_name} needs an input of at least {min_size}x{min_size} pixels.{hint} "
            f"Received: input_shape={dims}"
        )
    return dims

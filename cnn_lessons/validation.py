"""Argument checks shared by the whole package: a bad argument fails here, with what was received
and what is allowed, instead of deep inside Keras or NumPy. No framework is imported here."""

import numbers


def is_integer(value):
    """True for Python and NumPy integers (`np.int64(10)`, what `y.max() + 1` gives), False for
    bools, floats (even 2.0) and strings: the one definition of "integer" in the package."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(argument, value, minimum=1):
    """`value` as a Python int, if it is an integer >= `minimum`; else a ValueError naming
    `argument`. Returning a plain int keeps NumPy integers out of Keras layer configs."""
    if not is_integer(value) or value < minimum:
        raise ValueError(
            f"`{argument}` must be an integer >= {minimum}. Received: {argument}={value!r}"
        )
    return int(value)


def check_classes(classes):
    """`classes` must be a positive integer."""
    return positive_int("classes", classes)


def check_choice(argument, value, allowed):
    """`value` must be one of `allowed`."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`{argument}` must be one of {choices}. Received: {argument}={value!r}")


def check_input_shape(model_name, input_shape, min_size):
    """`input_shape` must be (height, width, channels) of positive integers, at least `min_size`
    pixels high and wide."""
    try:
        dims = tuple(input_shape)
    except TypeError:
        dims = None
    if (
        dims is None
        or len(dims) != 3
        or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1 for d in dims)
    ):
        raise ValueError(
            "`input_shape` must be (height, width, channels), three positive integers. "
            f"Received: input_shape={input_shape!r}"
        )
    height, width, _ = dims
    if height < min_size or width < min_size:
        raise ValueError(
            f"{model_name} needs an input of at least {min_size}x{min_size} pixels. "
            f"Received: input_shape={dims}"
        )

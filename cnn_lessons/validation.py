"""Build-time checks shared by every builder: a bad argument fails here, with what was received
and what is allowed, instead of deep inside Keras."""

import numbers


def check_classes(classes):
    """`classes` must be a positive integer."""
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 1:
        raise ValueError(f"`classes` must be an integer >= 1. Received: classes={classes!r}")


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

"""The model registry: named builders with bound arguments, importable without Keras."""

import subprocess
import sys

import pytest

from cnn_lessons import MODELS


def test_importing_the_package_and_listing_the_models_imports_no_framework():
    probe = (
        "import sys, cnn_lessons\nprint(len(cnn_lessons.MODELS))\n"
        "print(sorted({'keras', 'tensorflow', 'jax', 'torch'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.split("\n")[:2] == [str(len(MODELS)), "[]"], result.stderr


def test_an_entry_builds_its_bound_variant():
    model = MODELS["resnet20"]()
    assert model.count_params() == 271_098 and model.name == "resnet20"
    assert MODELS["lenet5_modern"](classes=5).output_shape == (None, 5)
    assert repr(MODELS["alexnet"]) == "<model alexnet: alexnet.alexnet(groups=2)>"


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("alexnet", {"groups": 1}, r"`alexnet` already sets groups=2.*alexnet\.alexnet.*groups=1"),
        ("lenet5", {"variant": "modern"}, r"already sets variant='paper'"),
        ("resnet20", {"depth": 56, "classes": 10}, r"already sets depth=20"),
    ],
)
def test_a_bound_argument_passed_again_is_an_error_naming_it(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        MODELS[name](**kwargs)


def test_positional_arguments_are_refused_with_the_keywords_to_use():
    with pytest.raises(ValueError, match=r"keyword arguments only.*Received: vgg16\('E',\)"):
        MODELS["vgg16"]("E")

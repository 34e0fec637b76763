"""`MODELS`: every registered network by name, each a builder with some arguments already bound.

The registry names its builders without importing them, so that listing the models (and the
`cnn-lessons` command's help) needs neither Keras nor TensorFlow; an entry imports its
architecture module the first time it builds a model.
"""

import importlib


class Entry:
    """A registered model: `module.function` with `bound` arguments fixed, e.g. ResNet-20 is
    `resnet.resnet_cifar` with `depth=20`. Call it with keyword arguments (`input_shape`,
    `classes`, ...) to build the model."""

    def __init__(self, name, module, function, **bound):
        self.name, self.module, self.function, self.bound = name, module, function, bound

    @property
    def builder(self):
        """The architecture module's builder function this entry calls."""
        return getattr(importlib.import_module(f"cnn_lessons.{self.module}"), self.function)

    def __call__(self, *args, **kwargs):
        if args:
            raise ValueError(
                f"Registered models take keyword arguments only (input_shape=..., classes=...). "
                f"Received: {self.name}{args!r}"
            )
        again = sorted(set(kwargs) & set(self.bound))
        if again:
            fixed = ", ".join(f"{key}={self.bound[key]!r}" for key in again)
            raise ValueError(
                f"`{self.name}` already sets {fixed}; call "
                f"`cnn_lessons.{self.module}.{self.function}` to choose it yourself. "
                f"Received: {', '.join(f'{key}={kwargs[key]!r}' for key in again)}"
            )
        return self.builder(**self.bound, **kwargs)

    def __repr__(self):
        bound = "".join(f", {key}={value!r}" for key, value in self.bound.items())
        return f"<model {self.name}: {self.module}.{self.function}({bound.lstrip(', ')})>"


_ENTRIES = (
    # Chapter 1: LeNet-5 (LeCun et al. 1998), the paper network with either output, and modern.
    ("lenet5", "lenet", "lenet5", {"variant": "paper"}),
    ("lenet5_softmax", "lenet", "lenet5", {"variant": "paper", "output": "softmax"}),
    ("lenet5_modern", "lenet", "lenet5", {"variant": "modern"}),
    # Chapter 2: AlexNet (Krizhevsky et al. 2012), two towers as published, one tower, CIFAR-10.
    ("alexnet", "alexnet", "alexnet", {"groups": 2}),
    ("alexnet_one_tower", "alexnet", "alexnet", {"groups": 1}),
    ("alexnet_cifar", "alexnet", "alexnet_cifar", {}),
    # Chapter 3: VGG (Simonyan and Zisserman 2014), configurations A, B, D, E at 224x224.
    ("vgg11", "vgg", "vgg", {"config": "A"}),
    ("vgg13", "vgg", "vgg", {"config": "B"}),
    ("vgg16", "vgg", "vgg", {"config": "D"}),
    ("vgg19", "vgg", "vgg", {"config": "E"}),
    ("vgg_cifar", "vgg", "vgg_cifar", {}),
    # Chapter 4: GoogLeNet (Szegedy et al. 2014) and its CIFAR-10 adaptation, with and without
    # the auxiliary classifiers.
    ("googlenet", "googlenet", "googlenet", {}),
    ("googlenet_aux", "googlenet", "googlenet", {"aux_heads": True}),
    ("googlenet_cifar", "googlenet", "googlenet_cifar", {}),
    ("googlenet_cifar_aux", "googlenet", "googlenet_cifar", {"aux_heads": True}),
    # Chapter 5: ResNet (He et al. 2015), ImageNet (Table 1) and CIFAR-10 (section 4.2) families.
    *((f"resnet{depth}", "resnet", "resnet", {"depth": depth}) for depth in (18, 34, 50, 101, 152)),
    *(
        (f"resnet{depth}", "resnet", "resnet_cifar", {"depth": depth})
        for depth in (20, 32, 44, 56, 110)
    ),
    ("plain20", "resnet", "resnet_cifar", {"depth": 20, "plain": True}),
    ("plain56", "resnet", "resnet_cifar", {"depth": 56, "plain": True}),
)

MODELS = {
    name: Entry(name, module, function, **bound) for name, module, function, bound in _ENTRIES
}

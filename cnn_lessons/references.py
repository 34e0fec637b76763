"""Numbers published by the papers and by reference libraries, each with its source.

Tests and notebooks compare our models against these; nothing here is computed from our code.
"""

LENET5 = {
    "source": "LeCun, Bottou, Bengio, Haffner, Proc. IEEE 86(11), 1998, section II.B",
    # Trainable parameters per layer, as stated in the text of section II.B.
    "params": {"C1": 156, "S2": 12, "C3": 1_516, "S4": 32, "C5": 48_120, "F6": 10_164},
    "trainable_c1_to_f6": 60_000,
    # Connections quoted in the text (each weight is used at many positions).
    "connections": {"C1": 122_304, "S2": 5_880, "C3": 151_600, "S4": 2_000, "C5": 48_120},
    "output_rbf_params": 84 * 10,  # fixed, not trained
    "test_error": {"no distortions": 0.0095, "with distortions": 0.008},
}

# The copied "LeNet-5" (20/50 filters, same padding, ReLU, 500-unit dense) counted at 32x32x1.
COPIED_LENET_PARAMS = 1_631_080

# Chapter 2: AlexNet
ALEXNET = {
    "source": (
        "Krizhevsky, Sutskever, Hinton, NeurIPS 2012: abstract, sections 3.3-3.5, 4.2 and 6; "
        "exact counts: Figure 2's layers at 227x227x3, as Caffe's reference model bvlc_alexnet "
        "builds them (grouped conv2, conv4, conv5)"
    ),
    "stated_input": (224, 224, 3),  # section 3.5; the layer arithmetic needs 227x227
    "conv1_output": (55, 55, 96),  # Figure 2
    "params_two_towers": 60_965_224,
    "params_one_tower": 62_378_344,
    "params_fc6": 37_752_832,  # (6*6*256 + 1) * 4096
    "params_quoted": "60 million parameters and 650,000 neurons",  # abstract
    # Local response normalization (section 3.3); alpha is not divided by n.
    "lrn": {"k": 2, "n": 5, "alpha": 1e-4, "beta": 0.75},
    "dropout": 0.5,  # fc6 and fc7 (section 4.2)
    "pooling": {"size": 3, "stride": 2},  # overlapping pooling (section 3.4)
    # Section 6: single-model results on ILSVRC-2010 test, top-5 of the 2012 competition entry
    # (an ensemble) against the second-best entry.
    "ilsvrc2010_error": {"top1": 0.375, "top5": 0.170},
    "ilsvrc2012_top5_error": {"alexnet": 0.153, "runner_up": 0.262},
}
# fc6's share of the two-tower network's parameters: 37,752,832 / 60,965,224, about 62%.
ALEXNET["fc6_share"] = ALEXNET["params_fc6"] / ALEXNET["params_two_towers"]

# The copied four-convolution Keras "AlexNet" (96, 256, 384, 256 filters, no LRN, no groups),
# counted at 227x227x3 with 1,000 classes.
COPIED_ALEXNET_PARAMS = 61_050_856

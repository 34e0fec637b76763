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

# GoogLeNet ---------------------------------------------------------------------------------------
GOOGLENET = {
    "source": (
        'Szegedy et al., "Going Deeper with Convolutions", CVPR 2015 (arXiv:1409.4842), Table 1 '
        "and sections 5-7"
    ),
    # Table 1's "params" column is in K = 1,024 weights, biases not counted; its "ops" column in
    # M = 10^6 multiply-adds. The table is not fully consistent with its own widths: conv1 (2.7K
    # for 7*7*3*64 = 9,408 weights = 9.2K), 4c (463K for 497.5K) and 5a (1,072K for 1,018K).
    "k": 1024,
    "table1_params_k": {
        "conv1": 2.7, "conv2": 112, "3a": 159, "3b": 380, "4a": 364, "4b": 437, "4c": 463,
        "4d": 580, "4e": 840, "5a": 1072, "5b": 1388, "linear": 1000,
    },
    "table1_ops_m": {
        "conv1": 34, "conv2": 360, "3a": 128, "3b": 304, "4a": 73, "4b": 88, "4c": 100,
        "4d": 119, "4e": 170, "5a": 54, "5b": 71, "linear": 1,
    },
    "multiply_adds": 1.5e9,  # "a computational budget of 1.5 billion multiply-adds at inference"
    "top5_error": 0.0667,  # ILSVRC-2014 classification winner (7-model ensemble, 144 crops)
    "aux_loss_weight": 0.3,
}  # fmt: skip

TORCHVISION_GOOGLENET = {
    "source": "torchvision.models.googlenet (aux_logits=False), torchvision model documentation",
    "params": 6_624_904,
    # Why it is not our 6,998,552: batch normalization after every conv (gamma and beta, 2 per
    # channel) and no conv biases (1 per channel), so +1 per conv channel; its "5x5" branches use
    # 3x3 kernels (a bug kept for compatibility with its pretrained weights), 16 fewer weights per
    # reduce-output pair; no LRN (which has no parameters anyway).
    "differences": ("batch norm instead of conv biases", "3x3 instead of 5x5 in the 5x5 branch"),
}

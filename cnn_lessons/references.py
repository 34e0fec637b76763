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

# --- ResNet --------------------------------------------------------------------------------------
RESNET = {
    "source": "He, Zhang, Ren, Sun, Deep Residual Learning for Image Recognition, CVPR 2016 "
    "(arXiv:1512.03385)",
    # Table 1, bottom row: FLOPs (multiply-adds) of the ImageNet networks, in billions.
    "gflops": {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3},
    # Trainable parameters of the option B networks without conv biases, as torchvision publishes
    # them: "num_params" of the IMAGENET1K_V1 weights of torchvision.models.resnet18 ... resnet152
    # (https://pytorch.org/vision/stable/models/generated/torchvision.models.resnet50.html, ...).
    "torchvision_source": "torchvision.models.resnet<depth>, IMAGENET1K_V1, num_params",
    "trainable": {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808},
    # torchvision's "GFLOPS" (multiply-adds) of its resnet50, same page: its stride sits on the
    # 3x3 ("V1.5"), where the 3x3 runs at the higher resolution, hence more than Table 1's 3.8.
    "torchvision_resnet50_gflops": 4.09,
    # Batch-norm moving means and variances (2 per channel), which torchvision does not count.
    "non_trainable": {18: 9_600, 50: 53_120},
    # keras.applications.ResNet50(weights=None).count_params(): conv biases and BN statistics in.
    "keras_applications_resnet50": 25_636_712,
    # Section 4.2, Table 6: CIFAR-10 networks (option A), parameters as printed and test error
    # (%, best of 5 runs for 110 layers: mean 6.61 +- 0.16).
    "cifar_params_millions": {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7},
    "cifar_test_error": {20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43},
    # The exact counts behind Table 6's rounded ones, from section 4.2's description by arithmetic
    # (ResNet-20: stem 432 + BN 32, stage 1 13,824 + 192, stage 2 50,688 + 384, stage 3
    # 202,752 + 768, FC 650).
    "cifar_trainable": {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962},
    # Table 5: ILSVRC 2015 classification, ensemble, top-5 error on the test set (1st place).
    "ilsvrc2015_top5_error": 3.57,
}

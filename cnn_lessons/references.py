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

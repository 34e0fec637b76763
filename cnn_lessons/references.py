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

# --- Chapter 2: AlexNet ----------------------------------------------------------------------
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

# --- Chapter 3: VGG --------------------------------------------------------------------------

VGG = {
    "source": "Simonyan, Zisserman, Very Deep Convolutional Networks for Large-Scale Image "
    "Recognition, ICLR 2015 (arXiv:1409.1556): Table 1 (configurations), Table 2 (parameters), "
    "section 4.5 and Table 7 (ILSVRC-2014 result)",
    # Table 2, "Number of parameters (in millions)", as printed (rounded).
    "params_millions": {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144},
    # The exact counts behind Table 2 (weights and biases, 1000 classes, 224x224 input), as
    # listed in the course's PAPERS.md; D and E equal keras.applications and torchvision.
    "params": {
        "A": 132_863_336,
        "A-LRN": 132_863_336,
        "B": 133_047_848,
        "C": 133_638_952,
        "D": 138_357_544,
        "E": 143_667_240,
    },
    # ILSVRC-2014 submission (an ensemble of 7 nets), classification top-5 test error: 2nd place.
    "ilsvrc2014_top5_error": 0.073,
    # Multiply-adds of one 224x224 image through VGG-19 (E): "19.6 billion FLOPs", as quoted by
    # He, Zhang, Ren, Sun, Deep Residual Learning for Image Recognition, CVPR 2016, section 3.3.
    "e_multiply_adds": 19.6e9,
}

# keras.applications.VGG16 / VGG19 (include_top=True, 1000 classes, weights=None), counted with
# keras 3: keras/src/applications/vgg16.py and vgg19.py.
KERAS_APPLICATIONS_VGG = {"VGG16": 138_357_544, "VGG19": 143_667_240}

# The copied "VGG-16" with global average pooling before the classifier and a hard-coded
# Dense(1000) (PAPERS.md, "Errors in widely copied Keras code"): 14,714,688 convolution
# parameters + (512 + 1)*4096 + (4096 + 1)*4096 + (4096 + 1)*1000.
COPIED_VGG16_PARAMS = 37_694_248

# --- Chapter 4: GoogLeNet -----------------------------------------------------------------------
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

# --- Chapter 5: ResNet ------------------------------------------------------------------------
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

# --- Chapter 6: the five side by side ----------------------------------------------------------
# Each paper's published ImageNet classification error (fractions, not %), one row per model or
# ensemble the paper reports, each marked `kind` "single" (one network) or "ensemble" (several,
# their class probabilities averaged). All on the ILSVRC-2012 classification data (the same 1,000
# classes, 1.28 million training and 50,000 validation images in the 2012 to 2015 challenges):
# top1 / top5 on the validation set, test_top5 from the challenge's test server; None where the
# paper publishes no such number (GoogLeNet reports no top-1 error; ResNet's ensemble only its
# test top-5). `evaluation` says how many crops each test image was averaged over: the papers'
# numbers are not all measured the same way. `model` is the registered model the row is about.
# The first "single" and the first "ensemble" row of each network are the ones chapter 6 shows.
# LeNet-5 (1998) predates ImageNet: its MNIST result is LENET5["test_error"].
#
# Checked against the papers' tables (PAPERS.md lists only the top-5 results marked "in
# PAPERS.md"; the others were read from transcriptions of the tables found with the course's
# search tool, and agree with the other papers that quote them: VGG's Table 7 quotes AlexNet's 1
# and 5 CNNs and GoogLeNet's 1 and 7 nets; ResNet's Tables 4 and 5 quote VGG and GoogLeNet).
IMAGENET_ERRORS = (
    # Krizhevsky et al. 2012, Table 2 (ILSVRC-2012); each prediction averages 10 patches (the
    # four corners, the centre and their mirror images, section 4.1). "7 CNNs*" (two of them
    # pre-trained on the larger ImageNet Fall 2011 release) made the winning 15.3 % entry, in
    # PAPERS.md and ALEXNET["ilsvrc2012_top5_error"]; the "5 CNNs" used ILSVRC-2012 data only.
    {"network": "AlexNet", "kind": "single", "entry": "1 CNN", "model": "alexnet",
     "top1": 0.407, "top5": 0.182, "test_top5": None, "evaluation": "10 patches",
     "source": "Krizhevsky et al. 2012, Table 2"},
    {"network": "AlexNet", "kind": "ensemble", "entry": "5 CNNs", "model": "alexnet",
     "top1": 0.381, "top5": 0.164, "test_top5": 0.164, "evaluation": "10 patches",
     "source": "Krizhevsky et al. 2012, Table 2"},
    {"network": "AlexNet", "kind": "ensemble", "entry": "7 CNNs*, two pre-trained on ImageNet "
     "Fall 2011", "model": None, "top1": 0.367, "top5": 0.154, "test_top5": 0.153,
     "evaluation": "10 patches", "source": "Krizhevsky et al. 2012, Table 2 (in PAPERS.md)"},
    # Simonyan and Zisserman 2015, Table 5 (single models, trained at scales 256-512, tested at
    # 256, 384 and 512 with multi-crop and dense evaluation) and Tables 6 and 7 (ensembles). The
    # ILSVRC-2014 submission, 7 nets: 24.7 / 7.5 % validation, 7.3 % test (in PAPERS.md).
    {"network": "VGG", "kind": "single", "entry": "VGG-16 (D)", "model": "vgg16",
     "top1": 0.244, "top5": 0.072, "test_top5": None, "evaluation": "multi-crop & dense",
     "source": "Simonyan and Zisserman 2015, Table 5"},
    {"network": "VGG", "kind": "ensemble", "entry": "2 nets (D and E)", "model": None,
     "top1": 0.237, "top5": 0.068, "test_top5": 0.068, "evaluation": "multi-crop & dense",
     "source": "Simonyan and Zisserman 2015, Tables 6 and 7"},
    {"network": "VGG", "kind": "single", "entry": "VGG-19 (E)", "model": "vgg19",
     "top1": 0.244, "top5": 0.071, "test_top5": 0.070, "evaluation": "multi-crop & dense",
     "source": "Simonyan and Zisserman 2015, Tables 5 and 7"},
    {"network": "VGG", "kind": "ensemble", "entry": "ILSVRC-2014 submission, 7 nets",
     "model": None, "top1": 0.247, "top5": 0.075, "test_top5": 0.073, "evaluation": "dense",
     "source": "Simonyan and Zisserman 2015, Tables 6 and 7 (test top-5 in PAPERS.md)"},
    # Szegedy et al. 2015, Table 3 (validation; 144 crops = 4 scales x 3 squares x 6 crops x 2
    # mirrors) and Table 2 (test). No top-1 error is published. One model, one crop: 10.07 %.
    {"network": "GoogLeNet", "kind": "single", "entry": "1 model, 144 crops",
     "model": "googlenet", "top1": None, "top5": 0.0789, "test_top5": None,
     "evaluation": "144 crops", "source": "Szegedy et al. 2015, Table 3"},
    {"network": "GoogLeNet", "kind": "ensemble", "entry": "7 models, 144 crops", "model": None,
     "top1": None, "top5": 0.0667, "test_top5": 0.0667, "evaluation": "144 crops",
     "source": "Szegedy et al. 2015, Tables 2 and 3 (test top-5 in PAPERS.md)"},
    # He et al. 2016, Table 4 (single models, fully convolutional at several scales; Table 3's
    # 10-crop numbers are higher: ResNet-50 22.85 / 6.71 %, as the authors' repository
    # KaimingHe/deep-residual-networks also reports) and Table 5 (ensembles, test server): six
    # models of different depths, two of them 152 layers deep.
    {"network": "ResNet", "kind": "single", "entry": "ResNet-50", "model": "resnet50",
     "top1": 0.2074, "top5": 0.0525, "test_top5": None, "evaluation": "multi-scale",
     "source": "He et al. 2016, Table 4"},
    {"network": "ResNet", "kind": "ensemble", "entry": "6 models of different depths",
     "model": None, "top1": None, "top5": None, "test_top5": 0.0357,
     "evaluation": "multi-scale", "source": "He et al. 2016, Table 5 (in PAPERS.md)"},
    {"network": "ResNet", "kind": "single", "entry": "ResNet-152", "model": "resnet152",
     "top1": 0.1938, "top5": 0.0449, "test_top5": None, "evaluation": "multi-scale",
     "source": "He et al. 2016, Table 4"},
)  # fmt: skip

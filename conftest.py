"""Run the notebooks in their quick setting under pytest (nbval reads CNN_LESSONS_QUICK when it
starts each kernel), and keep TensorFlow's C++ start-up lines out of the compared outputs."""

import os

os.environ.setdefault("CNN_LESSONS_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

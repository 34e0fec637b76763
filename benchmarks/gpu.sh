#!/usr/bin/env bash
# The GPU benchmark run, as done on a lent GPU machine where TensorFlow is absent: Keras 3 on JAX.
# Expects the keras, namex and optree wheels in .whl/ and mnist.npz / cifar10.npz in .gpudata/;
# writes JSON and logs to $OUT (default: gpu-results/). Each part is its own process, so a part
# that fails or runs out of time leaves the others' results.
set -u
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax CNN_LESSONS_DATA=$PWD/.gpudata
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/gpu.txt"
python3 -c "import jax; print('jax', jax.__version__, jax.devices())" >> "$OUT/gpu.txt"
part() {  # name, script, then its arguments
    local name=$1 script=$2; shift 2
    echo "=== $name"
    python3 "benchmarks/$script.py" "$@" --output "$OUT/$name.json" 2>&1 | grep --line-buffered -v "^WARNING\|^I0000\|cuda_timer" | tee "$OUT/$name.log"
}
# 1. Every chapter's own run in gpu mode (all the images, the gpu recipes, mixed precision).
part time_to_accuracy time_to_accuracy --chapters all
# 2. Images/s of every chapter's training path: with and without augmentation, float32 against
#    the GPU's mixed precision, side by side.
part throughput throughput --chapters all --images 10240
# 3. `cnn-lessons train` with its GPU defaults (chapter 1's gpu recipe and sizes).
echo "=== cli"
python3 -m cnn_lessons.cli train lenet5_modern --output-dir "$OUT/runs" 2>&1 | grep --line-buffered -v "^WARNING\|^I0000\|cuda_timer" | tee "$OUT/cli.log"
rm -f "$OUT"/runs/*.keras  # the model file is not needed here

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
part() {  # name, then speed.py's arguments
    local name=$1; shift
    echo "=== $name"
    python3 benchmarks/speed.py "$@" --output "$OUT/$name.json" 2>&1 | grep --line-buffered -v "^WARNING\|^I0000\|cuda_timer" | tee "$OUT/$name.log"
}
# 1. The two GPU targets, in the GPU defaults (mixed precision, full sizes, batch 256 / 128).
part targets --models lenet5_modern,resnet20
# 2. The other chapters' models: images/s and time to the chapters' stated accuracies.
part chapters --models lenet5,alexnet_cifar,vgg_cifar,googlenet_cifar
# 3. Every model's images/s in float32: what mixed precision buys.
part float32 --precision float32 --accuracy none
# 4. `cnn-lessons train` with its GPU defaults (all of MNIST, 15 epochs, batch 256, mixed).
echo "=== cli"
python3 -m cnn_lessons.cli train lenet5_modern --dataset mnist --output-dir "$OUT/runs" 2>&1 | grep --line-buffered -v "^WARNING\|^I0000\|cuda_timer" | tee "$OUT/cli.log"
rm -f "$OUT"/runs/*.keras  # the model file is not needed here
# 5. ResNet-20 at batch 256 instead of 128.
part resnet20_batch256 --models resnet20 --accuracy-batch-size 256 --steps 10

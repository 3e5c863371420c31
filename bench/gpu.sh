#!/usr/bin/env bash
# The GPU rows of bench/RESULTS.md ("throughput"): bench/throughput.py on CUDA for the default
# DCGAN and for PGGAN, StyleGAN, StyleGAN2 and NVIDIA's StyleGAN2-ADA / StyleGAN3-T / -R at 1024²
# (random weights in their checkpoint formats; NVIDIA's as `convert-pkl` writes them, made by
# bench/nvidia.py --random-checkpoints), fp32 and bf16, batch 8-64, against the GPU's matmul peak.
#
#   bench/gpu.sh [dcgan] [pggan] [stylegan] [stylegan2] [stylegan2-ada] [stylegan3-t] [stylegan3-r]
#   (default: the first four, in that order)
#   environment: OUT (default results/gpu-bench), N (images per timed job, 1024; DCGAN's:
#   N_DCGAN, 16384: each at least a second of batches after the first, the rate the job logs),
#   RESOLUTION (1024), DEVICE (cuda)
#
# Made for a bare GPU machine that has torch, h5py, scipy and the like but not the project:
# it runs the project from this checkout (PYTHONPATH=workflow), first installing the wheels
# in .whl/ if there are any (README, "Benchmarks"). Each generator's table is written to
# $OUT/throughput-NAME.txt as it is measured, so a run cut short keeps the rows it made; a
# generator that fails does not stop the others.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-results/gpu-bench}
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD/workflow${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
generators=("$@") failed=0
[ $# -gt 0 ] || generators=(dcgan pggan stylegan stylegan2)
grid=(--device "${DEVICE:-cuda}" --threads 1 --precision fp32 bf16 --batch-size 8 16 32 64)
for generator in "${generators[@]}"; do
    section="{\"name\": \"$generator\", \"resolution\": ${RESOLUTION:-1024}}"
    case $generator in
        stylegan2-ada|stylegan3-t|stylegan3-r)
            family=${generator/stylegan2-ada/stylegan2}
            [ -f "$out/nvidia/$family.pt" ] || python3 bench/nvidia.py --random-checkpoints "$out/nvidia" --resolutions "${RESOLUTION:-1024}"
            section="{\"name\": \"nvidia\", \"checkpoint\": \"$out/nvidia/$family.pt\"}" ;;
    esac
    rows=(--n "${N_DCGAN:-16384}")
    [ "$generator" = dcgan ] || rows=(--n "${N:-1024}" --generators-only --generator "$section")
    python3 bench/throughput.py "${grid[@]}" "${rows[@]}" 2>&1 | tee "$out/throughput-$generator.txt" ||
        { echo "bench/gpu.sh: $generator failed (its output: $out/throughput-$generator.txt)" >&2; failed=1; }
done
exit $failed

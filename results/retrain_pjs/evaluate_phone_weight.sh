#!/bin/bash
# The smaller-λ P-MTL candidates (train_phone_weight.sh) beside the bundled P-MTL (λ 0.015), scored on PJS
# valid to choose (the true singing as the reference to follow), then — CHOSEN=λ — the chosen one on PJS test
# (not bundled, so the real voices and the synthetic split of evaluate_log_image.sh were not run for it).
# P-MTL and B2 through HiFi-GAN ride along on valid: whether the vocoder, not the network, holds them back.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
OUT=runs/retrain-eval/lambda
CK="--checkpoint parekh-mtl@l0.005=runs/retrain-lambda/lambda-0.005/parekh-p-mtl.pt"
# λ 0.0015 is not scored: it stalled at crop MSE 0.10 from step 1,000 on and was stopped at 3,450 steps
valid() {  # rows, folder
  python -m evaluation.benchmark --corpus corpora/pjs --split valid --melody reference --rtf-runs 0 --quiet \
    --vocoders none --ppg none $CK --converters "$1" --out $OUT/$2
}
if [ -z "${CHOSEN:-}" ]; then  # one process: the other core trains
  valid "parekh-mtl,parekh-mtl@l0.005,parekh-mtl[vocoder=hifigan],parekh-b2,parekh-b2[vocoder=hifigan]" pjs_valid
  exit
fi
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "parekh-mtl@l$CHOSEN" --out $OUT/pjs_test

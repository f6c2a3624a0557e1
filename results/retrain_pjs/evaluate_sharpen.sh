#!/bin/bash
# Issue 24: the Griffin-Lim exponent 1.5 (sharpen/) and P-MTL warm-started from P-MSE (train_warm.sh).
# Without STAGE: PJS valid — the warm P-MTL (parekh-mtl@warm) beside the bundled P-MTL and P-MSE, all at the
# new exponent — to choose. STAGE=test: the bundled variants (or ROWS=…, e.g. parekh-mtl@warm, with OUT=…) at
# the new exponent on PJS test, the 13 real voices and the synthetic split's first 8 pairs (evaluate_log_image.sh's sets).
set -eu
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
OUT=${OUT:-runs/retrain-eval/sharpen}
CK="--checkpoint parekh-mtl@warm=${WARM_CKPT:-runs/retrain-warm/parekh-p-mtl.pt}"
if [ -z "${STAGE:-}" ]; then
  python -m evaluation.benchmark --corpus corpora/pjs --split valid --melody reference --rtf-runs 0 --quiet \
    --vocoders none --ppg none $CK --converters "parekh-mtl@warm,parekh-mtl,parekh-mse" --out $OUT/pjs_valid
  exit
fi
ROWS=${ROWS:-parekh-b2,parekh-mse,parekh-mtl}
[[ $ROWS == *@warm* ]] || CK=""
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "$ROWS" --out $OUT/pjs_test
python -m evaluation.benchmark --real --rtf-runs 0 --quiet $CK --converters "$ROWS" --out $OUT/real_voice
python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "$ROWS" --out $OUT/synthetic_test

#!/bin/bash
# Issue 24: the Griffin-Lim exponent 1.5 (sharpen/) and P-MTL warm-started from P-MSE (train_warm.sh). The
# exponent is written into the rows (the converters' default is the paper's 1.2).
# Without STAGE: PJS valid — the warm P-MTL (parekh-mtl@warm) beside the bundled P-MTL and P-MSE, all at 1.5 —
# to choose. STAGE=test: the bundled variants at 1.5 (or ROWS=…, e.g. parekh-mtl@warm at the default, with
# OUT=…) on PJS test, the 13 real voices and the synthetic split's first 8 pairs (score_sets.sh). Run on 6 Dec
# with P-MTL's third version bundled; parekh-mtl is its fourth since.
set -eu
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
. results/retrain_pjs/score_sets.sh
OUT=${OUT:-runs/retrain-eval/sharpen}
P15="[griffinlim_power=1.5]"
CK="--checkpoint parekh-mtl@warm=${WARM_CKPT:-runs/retrain-warm/parekh-p-mtl.pt}"
if [ -z "${STAGE:-}" ]; then
  python -m evaluation.benchmark --corpus corpora/pjs --split valid --melody reference --rtf-runs 0 --quiet \
    --vocoders none --ppg none $CK \
    --converters "parekh-mtl@warm$P15,parekh-mtl$P15,parekh-mse$P15" --out $OUT/pjs_valid
  exit
fi
ROWS=${ROWS:-parekh-b2$P15,parekh-mse$P15,parekh-mtl$P15}
[[ $ROWS == *@warm* ]] || CK=""
score_sets "$OUT" "$CK" "$ROWS"

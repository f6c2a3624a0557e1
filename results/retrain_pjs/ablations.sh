#!/bin/bash
# AlignSTS's ablation ordering re-measured on PJS test: the full model and the three ablations, each 400 steps
# × 16 on the retrain's data (synthetic + PJS at 0.75, augmented, contour input) — the first version's
# ablation budget, not the bundled model's — then scored on the PJS test split with the true singing as reference.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75"
OUT=runs/ablations-pjs
mkdir -p $OUT
for variant in full no_rhythm_adaptor no_aligner no_f0_skip; do
  python -m models.training alignsts $MIX --augment --variant $variant --steps 400 --minutes 0 --threads 1 --seed 0 \
    --out $OUT/$variant > $OUT/$variant.log 2>&1
done
score() {  # two variants per benchmark, both at once on the 2 cores
  CK=""; ROWS=""
  for variant in "$@"; do
    file=$(ls $OUT/$variant/*.pt | grep -v state)
    CK="$CK --checkpoint alignsts@$variant=$file"; ROWS="$ROWS,alignsts@$variant"
  done
  python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
    --vocoders none $CK --converters "${ROWS#,}" --out $OUT/eval-$1
}
score full no_rhythm_adaptor & score no_aligner no_f0_skip & wait
PYTHONPATH=. python results/retrain_pjs/merge.py results/retrain_pjs/ablations_pjs_test $OUT/eval-full $OUT/eval-no_aligner

#!/bin/bash
# Issue 24: the PJS share re-measured for AlignSTS (the bundled model took P-MTL's 0.75 without a sweep).
# AlignSTS at PJS shares 0, 0.25, 0.5, 0.75 and 1 of each batch, 400 steps × 16 each (the ablations' budget,
# not the bundled model's 45 minutes), augmented, contour input, seed 0; 0.75 is the ablations' "full" run
# (runs/ablations-pjs/full, the same settings). Scored on PJS test and on the synthetic English test split,
# both against the true singing (--melody reference).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
OUT=runs/alignsts-share
mkdir -p $OUT
train() {  # name, then the corpus arguments
  name=$1; shift
  python -m models.training alignsts "$@" --augment --steps 400 --minutes 0 --threads 1 --seed 0 \
    --out $OUT/$name > $OUT/$name.log 2>&1
}
lane_a() { train s0.25 --corpus corpora/synthetic --corpus corpora/pjs --mix 0.75,0.25
           train s1 --corpus corpora/pjs; }
lane_b() { train s0.5 --corpus corpora/synthetic --corpus corpora/pjs --mix 0.5,0.5
           train s0 --corpus corpora/synthetic; }
lane_a & lane_b & wait
mkdir -p $OUT/s0.75 && cp runs/ablations-pjs/full/*.pt $OUT/s0.75/
CK=""; ROWS=""
for share in s0 s0.25 s0.5 s0.75 s1; do
  file=$(ls $OUT/$share/*.pt | grep -v state)
  CK="$CK --checkpoint alignsts@$share=$file"; ROWS="$ROWS,alignsts@$share"
done
score() {  # corpus, out
  python -m evaluation.benchmark --corpus $1 --split test --melody reference --rtf-runs 0 --quiet --ppg none \
    --vocoders none $CK --converters "${ROWS#,}" --out $2
}
score corpora/pjs $OUT/eval-pjs & score corpora/synthetic $OUT/eval-synthetic & wait
echo SHARE DONE

#!/bin/bash
# AlignSTS's two contested ablations at the bundled model's budget: 3,131 steps × 16 — the steps the bundled
# alignsts.pt reached in its 45 minutes — on the same data, augmentation and seed (train.sh's command with
# --steps 3131 --minutes 0), so the bundled checkpoint is the "full" row. The F0 skip's ablation is not rerun:
# at 400 steps it already lost by RCA 0.73 (ablations_pjs_test/). Then PJS test with the true singing as the
# reference, and the first 8 synthetic test pairs (English, where the aligner's words can be heard).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75"
OUT=runs/ablations-bundled
mkdir -p $OUT
train() {
  /usr/bin/time -v python -m models.training alignsts $MIX --augment --variant $1 --steps 3131 --minutes 0 \
    --threads 1 --seed 0 --out $OUT/$1 > $OUT/$1.log 2>&1
}
train no_rhythm_adaptor & train no_aligner & wait
CK=""; ROWS="alignsts"
for variant in no_rhythm_adaptor no_aligner; do
  file=$(ls $OUT/$variant/*.pt | grep -v state)
  CK="$CK --checkpoint alignsts@$variant=$file"; ROWS="$ROWS,alignsts@$variant"
done
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "$ROWS" --out $OUT/pjs_test &
python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "$ROWS" --out $OUT/synthetic_test &
wait
echo ABLATIONS DONE

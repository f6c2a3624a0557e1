#!/bin/bash
# The flow model retrained with PJS (not bundled: it failed the held-out forced-alignment check), scored as a
# candidate row beside the bundled one on the PJS test split and the synthetic split.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
# CANDIDATE, TAG and OUT pick another candidate (the 0.25-share retrains: train_flow_share.sh,
# train_flow_length.sh); REAL=1 adds the 13 real voices, both rows
ROW=s2s-flow@${TAG:-pjs}
CK="--checkpoint $ROW=${CANDIDATE:-runs/candidates/s2s-flow-pjs.pt}"
OUT=${OUT:-runs/retrain-eval/new-flow}
python -m evaluation.benchmark --corpus corpora/pjs --split test --rtf-runs 0 --quiet --vocoders none $CK \
  --converters "$ROW" --out $OUT/pjs_test
python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet --vocoders none \
  $CK --converters "s2s-flow,$ROW" --out $OUT/synthetic_test
if [ -n "${REAL:-}" ]; then
  python -m evaluation.benchmark --real --rtf-runs 0 --quiet $CK --converters "s2s-flow,$ROW" --out $OUT/real_voice
fi

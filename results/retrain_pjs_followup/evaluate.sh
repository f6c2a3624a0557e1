#!/bin/bash
# The flow model retrained at a 0.25 PJS share, scored as a candidate row beside the bundled one (the same
# benchmark calls as results/retrain_pjs/evaluate_flow_candidate.sh, whose 0.75-share candidate lost English).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
CK="--checkpoint s2s-flow@pjs25=runs/retrain2/s2s-flow/s2s-flow.pt"
OUT=results/retrain_pjs_followup
python -m evaluation.benchmark --corpus corpora/pjs --split test --rtf-runs 0 --quiet --vocoders none $CK \
  --converters "s2s-flow,s2s-flow@pjs25" --out $OUT/pjs_test
python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet --vocoders none \
  $CK --converters "s2s-flow,s2s-flow@pjs25" --out $OUT/synthetic_test

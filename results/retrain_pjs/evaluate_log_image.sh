#!/bin/bash
# The log-image retrains (train_log_image.sh) scored before bundling, as NAME@log rows: PJS test (the true
# singing as the reference to follow), the 13 real voices and the synthetic split's first 8 pairs — the sets
# and flags of evaluate_new.sh. VARIANTS picks which finished (default all three).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
VARIANTS=${VARIANTS:-"p-mtl p-mse b2"}
TAG=${TAG:-all}
OUT=runs/retrain-eval/log-$TAG
CK=""; ROWS=""
for v in $VARIANTS; do
  row=parekh-${v#p-}@log
  CK="$CK --checkpoint $row=runs/retrain-log/parekh-$v/parekh-$v.pt"; ROWS="$ROWS,$row"
done
ROWS=${ROWS#,}
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "$ROWS" --out $OUT/pjs_test
python -m evaluation.benchmark --real --rtf-runs 0 --quiet $CK --converters "$ROWS" --out $OUT/real_voice
python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet \
  --vocoders none $CK --converters "$ROWS" --out $OUT/synthetic_test

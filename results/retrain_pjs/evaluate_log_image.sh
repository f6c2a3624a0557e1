#!/bin/bash
# The log-image retrains (train_log_image.sh) scored before bundling, as NAME@log rows: PJS test (the true
# singing as the reference to follow), the 13 real voices and the synthetic split's first 8 pairs — the sets
# and flags of evaluate_new.sh. VARIANTS picks which finished (default all three).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
. results/retrain_pjs/score_sets.sh
VARIANTS=${VARIANTS:-"p-mtl p-mse b2"}
TAG=${TAG:-all}
OUT=runs/retrain-eval/log-$TAG
CK=""; ROWS=""
for v in $VARIANTS; do
  row=parekh-${v#p-}@log
  CK="$CK --checkpoint $row=runs/retrain-log/parekh-$v/parekh-$v.pt"; ROWS="$ROWS,$row"
done
ROWS=${ROWS#,}
score_sets "$OUT" "$CK" "$ROWS"

#!/bin/bash
# Part 1 of issue 24's tables (PJS test), run while the retrains trained: the checkpoints bundled before issue 24
# (copies in runs/old-checkpoints, rows NAME@old), world-sts, floors and ceilings. evaluate_new.sh adds the
# retrained rows and merge.py joins both into one table per set.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
OLD=${OLD:-runs/old-checkpoints}
OUT=runs/retrain-eval/old
CK=""
for pair in parekh-mtl:parekh-p-mtl parekh-mse:parekh-p-mse parekh-b2:parekh-b2 alignsts:alignsts s2s-flow:s2s-flow; do
  CK="$CK --checkpoint ${pair%%:*}@old=$OLD/${pair##*:}.pt"
done
STS="parekh-mtl@old,parekh-mse@old,parekh-b2@old,alignsts@old"
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet $CK \
  --converters "world-sts,world-sts[reference_use=guide vocal],$STS,world-s2s,s2s-flow@old" --out $OUT/pjs_test
# The real voices and the synthetic split: the old checkpoints' rows are the committed tables
# (results/metrics/real_voice_rerun.md, results/real_pairs/synthetic_test); the 2 cores were busy training.

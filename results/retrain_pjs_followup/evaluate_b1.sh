#!/bin/bash
# ICASSP 2020's B1 retrained like the other three variants (train.sh: 6,000 steps, 0.75 PJS share), scored on
# PJS test with the true singing as the reference (the papers' setting), then Table 1's ordering re-checked
# item by item against the committed rows of P-MTL, P-MSE and B2 (results/retrain_pjs/pjs_test).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
OUT=results/retrain_pjs_followup/b1_pjs_test
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
  --vocoders none --checkpoint parekh-b2@b1=runs/retrain2/parekh-b1/parekh-b1.pt --converters "parekh-b2@b1" --out $OUT

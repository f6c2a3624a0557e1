#!/bin/bash
# Part 2 of issue 24's tables: retrained checkpoints once bundled in models/checkpoints, in batches as they
# finished (TAG names a batch; STS and S2S its speech→singing and singing→speech converters), each on the PJS
# test split (the true singing as the reference), the 13 real voices and the synthetic split. The last
# batch joins them (merge.py) with evaluate_old.sh's rows into results/retrain_pjs/<set>/.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
TAG=${TAG:?name the batch}; STS=${STS:-}; S2S=${S2S:-}
OUT=runs/retrain-eval/new-$TAG
ALL=$(echo "$STS,$S2S" | sed 's/^,//; s/,$//')
python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
  --vocoders none --converters "$ALL" --out $OUT/pjs_test
if [ -n "$STS" ]; then
  python -m evaluation.benchmark --real --rtf-runs 0 --quiet --converters "$STS" --out $OUT/real_voice
fi
python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet \
  --vocoders none --converters "$ALL" --out $OUT/synthetic_test
if [ "${MERGE:-0}" = 1 ]; then
  m() { PYTHONPATH=. python results/retrain_pjs/merge.py results/retrain_pjs/$1 "${@:2}"; }
  m pjs_test runs/retrain-eval/old/pjs_test runs/retrain-eval/new-*/pjs_test
  m real_voice runs/retrain-eval/new-*/real_voice
  m synthetic_test runs/retrain-eval/new-*/synthetic_test
fi

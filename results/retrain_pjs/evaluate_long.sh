#!/bin/bash
# The ICASSP 2020 variants trained toward the paper's 14,000 steps (train_long.sh; the 45-minute budget ends them
# first) as NAME@long rows. Without CHOSEN: PJS valid, beside the bundled 6,000-step checkpoints, to choose.
# CHOSEN="b2 …": those on PJS test, the 13 real voices and the synthetic split's first 8 pairs (the sets of
# evaluate_log_image.sh), to bundle.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
. results/retrain_pjs/score_sets.sh
OUT=runs/retrain-eval/long
checkpoints() { for v in $1; do printf -- " --checkpoint parekh-%s@long=runs/retrain-long/parekh-%s/parekh-%s.pt" "${v#p-}" "$v" "$v"; done; }
rows() { for v in $1; do printf ",parekh-%s%s" "${v#p-}" "${2-@long}"; done | cut -c2-; }  # variants [, tag]
if [ -z "${CHOSEN:-}" ]; then
  VARIANTS=${VARIANTS:-b2}
  python -m evaluation.benchmark --corpus corpora/pjs --split valid --melody reference --rtf-runs 0 --quiet \
    --vocoders none --ppg none $(checkpoints "$VARIANTS") --converters "$(rows "$VARIANTS" ""),$(rows "$VARIANTS")" \
    --out $OUT/pjs_valid_${VARIANTS// /_}
  exit
fi
CK=$(checkpoints "$CHOSEN"); ROWS=$(rows "$CHOSEN")
score_sets "$OUT" "$CK" "$ROWS"

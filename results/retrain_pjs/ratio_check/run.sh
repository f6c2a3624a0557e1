#!/bin/bash
# The forced-alignment check between the two PJS shares left open by results/parekh/pjs_mix (P-MTL, 2,500 steps).
cd "$(dirname "$0")/../../.." && . .venv/bin/activate
export OMP_NUM_THREADS=1
for s in 0.75 1; do
  python -m evaluation.benchmark --real --converters parekh-mtl \
    --checkpoint parekh-mtl=runs/pjs-mix-2500/share-$s/parekh-p-mtl.pt \
    --vocoders none --rtf-runs 0 --quiet --out runs/align-check/share-$s
done

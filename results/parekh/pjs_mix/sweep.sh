#!/bin/bash
# PJS share sweep for the ICASSP 2020 P-MTL at an equal budget of 2500 steps × 16, two runs at a time (1 thread each).
set -u
cd "$(dirname "$0")/../../.." && . .venv/bin/activate   # the repository root
NOISE=../shared/data/pjs/background_noise
PYTHONPATH=. python results/parekh/pjs_mix/cache_build.py || exit 1
run() {  # share of PJS in each batch
  share=$1; out=runs/pjs-mix-2500/share-$share
  if [ "$share" = "0" ] || [ "$share" = "noaug" ]; then corpora="--corpus corpora/synthetic"; else
    corpora="--corpus corpora/synthetic --corpus corpora/pjs --mix $(python -c "print(f'{1-$share:g},{$share:g}')")"; fi
  if [ "$share" = "1" ]; then corpora="--corpus corpora/pjs"; fi
  aug="--augment --noise $NOISE"
  if [ "$share" = "noaug" ]; then aug=""; fi
  python -m models.training parekh $corpora $aug --variant p-mtl --steps 2500 --minutes 0 --threads 1 --seed 0 --out $out > $out.log 2>&1
}
mkdir -p runs/pjs-mix-2500
run 0 & run 0.25 & wait
run 0.5 & run 1 & wait
run noaug & run 0.1 & wait
run 0.75   # added after the first three pairs
for share in 0 0.1 0.25 0.5 0.75 1 noaug; do
  python -m evaluation.tables.parekh --corpus corpora/pjs --split valid --runs runs/pjs-mix-2500/share-$share --variants p-mtl --out runs/pjs-mix-2500/eval-$share > runs/pjs-mix-2500/eval-$share.log 2>&1
done
python -m evaluation.tables.parekh --corpus corpora/pjs --split valid --runs models/checkpoints --variants p-mtl --out runs/pjs-mix-2500/eval-bundled > runs/pjs-mix-2500/eval-bundled.log 2>&1
for share in 0 0.25 0.5 0.75 1; do  # the 13-voice real set, reference-free
  python -m evaluation.tables.parekh --real --runs runs/pjs-mix-2500/share-$share --variants p-mtl --out runs/pjs-mix-2500/real-$share
done
echo SWEEP DONE

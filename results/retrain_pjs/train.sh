#!/bin/bash
# Issue 24's retrains: every learned converter on the synthetic English corpus mixed with PJS train (a 0.75
# PJS share of each batch; results/retrain_pjs/README.md says why), two lanes at 1 thread each on the 2 cores.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
NOISE=../shared/data/pjs/background_noise
MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75"
OUT=runs/retrain
mkdir -p $OUT
PYTHONPATH=. python results/retrain_pjs/cache_build.py > $OUT/cache.log 2>&1 || exit 1
train() {  # name, then the trainer's arguments
  name=$1; shift
  /usr/bin/time -v python -m models.training "$@" --threads 1 --seed 0 --out $OUT/$name > $OUT/$name.log 2>&1
}
lane_a() {
  train alignsts alignsts $MIX --augment --steps 4000 --minutes 45
  # the flow model (singing → speech, PJS in the other direction): the card's two phases, 36 + 9 minutes
  train s2s-flow s2s_flow $MIX --minutes 36
  train s2s-flow s2s_flow $MIX --minutes 9 --lr 1e-4
}
lane_b() {  # the ICASSP 2020 variants at one step budget, so Table 1's ordering compares like with like
  for variant in p-mtl p-mse b2 b1; do
    train parekh-$variant parekh $MIX --augment --noise $NOISE --variant $variant --steps 6000 --minutes 45
  done
}
lane_a & lane_b & wait
echo RETRAIN DONE

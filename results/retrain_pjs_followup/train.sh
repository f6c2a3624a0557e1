#!/bin/bash
# Issue 24, continued: the flow model (singing → speech) retrained with a lower PJS share (0.25; the 0.75 share
# lost English forced alignment), then ICASSP 2020's B1 at the other variants' 6,000 steps for Table 1's order.
# One lane at 1 thread (the other core trains the vocoder of issue 25).
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
NOISE=../shared/data/pjs/background_noise
OUT=runs/retrain2
mkdir -p $OUT
train() {  # name, then the trainer's arguments
  name=$1; shift
  /usr/bin/time -v python -m models.training "$@" --threads 1 --seed 0 --out $OUT/$name > $OUT/$name.log 2>&1
}
FLOW_MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.75,0.25"
train s2s-flow s2s_flow $FLOW_MIX --minutes 36
train s2s-flow s2s_flow $FLOW_MIX --minutes 9 --lr 1e-4
MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75"
train parekh-b1 parekh $MIX --augment --noise $NOISE --variant b1 --steps 6000 --minutes 45
echo LANE DONE

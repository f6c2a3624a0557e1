#!/bin/bash
# The ICASSP 2020 variants retrained with the log-F0 melody image (models/parekh/data.py), everything else
# as train.sh: the synthetic English corpus mixed with PJS train at a 0.75 PJS share, augmentation, 6,000
# steps × 16, seed 0, two lanes at 1 thread each on the 2 cores.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
NOISE=../shared/data/pjs/background_noise
MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75"
OUT=runs/retrain-log
mkdir -p $OUT
train() {  # variant
  /usr/bin/time -v python -m models.training parekh $MIX --augment --noise $NOISE --variant $1 \
    --melody-image log --steps 6000 --minutes 45 --threads 1 --seed 0 --out $OUT/parekh-$1 > $OUT/parekh-$1.log 2>&1
}
lane_a() { train b2; train p-mtl; }
lane_b() { train p-mse; }
lane_a & lane_b & wait
echo RETRAIN DONE

#!/bin/bash
# P-MTL with a smaller phone-loss weight λ (the paper's 0.015 makes the phone cross-entropy about 45 % of the
# loss at the bundle's width). Everything else as train_log_image.sh: log-F0 melody image, the synthetic
# English corpus mixed with PJS train at a 0.75 PJS share, augmentation, 6,000 steps × 16, seed 0, two lanes
# at 1 thread each on the 2 cores. The feature cache is filled once first so the lanes do not both write it.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
NOISE=../shared/data/pjs/background_noise
MIX="--corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75"
OUT=runs/retrain-lambda
mkdir -p $OUT
python -c "
from models.parekh.data import load_split
for root in ('corpora/synthetic', 'corpora/pjs'):
    print(root, len(load_split(root, 'train', inputs='stretched', cache_dir='runs/cache')), flush=True)
"
train() {  # λ, folder name
  /usr/bin/time -v python -m models.training parekh $MIX --augment --noise $NOISE --variant p-mtl \
    --melody-image log --phone-weight $1 --steps 6000 --minutes 45 --threads 1 --seed 0 \
    --out $OUT/$2 > $OUT/$2.log 2>&1
}
train 0.005 lambda-0.005 & train 0.0015 lambda-0.0015 & wait
echo RETRAIN DONE

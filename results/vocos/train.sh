#!/bin/bash
# Issue 25: the Vocos-style vocoder, 45 minutes on one CPU thread (the other core trained the flow model),
# on the train splits of PJS (real voice, speech and singing; CC BY-SA 4.0) and the synthetic corpus, half each.
set -u
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
mkdir -p runs/vocos
OMP_NUM_THREADS=1 /usr/bin/time -v python -m models.training vocos --corpus corpora/pjs --corpus corpora/synthetic \
  --mix 0.5,0.5 --minutes 45 --threads 1 --seed 0 --out runs/vocos > runs/vocos/train.log 2>&1

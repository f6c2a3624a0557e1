#!/bin/bash
# P-MTL started from the bundled P-MSE (the same network without the phone head) and trained on with the
# paper's λ = 0.015 (the start used: sha256 baa7679f…): the two stages inside the 45-minute budget (P-MSE took 25.6 min, so this stage
# gets 19). Everything else as train_log_image.sh: log-F0 melody image, synthetic + PJS train at a 0.75 PJS
# share, augmentation, batches of 16, seed 0, 1 thread. The learning rate goes on from where P-MSE's
# schedule ended (0.002 × 0.92^6 ≈ 0.0012), decayed ×0.92 per 1,000 steps as before.
# The control: VARIANT=p-mse STEPS=2940 MINUTES=45 WARM_RUN=runs/retrain-warm-mse — P-MSE trained on for as
# many steps as the P-MTL stage took, without the phone loss (is the gain the phone loss or the steps?).
set -eu
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
OUT=${WARM_RUN:-runs/retrain-warm}
mkdir -p "$OUT"
/usr/bin/time -v python -m models.training parekh --corpus corpora/synthetic --corpus corpora/pjs --mix 0.25,0.75 \
  --augment --noise ../shared/data/pjs/background_noise --variant "${VARIANT:-p-mtl}" --melody-image log \
  --init models/checkpoints/parekh-p-mse.pt --lr 0.0012 --steps "${STEPS:-4000}" --minutes "${MINUTES:-19}" \
  --threads 1 --seed 0 --out "$OUT" > "$OUT/train.log" 2>&1
echo WARM DONE

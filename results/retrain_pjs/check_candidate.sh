#!/bin/bash
# A candidate checkpoint through the CI checks it must pass before it is bundled, in a scratch worktree of HEAD
# with the candidate in place of models/checkpoints/NAME.pt, so the bundled file is never touched.
# Usage: check_candidate.sh CKPT NAME TEST… (the flow model: the hostile suite and its trained-means-trained
# rows, as in flow_length/README.md; an ICASSP variant: the hostile suite and tests/test_checkpoints_trained.py).
# HELDOUT=1 also prints the ICASSP variants' CI values (log_image/heldout.py) from the scratch tree.
set -u
CANDIDATE=$(realpath "${1:?the candidate checkpoint}")   # before the cd: a path relative to the caller
NAME=${2:?the bundled checkpoint it would replace, e.g. s2s-flow}
shift 2
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
ROOT=$PWD SCRATCH=$(mktemp -d)
TREE=$SCRATCH/tree
trap 'git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
git worktree add -q --detach "$TREE" HEAD
cp "$CANDIDATE" "$TREE/models/checkpoints/$NAME.pt"
cd "$TREE"
[ "${HELDOUT:-0}" = 1 ] && PYTHONPATH=. python results/retrain_pjs/log_image/heldout.py
python -m pytest -q -p no:cacheprovider "$@"

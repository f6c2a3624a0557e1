#!/bin/bash
# A flow-model candidate through the CI checks it must pass before it is bundled — the whole hostile-input
# suite and its trained-means-trained rows — in a scratch worktree of HEAD with the candidate in place of
# models/checkpoints/s2s-flow.pt, so the bundled file is never touched. Usage: check_flow_candidate.sh CKPT
set -u
CANDIDATE=$(realpath "${1:?the candidate checkpoint}")   # before the cd: a path relative to the caller
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root
ROOT=$PWD SCRATCH=$(mktemp -d)
TREE=$SCRATCH/tree
trap 'git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
git worktree add -q --detach "$TREE" HEAD
cp "$CANDIDATE" "$TREE/models/checkpoints/s2s-flow.pt"
(cd "$TREE" && python -m pytest -q -p no:cacheprovider tests/test_checkpoint_s2s_flow.py tests/test_hostile_inputs.py)

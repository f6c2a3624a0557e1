# Sourced by the evaluation scripts: score_sets OUT "CHECKPOINT FLAGS" ROWS scores the speech→singing rows ROWS
# on the three sets every bundling decision reads — PJS test with the true singing as the reference to follow,
# the 13 real voices, and the synthetic split's first 8 pairs — writing OUT/pjs_test, OUT/real_voice and
# OUT/synthetic_test.
score_sets() {
  local out=$1 ck=$2 rows=$3
  python -m evaluation.benchmark --corpus corpora/pjs --split test --melody reference --rtf-runs 0 --quiet \
    --vocoders none $ck --converters "$rows" --out "$out/pjs_test"
  python -m evaluation.benchmark --real --rtf-runs 0 --quiet $ck --converters "$rows" --out "$out/real_voice"
  python -m evaluation.benchmark --corpus corpora/synth80 --split test --limit 8 --rtf-runs 0 --quiet \
    --vocoders none $ck --converters "$rows" --out "$out/synthetic_test"
}

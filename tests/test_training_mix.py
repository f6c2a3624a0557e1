"""Training on several corpora: each corpus's share of the batches, and what the checkpoint records."""

from __future__ import annotations

import numpy as np
import pytest

from models.training.mix import CorpusMix, parse_shares


def test_each_corpus_gets_its_share_and_long_examples_come_up_more_often():
    groups = [[("a", 10), ("b", 30)], [("c", 5)]]
    mix = CorpusMix(groups, lambda e: e[1], [0.75, 0.25])
    drawn = mix.draw(np.random.default_rng(0), 20000)
    names = np.array([e[0] for e in drawn])
    assert abs(np.mean(names == "c") - 0.25) < 0.015
    assert abs(np.mean(names == "b") / np.mean(names != "c") - 0.75) < 0.015  # 30 of 40 frames


def test_default_shares_follow_the_corpora_lengths():
    mix = CorpusMix([[("a", 10)], [("b", 30)]], lambda e: e[1])
    assert np.allclose(mix.shares, [0.25, 0.75])


def test_one_corpus_draws_one_weighted_choice_per_batch():
    group = [("a", 1), ("b", 3)]
    drawn = CorpusMix([group], lambda e: e[1]).draw(np.random.default_rng(5), 8)
    expected = np.random.default_rng(5).choice(2, size=8, p=[0.25, 0.75])
    assert [e[0] for e in drawn] == [group[i][0] for i in expected]


def test_bad_shares_and_empty_corpora_are_refused():
    with pytest.raises(ValueError, match="one non-negative share per corpus"):
        CorpusMix([[("a", 1)], [("b", 1)]], lambda e: e[1], [1.0])
    with pytest.raises(ValueError, match="needs at least one"):
        CorpusMix([[("a", 1)], []], lambda e: e[1])
    with pytest.raises(ValueError, match="no training examples"):
        CorpusMix([[]], lambda e: e[1]).draw(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match="one number per --corpus"):
        parse_shares("0.5,half")
    assert parse_shares("0.25,0.75") == [0.25, 0.75] and parse_shares(None) is None


def test_one_corpus_drawn_uniformly_draws_as_the_runs_before_the_mix():
    group = [("a", 1), ("b", 3), ("c", 9)]
    mix = CorpusMix([group], lambda e: e[1], single="uniform", keep=lambda e: e[0] != "c")
    drawn = mix.draw(np.random.default_rng(5), 4)  # more than the two kept: with replacement
    expected = np.random.default_rng(5).choice(2, size=4, replace=True)
    assert [e[0] for e in drawn] == [group[i][0] for i in expected]
    with pytest.raises(ValueError, match="'weighted' or 'uniform'"):
        CorpusMix([group], lambda e: e[1], single="random")


def test_a_conversion_note_says_what_the_checkpoint_learned_from():
    from models.base import training_data

    synthetic = {"manifest_sha256": "a", "speakers": ["kal-f1"], "licenses": []}
    pjs = {"manifest_sha256": "b", "speakers": ["pjs"], "licenses": ["CC BY-SA 4.0"]}
    assert training_data({"corpora": [synthetic, pjs], "shares": [0.75, 0.25]}) == (
        "synthetic and real (PJS, CC BY-SA 4.0) pairs"
    )
    assert training_data({"corpora": [pjs]}) == "real PJS pairs"
    assert (
        training_data({**synthetic, "steps": 10}) == "synthetic pairs"
    )  # before mixing: one corpus, top level

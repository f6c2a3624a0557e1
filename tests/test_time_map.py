"""The speech→singing time map: consonants at speaking speed, codas and onsets on the right side of a rest."""

import itertools

import numpy as np
import pytest

from models.dsp.alignment import Slot
from models.dsp.syllables import Nucleus, steadiest_windows, vowel_band_db, widen_short_vowels
from models.dsp.time_map import quietest_points, sung_time_map
from models.world import WorldParams

# Speech: "ca-t | do-g": vowel 0.10–0.20 s, consonants 0.20–0.40 s (coda "t", pause, onset "d"),
# vowel 0.40–0.50 s, final coda 0.50–0.60 s.
NUCLEI = [Nucleus(0.10, 0.20, 0.15), Nucleus(0.40, 0.50, 0.45)]
SPLITS = [0.10, 0.28]


def source_at(tm, t: float) -> float:
    target, source = tm.arrays()
    return float(np.interp(t, target, source))


def test_across_a_rest_the_coda_closes_the_last_note_and_the_onset_leads_into_the_next():
    slots = [Slot(0, 0.0, 1.0), Slot(1, 2.0, 3.0)]  # a one-second rest between the notes
    tm = sung_time_map(NUCLEI, slots, splits=SPLITS, source_end=0.7, duration=3.0, consonant_cap_s=0.3)
    assert tm.vowels[0] == pytest.approx((0.1, 1.0), abs=1e-5)  # first onset 0.0–0.1 copied before it
    # the coda 0.20–0.28 s right after the first note, at speaking speed
    assert source_at(tm, 1.0) == pytest.approx(0.20, abs=1e-4)
    assert source_at(tm, 1.04) == pytest.approx(0.24, abs=1e-4)
    # the onset 0.28–0.40 s ends exactly at the second note's start
    assert source_at(tm, 2.0 - 0.06) == pytest.approx(0.34, abs=1e-4)
    assert source_at(tm, 2.0) == pytest.approx(0.40, abs=1e-4)
    assert any(
        start == pytest.approx(1.08, abs=1e-4) and end == pytest.approx(1.88, abs=1e-4)
        for start, end in tm.silent
    )


def test_a_rest_inside_a_word_is_sung_through_on_the_first_syllable():
    same_word = [
        Nucleus(0.10, 0.20, 0.15, word=0),
        Nucleus(0.40, 0.50, 0.45, word=0),
    ]  # "cat-dog" sung as one word
    slots = [Slot(0, 0.0, 1.0), Slot(1, 2.0, 3.0)]
    tm = sung_time_map(same_word, slots, splits=SPLITS, source_end=0.7, duration=3.0, consonant_cap_s=0.3)
    # no silence inside the word: the first vowel holds until the consonants lead into the second note
    assert not [span for span in tm.silent if span[1] <= 2.0]
    assert tm.vowels[0] == pytest.approx((0.1, 1.8), abs=1e-5)
    assert tm.tied == [pytest.approx((1.0, 1.8), abs=1e-5)]
    assert source_at(tm, 1.8) == pytest.approx(0.20, abs=1e-4)  # coda and onset at speaking speed, 0.2 s
    assert source_at(tm, 2.0) == pytest.approx(0.40, abs=1e-4)
    # in different words (or found without text) the rest stays silent, as in the test above
    apart = [Nucleus(0.10, 0.20, 0.15, word=0), Nucleus(0.40, 0.50, 0.45, word=1)]
    tm = sung_time_map(apart, slots, splits=SPLITS, source_end=0.7, duration=3.0, consonant_cap_s=0.3)
    assert not tm.tied and any(end - start > 0.5 for start, end in tm.silent)


def test_legato_consonants_form_one_cluster_mostly_before_the_beat_without_time_compression():
    slots = [Slot(0, 0.0, 1.0), Slot(1, 1.0, 2.0)]
    tm = sung_time_map(NUCLEI, slots, splits=SPLITS, source_end=0.7, duration=2.0, consonant_cap_s=0.3)
    # the first vowel (0.1–1.0 s) spares 20 % of its time, 0.18 s, of the cluster's 0.2 s
    assert tm.vowels[0][1] == pytest.approx(0.82, abs=1e-4)
    assert source_at(tm, 0.82) == pytest.approx(0.20, abs=1e-4)
    assert source_at(tm, 0.92) == pytest.approx(0.30, abs=1e-4)  # speed 1 through the cut at the split
    assert tm.vowels[1][0] == pytest.approx(1.02, abs=1e-4)


def test_a_cluster_takes_a_bounded_share_of_a_short_previous_vowel_and_the_rest_after_the_beat():
    slots = [Slot(0, 0.0, 0.3), Slot(1, 0.3, 2.0)]
    tm = sung_time_map(NUCLEI, slots, splits=SPLITS, source_end=0.7, duration=2.0, consonant_cap_s=0.3)
    # the first onset (0.1 s) may take 30 % of its 0.3 s note: 0.09 s; the vowel (0.09–0.3 s) spares 20 %
    assert tm.vowels[0] == pytest.approx((0.09, 0.258), abs=1e-4)
    assert tm.vowels[1][0] == pytest.approx(0.458, abs=1e-4)


def test_fast_notes_shorten_the_cluster():
    slots = [Slot(0, 0.0, 0.5), Slot(1, 0.5, 0.6)]  # room: 0.08 s before the beat + 0.03 s after it
    tm = sung_time_map(NUCLEI, slots, splits=SPLITS, source_end=0.7, duration=0.8, consonant_cap_s=0.3)
    assert tm.vowels[0][1] == pytest.approx(0.42, abs=1e-4)
    assert tm.vowels[1][0] == pytest.approx(0.53, abs=1e-4)
    assert source_at(tm, 0.42) == pytest.approx(0.20, abs=1e-4)
    assert source_at(tm, 0.53) == pytest.approx(0.40, abs=1e-4)


def test_the_cap_keeps_the_consonants_nearest_each_vowel():
    slots = [Slot(0, 0.0, 1.0), Slot(1, 2.0, 3.0)]
    tm = sung_time_map(NUCLEI, slots, splits=SPLITS, source_end=0.7, duration=3.0, consonant_cap_s=0.05)
    assert source_at(tm, 1.0) == pytest.approx(0.20, abs=1e-4)  # coda starts at the vowel's end
    assert source_at(tm, 2.0 - 0.05) == pytest.approx(
        0.35, abs=1e-4
    )  # onset: the last 50 ms before the vowel


def test_the_last_coda_sounds_before_the_melody_ends():
    slots = [Slot(0, 0.0, 1.0), Slot(1, 1.0, 2.0)]
    tm = sung_time_map(NUCLEI, slots, splits=SPLITS, source_end=0.6, duration=2.0, consonant_cap_s=0.3)
    assert tm.vowels[-1][1] == pytest.approx(1.9, abs=1e-4)
    assert source_at(tm, 1.95) == pytest.approx(0.55, abs=1e-4)
    assert source_at(tm, 2.0) == pytest.approx(0.60, abs=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_anchors_increase_and_run_backwards_in_the_speech_only_inside_a_steady_core(seed):
    rng = np.random.default_rng(seed)
    edges = np.sort(rng.uniform(0, 3, 2 * 6))
    nuclei = [
        Nucleus(a, b, (a + b) / 2, steady=(a + (b - a) / 3, b - (b - a) / 3) if k % 2 else None)
        for k, (a, b) in enumerate(edges.reshape(-1, 2))
    ]
    onsets = np.sort(rng.uniform(0, 8, 6))
    onsets[0] = 0.0
    ends = np.append(onsets[1:], 8.0) - rng.uniform(0, 0.3, 6) * (rng.random(6) < 0.5)
    slots = [
        Slot(k, float(s), float(max(e, s + 0.01))) for k, (s, e) in enumerate(zip(onsets, ends, strict=True))
    ]
    splits = [0.0, *((a.end + b.start) / 2 for a, b in itertools.pairwise(nuclei))]  # the first is unused
    tm = sung_time_map(nuclei, slots, splits=splits, source_end=3.2, duration=8.0, consonant_cap_s=0.3)
    target, source = tm.arrays()
    assert np.all(np.diff(target) > 0)
    cores = [n.steady for n in nuclei if n.steady]
    for back in np.flatnonzero(np.diff(source) < -1e-9):
        assert any(lo - 1e-9 <= source[back + 1] <= source[back] <= hi + 1e-9 for lo, hi in cores)
    assert target[-1] >= 8.0 - 1e-6


def test_a_held_vowel_passes_its_edges_at_twice_their_length_and_sweeps_its_steady_core():
    steady = [Nucleus(0.10, 0.20, 0.15, steady=(0.13, 0.16)), Nucleus(0.40, 0.50, 0.45)]
    slots = [Slot(0, 0.0, 1.0), Slot(1, 2.0, 3.0)]
    tm = sung_time_map(steady, slots, splits=SPLITS, source_end=0.7, duration=3.0, consonant_cap_s=0.3)
    # the vowel sounds 0.1–1.0 s: 30 ms of edge take 60 ms, then the core 0.13–0.16 s until 40 ms × 2 before the end
    assert source_at(tm, 0.13) == pytest.approx(0.115, abs=1e-4)
    assert source_at(tm, 0.16) == pytest.approx(0.13, abs=1e-4)
    core = np.array([source_at(tm, t) for t in np.arange(0.16, 0.92, 0.005)])
    assert core.min() >= 0.13 - 1e-6 and core.max() <= 0.16 + 1e-6
    assert np.sum(np.diff(core) < 0) > 0.3 * len(core)  # back and forth, not frozen
    assert source_at(tm, 0.96) == pytest.approx(0.18, abs=1e-4)
    assert source_at(tm, 1.0) == pytest.approx(0.20, abs=1e-4)


def test_quietest_points_split_at_the_pause():
    db = np.zeros(100)
    db[50] = -40.0  # frame 50 = 0.25 s at 5 ms frames
    nuclei = [Nucleus(0.05, 0.20, 0.1), Nucleus(0.35, 0.45, 0.4)]
    assert quietest_points(nuclei, db, 0.005) == pytest.approx([0.05, 0.25])


def test_short_vowels_widen_about_their_middle_without_crossing_their_neighbours():
    nuclei = [Nucleus(0.00, 0.02, 0.01), Nucleus(0.05, 0.08, 0.06), Nucleus(0.20, 0.40, 0.30)]
    widened = widen_short_vowels(nuclei, 0.08, source_end=0.45)
    assert widened[0] == Nucleus(0.0, 0.05, 0.01)  # the speech's start and the next vowel's start bound it
    assert widened[1].start == pytest.approx(0.05) and widened[1].end == pytest.approx(0.105)
    assert widened[2] == nuclei[2]  # long enough already
    assert widen_short_vowels(nuclei, 0.0, source_end=0.45) == nuclei
    assert all(a.end <= b.start + 1e-12 for a, b in itertools.pairwise(widened))


def test_the_steadiest_window_is_loud_and_unchanging():
    """Frames 0–19 silent (perfectly steady: the trap), 20–39 a gliding formant, 40–49 a fixed one."""
    freqs = np.linspace(0, 11025, 513)
    peak = np.r_[np.full(20, 1000.0), np.linspace(600, 1500, 20), np.full(30, 1500.0)]
    sp = np.exp(-(((freqs[None, :] - peak[:, None]) / 200) ** 2)) + 1e-3
    sp[:20] = 1e-9
    params = WorldParams(np.full(70, 120.0), sp, np.zeros_like(sp), 22050)
    vowel = Nucleus(0.0, 0.25, 0.2)  # frames 0–49
    (marked,) = steadiest_windows([vowel], params, vowel_band_db(params), 0.03)
    assert 0.195 <= marked.steady[0] and marked.steady[1] <= 0.25 + 1e-9  # frame 39 ends the glide at 1500 Hz
    assert (
        steadiest_windows([Nucleus(0.0, 0.03, 0.01)], params, vowel_band_db(params), 0.03)[0].steady is None
    )  # too short

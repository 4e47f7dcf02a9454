"""Each preset, simulated at a reduced size, lands in the ranges it is documented to have."""

from __future__ import annotations

import pytest

from dso_model.sim import load_preset, simulate
from dso_model.sim.calibration import CALIBRATION_TARGETS, calibration_summary

# Smaller books than the presets ship with, to keep the suite fast; the same ranges hold at the
# presets' own sizes (docs/simulator.md lists the full-size figures).
SIZES = {
    "small": {},
    "default": {"n_customers": 800},
    "es_b2b": {"n_customers": 500},
    "consumer": {"n_customers": 1000},
}
_SUMMARIES: dict[str, dict[str, float]] = {}


def summary_of(preset: str) -> dict[str, float]:
    if preset not in _SUMMARIES:
        config = load_preset(preset, **SIZES[preset], **{"oracle.replications": 0})
        _SUMMARIES[preset] = calibration_summary(simulate(config).portfolio, config.months)
    return _SUMMARIES[preset]


@pytest.mark.parametrize("preset", sorted(SIZES))
def test_preset_lands_in_its_calibration_ranges(preset):
    summary = summary_of(preset)
    for measure, (low, high) in CALIBRATION_TARGETS[preset].items():
        assert low <= summary[measure] <= high, (measure, summary[measure])
    assert summary["add"] > 0 and summary["bpdso"] > 0
    assert summary["write_off_share"] < 0.05


def test_spanish_b2b_pays_later_than_consumers():
    es, con = summary_of("es_b2b"), summary_of("consumer")
    assert es["dso"] > 2.5 * con["dso"]
    assert es["share_late"] > con["share_late"] + 0.25
    assert es["bpdso"] > 2 * con["bpdso"]  # longer terms

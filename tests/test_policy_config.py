"""Policy settings: the default file equals the code defaults; bad settings are user errors."""

from __future__ import annotations

import pytest

from dso_model.config import compose_config
from dso_model.errors import DsoInputError
from dso_model.policy.config import PolicyConfig
from dso_model.policy.evaluate import EvalSettings


def test_default_file_equals_code_defaults():
    assert PolicyConfig.default() == PolicyConfig()


def test_composed_app_config_builds():
    cfg = compose_config("policy_eval", ["policy.limits.per_day=2", "eval.horizon_months=12"])
    config = PolicyConfig.from_mapping(cfg.policy)
    assert config.limits.per_day == 2
    from omegaconf import OmegaConf

    settings = EvalSettings.from_mapping(OmegaConf.to_container(cfg.eval, resolve=True))
    assert settings.horizon_months == 12 and "next_best_action" in settings.policies


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"limts": {}}, "unknown policy setting"),
        ({"limits": {"per_channel_per_day": {"pigeon": 1}}}, "unknown channel"),
        ({"groups": {"unable": {"templates": {"overdue": "threat"}}}}, "unknown template"),
        ({"default_group": "vip"}, "default_group"),
        ({"limits": {"quiet_hours": [22, 30]}}, "quiet_hours"),
    ],
)
def test_bad_settings_are_user_errors(mapping, message):
    with pytest.raises(DsoInputError, match=message):
        PolicyConfig.from_mapping(mapping)


def test_unknown_eval_setting():
    with pytest.raises(DsoInputError, match="unknown eval setting"):
        EvalSettings.from_mapping({"horizon": 3})

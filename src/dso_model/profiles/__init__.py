"""Five profile groups: ability and willingness scores, assignment rules, evaluation.

``assign_profiles(portfolio, as_of, model, config)`` places every customer in exactly one of
``GROUPS`` with a confidence and readable reasons (Spanish and English); ``train_profile_model``
learns the two scores from observable proxy outcomes. See ``docs/profiles.md``.
"""

from dso_model.profiles.assign import assign_groups, assign_profiles, profile_columns
from dso_model.profiles.config import (
    ModelConfig,
    ProfileConfig,
    ProxyConfig,
    RuleConfig,
    WindowConfig,
)
from dso_model.profiles.customer_features import (
    CUSTOMER_FEATURES,
    NumberedBook,
    customer_features,
    number_ids,
)
from dso_model.profiles.evaluate import (
    cold_start_routing,
    confusion,
    evaluate_against_truth,
    macro_f1,
    oracle_groups,
)
from dso_model.profiles.groups import (
    BEHAVIOURAL_GROUPS,
    COLD_START_GROUPS,
    GROUP_ACTIONS,
    GROUP_LABELS,
    GROUPS,
    group_label,
)
from dso_model.profiles.model import ProfileModel
from dso_model.profiles.proxies import proxy_labels
from dso_model.profiles.training import (
    TrainedProfiles,
    build_panel,
    profile_months,
    train_profile_model,
)

__all__ = [
    "BEHAVIOURAL_GROUPS",
    "COLD_START_GROUPS",
    "CUSTOMER_FEATURES",
    "GROUPS",
    "GROUP_ACTIONS",
    "GROUP_LABELS",
    "ModelConfig",
    "NumberedBook",
    "ProfileConfig",
    "ProfileModel",
    "ProxyConfig",
    "RuleConfig",
    "TrainedProfiles",
    "WindowConfig",
    "assign_groups",
    "assign_profiles",
    "build_panel",
    "cold_start_routing",
    "confusion",
    "customer_features",
    "evaluate_against_truth",
    "group_label",
    "macro_f1",
    "number_ids",
    "oracle_groups",
    "profile_columns",
    "profile_months",
    "proxy_labels",
    "train_profile_model",
]

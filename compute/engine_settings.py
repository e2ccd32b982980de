"""What operators may set per pool for its engine (``Pool.engine_config``), and the checks with the
messages they see. The engines read these settings from ``JobSpec.placement`` when a job is submitted.

- local: nothing (cards are slots on this host).
- slurm: ``partition`` (required), ``gres_name`` ("gpu" unless set), ``gres_type`` (the chip type's
  Slurm GRES type unless set), ``account``, ``qos``.
- kubernetes: ``namespace``, ``resource_name`` (the chip type's extended resource unless set),
  ``node_selector`` (node labels), ``image``.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from compute.models import EngineName

_SLURM_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_RESOURCE_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}")

SETTINGS: dict[str, tuple[str, ...]] = {
    EngineName.LOCAL: (),
    EngineName.SLURM: ("partition", "gres_name", "gres_type", "account", "qos"),
    EngineName.KUBERNETES: ("namespace", "resource_name", "node_selector", "image"),
}
REQUIRED: dict[str, tuple[str, ...]] = {EngineName.SLURM: ("partition",)}


def engine_config_problems(engine: str, config: Any) -> list[str]:
    """Everything wrong with ``config`` as the settings of a pool on ``engine``, in the user's words."""
    if engine not in SETTINGS:
        return [_("“%(engine)s” is not a compute engine.") % {"engine": engine}]
    if not isinstance(config, dict):
        return [_('The engine settings must be a JSON object, such as {"partition": "gpu"}.')]
    allowed = SETTINGS[engine]
    problems = []
    for key in sorted(set(config) - set(allowed)):
        if allowed:
            problems.append(
                _("“%(key)s” is not a setting of the %(engine)s engine; it takes %(allowed)s.")
                % {"key": key, "engine": engine, "allowed": ", ".join(allowed)}
            )
        else:
            problems.append(_("The %(engine)s engine takes no settings (“%(key)s”).") % {"key": key, "engine": engine})
    for key in REQUIRED.get(engine, ()):
        if not config.get(key):
            problems.append(_("Set “%(key)s”: the %(engine)s engine needs it.") % {"key": key, "engine": engine})
    for key in allowed:
        if key in config and (problem := _value_problem(key, config[key])):
            problems.append(problem)
    return problems


def _value_problem(key: str, value: Any) -> str:
    if key in ("partition", "gres_name", "gres_type", "account", "qos"):
        if not isinstance(value, str) or not _SLURM_NAME.fullmatch(value):
            return _("“%(key)s” must be a Slurm name: letters, digits, “_”, “.” or “-”.") % {"key": key}
    elif key == "namespace":
        if not isinstance(value, str) or len(value) > 63 or not _DNS_LABEL.fullmatch(value):
            return _("“namespace” must be a Kubernetes namespace: lower-case letters, digits and “-”.")
    elif key == "resource_name":
        if not isinstance(value, str) or not _RESOURCE_NAME.fullmatch(value):
            return _("“resource_name” must be an extended resource such as “huawei.com/Ascend910B3”.")
    elif key == "node_selector":
        valid = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) and _LABEL_KEY.fullmatch(k) and _LABEL_VALUE.fullmatch(v)
            for k, v in value.items()
        )
        if not valid:
            return _('“node_selector” must map node label names to values, such as {"accelerator": "910b3"}.')
    elif key == "image" and (not isinstance(value, str) or not _IMAGE.fullmatch(value)):
        return _("“image” must be a container image reference.")
    return ""

"""Every rendered object is valid: Kubernetes' kinds against Kubernetes 1.32, CloudNativePG's against its CRDs."""

from __future__ import annotations

import copy

from .manifests import Rendering
from .schemas import CUSTOM_KINDS, CustomResourceValidator, Outcome


def test_every_object_of_kubernetes_kinds_is_valid_for_kubernetes_1_32_with_no_unknown_field(
    variant: Rendering, kubernetes_outcomes: dict[str, list[Outcome]]
) -> None:
    outcomes = kubernetes_outcomes[variant.variant]

    assert len(outcomes) == len(variant.objects) > 0
    assert [f"{o.label}: {o.error}" for o in outcomes if o.error] == []


def test_only_the_known_custom_resources_lack_a_kubernetes_schema(
    variant: Rendering, kubernetes_outcomes: dict[str, list[Outcome]]
) -> None:
    without_schema = {o.key for o in kubernetes_outcomes[variant.variant] if o.no_schema}

    assert without_schema <= CUSTOM_KINDS, f"{variant.variant}: no schema anywhere for {without_schema - CUSTOM_KINDS}"


def test_every_custom_resource_is_valid_for_its_crd(
    variant: Rendering, custom_resources: CustomResourceValidator
) -> None:
    custom = [obj for obj in variant.objects if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS]

    outcomes = custom_resources.validate(custom)

    assert [f"{o.label}: {o.error}" for o in outcomes if o.error] == []


def test_the_custom_resource_check_rejects_a_wrong_value_and_an_unknown_kind(
    prod: Rendering, custom_resources: CustomResourceValidator
) -> None:
    broken = copy.deepcopy(prod.named("Cluster", "zentrale-pg"))
    broken["spec"]["instances"] = "three"
    unknown = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}

    outcomes = custom_resources.validate([broken, unknown])

    assert [o.error is not None for o in outcomes] == [True, True]
    assert "instances" in str(outcomes[0].error)

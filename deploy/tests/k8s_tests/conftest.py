"""Render every kustomize variant once per session; find the tools the checks need or say plainly what was not run."""

from __future__ import annotations

import shutil

import pytest

from .manifests import OVERLAYS, VARIANTS, Rendering, render
from .schemas import CustomResourceValidator, Outcome, install_models, validate_kubernetes


@pytest.fixture(scope="session")
def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl is not on PATH: the Kubernetes manifests were NOT rendered or validated")
    return found


@pytest.fixture(scope="session")
def renderings(kubectl: str) -> dict[str, Rendering]:
    """base, dev and prod, each rendered by kustomize once."""
    return {variant: Rendering(variant, render(kubectl, variant)) for variant in VARIANTS}


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest, renderings: dict[str, Rendering]) -> Rendering:
    """Each variant in turn: the base alone and every overlay."""
    return renderings[str(request.param)]


@pytest.fixture(scope="session")
def kubernetes_outcomes(renderings: dict[str, Rendering]) -> dict[str, list[Outcome]]:
    """Each variant's objects checked against the Kubernetes schemas, once (it takes seconds)."""
    return {name: [validate_kubernetes(obj) for obj in r.objects] for name, r in renderings.items()}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, renderings: dict[str, Rendering]) -> Rendering:
    """Each overlay in turn: what operators install."""
    return renderings[str(request.param)]


@pytest.fixture
def dev(renderings: dict[str, Rendering]) -> Rendering:
    return renderings["dev"]


@pytest.fixture
def prod(renderings: dict[str, Rendering]) -> Rendering:
    return renderings["prod"]


@pytest.fixture(scope="session")
def custom_resources() -> CustomResourceValidator:
    """deploy/k8s/schemas/validate.mjs with its models installed (``npm ci``, only when the lock changed)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "node and npm are not on PATH: the CloudNativePG resources were NOT validated against their CRD schemas"
        )
    return CustomResourceValidator(node=node, modules=install_models(npm))

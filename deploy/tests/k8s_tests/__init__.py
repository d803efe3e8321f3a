"""Tests of the Kubernetes manifests in deploy/k8s: rendered with kustomize, validated, checked against the code."""

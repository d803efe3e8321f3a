"""Test support shared by every service: real PostgreSQL and NATS, a clean database per test."""

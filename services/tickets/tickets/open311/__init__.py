"""Open311 GeoReport v2: each municipality is a jurisdiction; its request types are the services."""

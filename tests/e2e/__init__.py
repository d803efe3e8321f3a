"""End-to-end tests: the whole stack as ``make run`` starts it, driven through the gateway only."""

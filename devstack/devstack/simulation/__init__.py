"""A simulated day at the service center: planned offline, played against the running stack, then reported."""

"""What every HTTP app of Zentrale shares: problem rendering, guards, health, identity dependencies."""

"""Business-time arithmetic on a municipality's calendar: reachability hours, time zone, holidays, closures."""

"""Group commit: concurrent requests of one client share one transaction (see ``lanes``)."""

"""Group commit: concurrent requests share one transaction (see ``coalescing``)."""

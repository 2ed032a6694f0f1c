"""HTTP plumbing under every face: request bounds, rate limits, the served connections, and
what every answer of the API process carries (security and caching headers, the 503 of a
graceful stop)."""

"""HTTP plumbing under every face: request bounds, rate limits and the served connections."""

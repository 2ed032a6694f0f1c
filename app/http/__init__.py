"""HTTP plumbing under every face: what is done with raw input before a service sees it, the
bounds on every request (size, deadlines, rate limits, the served connections), and what every
answer of the API process carries (security and caching headers, the 503 of a graceful stop)."""

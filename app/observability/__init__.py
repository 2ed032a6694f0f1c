"""Operating the service: health and readiness, Prometheus metrics, structured logs."""

"""Indgang's benchmark: throughput, latency and page weight (`python -m bench.run`)."""

"""Benchmarks: ``python -m bench`` grows synthetic catalogs and measures the engine at scale."""

"""Thin Hydra entry points: configuration, I/O and tracking around the pure core."""

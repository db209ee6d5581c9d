"""Monitors: zone, time and data triggers evaluated on every vehicle data sample."""

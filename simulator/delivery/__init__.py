"""Callbacks and (later) the delivery of events to their targets."""

"""Callbacks: what an integrator subscribes to be notified by, and where.

* :mod:`~simulator.callbacks.model`: the callback, its types and status.
* :mod:`~simulator.callbacks.channels`: its channels (webhook, websocket, push) as typed
  values built once from the validated subscription, and the older monitor form's own
  webhook with its retry policy and batching.
* :mod:`~simulator.callbacks.attributes`: the routing attributes' rules (pydantic).
* :mod:`~simulator.callbacks.variables`: attributes merged per event and their
  ``$variables`` expanded.
* :mod:`~simulator.callbacks.registry`: the callbacks of each user and client.

Pure domain: no HTTP here.  Delivery reads the typed channels; the API layer renders
the stored subscription.  This ``__init__`` imports nothing, so that the event types
(:mod:`simulator.events`) can name the channel values without a cycle.
"""

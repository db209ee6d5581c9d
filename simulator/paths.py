"""Where each API is served: the URL prefixes, written once.

The v4 API and the identity server sit at the real services' paths; the control
API (reset, clock, fleet, deliveries...) is the simulator's own.
"""

from __future__ import annotations

API_PREFIX = "/connectedcar/v4"
"""The connected-car API v4 (``simulator.api``)."""
AUTH_PREFIX = "/am/oauth2"
"""The identity server: OAuth 2 and OpenID Connect (``simulator.auth``)."""
CONTROL_PREFIX = "/simulator/v1"
"""The control API (``simulator.control``)."""

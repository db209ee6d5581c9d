"""Request bodies of the v4 API that work as written: the OpenAPI document's examples.

Each is checked by the test suite against its operation's schema and posted to a running
simulator (``tests/test_openapi_bodies.py``); the README's gallery shows the same ones.
Path ids aside (``{id}``, ``{cbid}``, ``{mid}``), they need nothing but the demo user.
"""

from __future__ import annotations

from typing import Any

from simulator.api.operations import Example

# ------------------------------------------------------------------ callbacks
WEBHOOK_CALLBACK: dict[str, Any] = {
    "label": "my-app",
    "type": ["Remote", "Monitor"],
    "callback": {
        "webhook": {
            "name": "my-app",
            "target": "https://localhost:8080/hook",
            "attributes": [{"type": "Header", "key": "X-Vehicle", "value": "$VIN"}],
        }
    },
}
WEBSOCKET_CALLBACK: dict[str, Any] = {
    "label": "my-socket",
    "type": ["Remote"],
    "callback": {"websocket": {"target": "wss://localhost:8081/events"}},
}
CALLBACK_EXAMPLES = (
    Example("webhook", "An HTTPS webhook for remotes and monitors", WEBHOOK_CALLBACK),
    Example("websocket", "A websocket for remotes only", WEBSOCKET_CALLBACK),
)
CALLBACK_STATUS_EXAMPLES = (
    Example("pause", "Stop sending (events wait)", {"status": "Paused"}),
    Example("resume", "Send again", {"status": "Running"}),
)

# ------------------------------------------------------------------ remotes: one per action
REMOTES: dict[str, tuple[str, dict[str, Any]]] = {
    "preconditioning": (
        "Start the air conditioning now",
        {"preconditioning": {"airConditioning": {"immediate": True}}},
    ),
    "immobilization": (
        "Immobilize: the vehicle cannot start a trip",
        {"immobilization": {"activate": True}},
    ),
    "door": ("Lock the doors", {"label": "lock", "door": {"state": "Locked"}}),
    "horn": ("Sound the horn", {"horn": {"state": "Activated"}}),
    "charging": ("Start charging now (electric or plug-in)", {"charging": {"immediate": True}}),
    "stolen": ("Declare the vehicle stolen", {"stolen": {"stolen": True}}),
    "lights": ("Flash the lights", {"lights": {"on": True}}),
    "wakeUp": ("Wake the vehicle up for a fresh status", {"wakeUp": {"action": "WakeUp"}}),
    "navigation": (
        "Send a destination ([longitude, latitude])",
        {"navigation": {"positions": [{"type": "Point", "coordinates": [2.295, 48.8738]}]}},
    ),
}
"""The nine actions, by the key they are sent under."""
REMOTE_EXAMPLES = tuple(Example(key, summary, body) for key, (summary, body) in REMOTES.items())

# ------------------------------------------------------------------ monitors
LEAVE_ZONE: dict[str, Any] = {
    "label": "left-home",
    "triggerParam": {
        "triggers": [
            {
                "name": "home",
                "zone": {
                    "transition": "Out",
                    "place": {"center": {"longitude": 2.3522, "latitude": 48.8566}, "radius": 0.5},
                },
            }
        ],
        "boolExp": "home",
    },
}
NIGHT_USE: dict[str, Any] = {
    "label": "night-use",
    "triggerParam": {
        "triggers": [
            {
                "name": "night",
                "time": {
                    "times": [{"recurrence": "Daily", "start": "PT23H", "duration": "PT6H"}],
                    "timeZone": "Europe/Paris",
                },
            },
            {
                "name": "moving",
                "data": {"data": "vehicle.kinetic.moving", "op": "equalsTo", "value": ["true"]},
            },
        ],
        "boolExp": "night & moving",
    },
}
LOW_FUEL: dict[str, Any] = {
    "label": "low-fuel",
    "triggerParam": {
        "triggers": [
            {
                "name": "fuel",
                "data": {"data": "vehicle.energy.fuel.level", "op": "lowerThan", "value": ["10"]},
            }
        ],
        "boolExp": "fuel",
    },
}
_MONITORS = (
    ("leaveZone", "Zone trigger: leaves a circle (radius in km)", LEAVE_ZONE),
    ("nightUse", "Time trigger: moves between 23:00 and 05:00 (local time)", NIGHT_USE),
    ("lowFuel", "Data trigger: fuel level under 10 %", LOW_FUEL),
)
MONITOR_EXAMPLES = tuple(Example(name, summary, body) for name, summary, body in _MONITORS)
OWN_WEBHOOK: dict[str, Any] = {
    "callback": {"name": "my-monitor", "target": "https://localhost:8080/monitor"},
    "retryPolicy": {"policy": "Bounded", "maxRetryNumber": 3, "retryDelay": 30},
}
LEGACY_MONITOR_EXAMPLES = tuple(
    Example(name, summary + "; the monitor's own webhook", {**body, "subscribeParam": OWN_WEBHOOK})
    for name, summary, body in _MONITORS
)
MONITOR_STATUS_EXAMPLES = (
    Example("pause", "Stop watching", {"status": "Paused"}),
    Example("resume", "Watch again", {"status": "Running"}),
)

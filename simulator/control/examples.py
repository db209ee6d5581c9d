"""Control API bodies that work as written: the OpenAPI document's examples.

Checked by ``tests/test_openapi_bodies.py`` against their schemas and against a running
simulator (path ids aside: a vehicle or client of that simulator).
"""

from __future__ import annotations

from simulator.api.operations import Example
from simulator.config import DEFAULT_USER

ADVANCE = (
    Example(
        "minutes",
        "Ten simulated minutes: timers, remotes and deliveries due fire",
        {"seconds": 600},
    ),
)
SPEED = (Example("minuteASecond", "One simulated minute per real second", {"speed": 60}),)
CREATE_VEHICLE = (
    Example(
        "electric",
        "An electric car for the demo user (other fields: random from the catalog)",
        {"owner": DEFAULT_USER, "motorization": "Electric"},
    ),
)
CREATE_USER = (
    Example(
        "user",
        "A second user (e-mail is the login)",
        {"email": "alice@example.com", "password": "alice-pw", "firstName": "Alice"},
    ),
)
CREATE_CLIENT = (
    Example(
        "client",
        "An app acting for the demo user (every scope by default)",
        {"clientId": "fleet-app", "clientSecret": "fleet-secret", "defaultUser": DEFAULT_USER},
    ),
)
RATE_LIMIT = (
    Example("limited", "1000 calls a day, bursts of 10", {"perDay": 1000, "burst": 10}),
    Example("unlimited", "No limits for this client", {"perDay": None}),
)
LIFE = (
    Example("start", "Vehicles commute, park and charge on the clock", {"enabled": True}),
    Example("stop", "A still fleet: only what you do happens", {"enabled": False}),
)
NOTIFICATION = (
    Example(
        "remoteDone",
        "A remote's Done event to a webhook, as the lifecycle would send it",
        {
            "webhook": {"name": "my-app", "target": "https://localhost:8080/hook"},
            "vin": "VR3UHZKXZLT123456",
            "type": "Remote",
            "remoteEvent": {
                "remoteActionId": "demo-remote",
                "remoteType": "Doors",
                "eventStatus": {"type": "Done", "status": "Success"},
            },
        },
    ),
)
DELIVERY_CONFIG = (
    Example("timeout", "Give targets 5 wall-clock seconds to answer", {"timeoutSeconds": 5}),
)
BEHAVIOUR = (
    Example("offline", "Out of coverage: remotes time out", {"online": False}),
    Example(
        "slow",
        "Asleep, with a 30 s wake-up and 5 s to execute (simulated seconds)",
        {"online": True, "asleep": True, "timing": {"wake": 30, "execute": 5}},
    ),
)
FAILURES = (
    Example(
        "doorFails",
        "The next door remote fails with VehicleError",
        {"cause": "VehicleError", "count": 1, "action": "door"},
    ),
)
STATE = (
    Example("lowFuel", "Fuel down to 8 % (a data sample follows)", {"fuelLevel": 8}),
    Example(
        "parkedUnlocked",
        "Parked in Paris, doors unlocked, 21 °C outside",
        {
            "position": {"longitude": 2.3522, "latitude": 48.8566},
            "speedKmh": 0,
            "lockedStates": ["Unlocked"],
            "airTempC": 21,
        },
    ),
)
DRIVE = (
    Example(
        "toWork",
        "Drive to a point at 40 km/h on average",
        {"to": {"longitude": 2.295, "latitude": 48.8738}, "speedKmh": 40},
    ),
)
SCENARIO = (
    Example(
        "oneCar",
        "A user, their electric car at home, a still fleet",
        {
            "yaml": "life: false\n"
            "users:\n  - {email: alice@example.com, password: alice-pw}\n"
            "vehicles:\n  - name: alice-car\n    owner: alice@example.com\n"
            "    motorization: Electric\n"
            "    state: {position: {longitude: 2.3522, latitude: 48.8566}, electricLevel: 80}\n"
        },
    ),
)
FAULTS = (
    Example(
        "statusDown",
        "The next 3 status reads of any vehicle answer 503 with Retry-After: 30",
        {
            "method": "GET",
            "path": "/connectedcar/v4/user/vehicles/*/status",
            "status": 503,
            "retryAfter": 30,
            "count": 3,
        },
    ),
    Example(
        "slowList",
        "Listing vehicles waits 1.5 real seconds before its answer",
        {"method": "GET", "path": "/connectedcar/v4/user/vehicles", "latencyMs": 1500},
    ),
    Example(
        "flakyRemotes",
        "One remote in five of client fleet-app fails with 502 (seeded draws: the same each run)",
        {
            "method": "POST",
            "path": "/connectedcar/v4/user/vehicles/*/callbacks/*/remotes",
            "clientId": "fleet-app",
            "status": 502,
            "probability": 0.2,
        },
    ),
    Example(
        "tokenOutage",
        "The token endpoint answers 500 to client fleet-app for the next 2 tries",
        {"path": "/am/oauth2/access_token", "clientId": "fleet-app", "status": 500, "count": 2},
    ),
)

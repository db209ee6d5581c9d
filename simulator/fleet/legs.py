"""The leg planner: a trip from one place to another along a gently curved road.

A :class:`Leg` is planned from the two places and the vehicle's top speed alone (its
distance, speeds, duration and a few points on a quadratic Bézier curve between the
places); the generator schedules legs in a vehicle's past, the living fleet drives them
tick by tick with :func:`along`.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from simulator.geometry import (
    LonLat,
    bearing_deg,
    distance_km,
    interpolate,
    offset,
    quadratic_bezier,
)

__all__ = ["Leg", "along", "plan_leg"]


@dataclass(slots=True)
class Leg:
    """One planned trip: geometry first, times once scheduled."""

    points: list[LonLat]
    fractions: list[float]  # share of the distance driven at each point
    distance_km: float
    avg_speed_kmh: float
    max_speed_kmh: float
    duration: timedelta
    start: datetime = field(default=datetime.min.replace(tzinfo=UTC))

    @property
    def end(self) -> datetime:
        return self.start + self.duration


def plan_leg(rng: random.Random, a: LonLat, b: LonLat, top_speed: float) -> Leg:
    """A leg from ``a`` to ``b`` for a vehicle whose top speed is ``top_speed`` km/h."""
    straight = max(distance_km(a, b), 0.5)
    distance = round(straight * rng.uniform(1.2, 1.45) + 0.3, 1)
    if distance < 6.0:
        avg = rng.uniform(20.0, 32.0)
    elif distance < 25.0:
        avg = rng.uniform(32.0, 52.0)
    else:
        avg = rng.uniform(55.0, 85.0)
    max_speed = round(min(top_speed, 130.0, max(avg + 15.0, avg * rng.uniform(1.5, 2.0))), 1)
    duration = timedelta(seconds=round(distance / avg * 3600.0))
    n_points = min(5, max(3, 2 + round(distance / 10.0)))
    # a gently curved road: quadratic Bézier with a sideways control point
    mid = ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
    bend = rng.uniform(-0.25, 0.25) * straight
    heading = math.atan2(b[1] - a[1], b[0] - a[0])
    control = offset(mid[0], mid[1], -math.sin(heading) * bend, math.cos(heading) * bend)
    points = [a]
    for i in range(1, n_points - 1):
        lon, lat = quadratic_bezier(a, control, b, i / (n_points - 1))
        points.append((round(lon, 6), round(lat, 6)))
    points.append(b)
    cumulative = [0.0]
    for p, q in itertools.pairwise(points):
        cumulative.append(cumulative[-1] + distance_km(p, q))
    total = cumulative[-1] or 1.0
    return Leg(
        points=points,
        fractions=[c / total for c in cumulative],
        distance_km=distance,
        avg_speed_kmh=avg,
        max_speed_kmh=max_speed,
        duration=duration,
    )


def along(
    points: list[LonLat], fractions: list[float], fraction: float
) -> tuple[float, float, int]:
    """Where a vehicle is, and its heading, once it has driven ``fraction`` of the leg
    whose ``points`` and ``fractions`` are given: (lon, lat, heading in degrees)."""
    for i in range(1, len(points)):
        if fraction <= fractions[i] or i == len(points) - 1:
            span = (fractions[i] - fractions[i - 1]) or 1.0
            t = min(1.0, max(0.0, (fraction - fractions[i - 1]) / span))
            a, b = points[i - 1], points[i]
            lon, lat = interpolate(a, b, t)
            return round(lon, 6), round(lat, 6), bearing_deg(a, b)
    return points[-1][0], points[-1][1], 0

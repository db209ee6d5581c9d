"""Geometry on the Earth, shared by the fleet (homes, places, roads, headings) and the
monitors (zone triggers).

Coordinates are always ``(lon, lat)`` in degrees, distances in kilometres, on a sphere of
mean radius :data:`EARTH_RADIUS_KM`.  Distances are great-circle (haversine) distances;
offsets and headings use a local equirectangular projection around the points (one degree
of latitude is :data:`KM_PER_DEG`, one degree of longitude that times the cosine of the
latitude), exact enough at the scale of a city or a day's drive; curves are drawn in the
(lon, lat) plane.
"""

from __future__ import annotations

from math import asin, atan2, cos, degrees, pi, radians, sin, sqrt

__all__ = [
    "EARTH_RADIUS_KM",
    "KM_PER_DEG",
    "LonLat",
    "bearing_deg",
    "distance_km",
    "haversine_km",
    "interpolate",
    "offset",
    "quadratic_bezier",
    "toward",
]

LonLat = tuple[float, float]
"""A point: (longitude, latitude) in degrees."""

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), in km."""

_RAD = pi / 180.0
_HALF_RAD = pi / 360.0

KM_PER_DEG = EARTH_RADIUS_KM * _RAD
"""Length of one degree of latitude (of a great circle), in km."""


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km between two (lon, lat) points in degrees."""
    s = sin((lat2 - lat1) * _HALF_RAD)
    t = sin((lon2 - lon1) * _HALF_RAD)
    a = s * s + cos(lat1 * _RAD) * cos(lat2 * _RAD) * t * t
    if a > 1.0:
        a = 1.0
    return 2.0 * EARTH_RADIUS_KM * asin(sqrt(a))


def distance_km(a: LonLat, b: LonLat) -> float:
    """:func:`haversine_km` between two points."""
    return haversine_km(a[0], a[1], b[0], b[1])


def bearing_deg(a: LonLat, b: LonLat) -> int:
    """Heading from ``a`` to ``b`` in whole degrees clockwise from north, 0..359."""
    mean_lat = radians((a[1] + b[1]) / 2.0)
    dx = (b[0] - a[0]) * cos(mean_lat)
    dy = b[1] - a[1]
    return round(degrees(atan2(dx, dy))) % 360


def offset(lon: float, lat: float, east_km: float, north_km: float) -> LonLat:
    """The point ``east_km`` east and ``north_km`` north of (lon, lat)."""
    return (
        lon + east_km / (KM_PER_DEG * cos(radians(lat))),
        lat + north_km / KM_PER_DEG,
    )


def toward(lon: float, lat: float, bearing_rad: float, km: float) -> LonLat:
    """The point ``km`` away from (lon, lat) in the direction ``bearing_rad`` (radians
    clockwise from north)."""
    return offset(lon, lat, km * sin(bearing_rad), km * cos(bearing_rad))


def interpolate(a: LonLat, b: LonLat, t: float) -> LonLat:
    """The point at fraction ``t`` (0..1) of the straight (lon, lat) segment from ``a`` to
    ``b``."""
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def quadratic_bezier(a: LonLat, control: LonLat, b: LonLat, t: float) -> LonLat:
    """The point at parameter ``t`` (0..1) of the quadratic Bézier curve from ``a`` to ``b``
    pulled towards ``control``."""
    u = 1.0 - t
    return (
        u * u * a[0] + 2 * u * t * control[0] + t * t * b[0],
        u * u * a[1] + 2 * u * t * control[1] + t * t * b[1],
    )

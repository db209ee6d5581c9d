"""Zone geometry: circles and polygons against independent references, and hysteresis."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator.geometry import EARTH_RADIUS_KM, haversine_km
from simulator.monitors.geometry import Circle, Polygon

KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0
SHAPELY_REASON = "shapely (dev dependency) is the polygon reference"


@pytest.fixture(scope="module")
def sh() -> Any:
    return pytest.importorskip("shapely", reason=SHAPELY_REASON)


# --- independent references ------------------------------------------------------------------


def chord_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance from the chord between 3-D unit vectors (well conditioned)."""

    def unit(lon: float, lat: float) -> tuple[float, float, float]:
        lo, la = math.radians(lon), math.radians(lat)
        return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))

    chord = math.dist(unit(lon1, lat1), unit(lon2, lat2))
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2.0))


def destination(lon: float, lat: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point ``km`` away from (lon, lat) along the initial ``bearing_deg``."""
    phi, lam = math.radians(lat), math.radians(lon)
    theta, delta = math.radians(bearing_deg), km / EARTH_RADIUS_KM
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return (math.degrees(lam2) + 180.0) % 360.0 - 180.0, math.degrees(phi2)


def wrap_lon(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


# --- haversine and circles --------------------------------------------------------------------

lons = st.floats(-180.0, 180.0)
lats = st.floats(-90.0, 90.0)


def test_haversine_known_distance() -> None:
    # Paris (Notre-Dame) to London (Charing Cross): about 343.5 km
    assert haversine_km(2.3522, 48.8566, -0.1276, 51.5072) == pytest.approx(343.5, abs=0.5)
    assert haversine_km(0.0, 0.0, 180.0, 0.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert haversine_km(179.999, 10.0, -179.999, 10.0) == pytest.approx(0.219, abs=0.001)


@settings(deadline=None)
@given(lons, lats, lons, lats)
def test_haversine_matches_chord_reference(
    lon1: float, lat1: float, lon2: float, lat2: float
) -> None:
    expected = chord_km(lon1, lat1, lon2, lat2)
    assert haversine_km(lon1, lat1, lon2, lat2) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@st.composite
def circle_and_point(draw: st.DrawFn) -> tuple[Circle, float, float]:
    lon0, lat0 = draw(lons), draw(lats)
    radius = 10.0 ** draw(st.floats(-2.0, 3.7))
    circle = Circle(lon0, lat0, radius)
    reach = math.degrees((radius + circle.margin_km) / EARTH_RADIUS_KM)
    lat = min(90.0, max(-90.0, lat0 + draw(st.floats(-2.5, 2.5)) * reach))
    stretch = max(math.cos(math.radians(lat0)), 0.01)
    lon = wrap_lon(lon0 + draw(st.floats(-2.5, 2.5)) * reach / stretch)
    return circle, lon, lat


@settings(max_examples=500, deadline=None)
@given(circle_and_point())
def test_circle_against_reference(case: tuple[Circle, float, float]) -> None:
    circle, lon, lat = case
    r, m = circle.radius_km, circle.margin_km
    d = chord_km(circle.lon, circle.lat, lon, lat)
    tol = 1e-6 + 1e-9 * r
    assert circle.distance_to_border_km(lon, lat) == pytest.approx(abs(d - r), abs=tol)
    if abs(d - r) > tol:
        assert circle.contains(lon, lat) is (d <= r)
        assert circle.inside(lon, lat, None) is (d <= r)
    if abs(d - (r + m)) > tol:
        assert circle.inside(lon, lat, True) is (d <= r + m)
    if abs(d - (r - m)) > tol:
        assert circle.inside(lon, lat, False) is (d < r - m)


@pytest.mark.parametrize(
    ("circle", "point", "expected"),
    [
        (Circle(179.99, 0.0, 5.0), (-179.99, 0.0), True),  # across the antimeridian
        (Circle(-179.99, 0.0, 5.0), (179.99, 0.01), True),
        (Circle(179.99, 0.0, 5.0), (-179.9, 0.0), False),
        (Circle(0.0, 90.0, 100.0), (123.0, 89.2), True),  # centred on the pole
        (Circle(0.0, 90.0, 100.0), (-57.0, 89.0), False),
        (Circle(10.0, 89.9, 50.0), (-170.0, 89.9), True),  # holds the pole
        (Circle(0.0, 0.0, 20100.0), (180.0, 0.0), True),  # more than half a great circle
        (Circle(0.0, 0.0, 20000.0), (180.0, 0.0), False),
        (Circle(0.0, 0.0, 1.0), (0.0, 0.0), True),
    ],
)
def test_circle_special_places(circle: Circle, point: tuple[float, float], expected: bool) -> None:
    assert circle.contains(*point) is expected
    assert circle.contains(*point) is (chord_km(circle.lon, circle.lat, *point) <= circle.radius_km)


def test_circle_margin() -> None:
    assert Circle(0.0, 0.0, 1.0).margin_km == 0.05
    assert Circle(0.0, 0.0, 10.0).margin_km == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((181.0, 0.0, 1.0), "longitude"),
        ((-180.5, 0.0, 1.0), "longitude"),
        ((0.0, 90.1, 1.0), "latitude"),
        ((0.0, math.nan, 1.0), "latitude"),
        ((0.0, 0.0, 0.0), "radius"),
        ((0.0, 0.0, -1.0), "radius"),
        ((0.0, 0.0, math.inf), "radius"),
    ],
)
def test_circle_validation(args: tuple[float, float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Circle(*args)


# --- polygons -------------------------------------------------------------------------------


@st.composite
def star_polygon(draw: st.DrawFn) -> list[tuple[float, float]]:
    """A simple, usually concave, polygon: sorted angles (gaps < pi), random radii."""
    lon0 = draw(st.floats(-170.0, 170.0))
    lat0 = draw(st.floats(-75.0, 75.0))
    size = 10.0 ** draw(st.floats(-3.0, 0.5))
    n = draw(st.integers(3, 12))
    jitters = draw(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n))
    radii = draw(st.lists(st.floats(0.15, 1.0), min_size=n, max_size=n))
    points = []
    for i in range(n):
        angle = 2.0 * math.pi * (i + jitters[i]) / n
        points.append(
            (lon0 + size * radii[i] * math.cos(angle), lat0 + size * radii[i] * math.sin(angle))
        )
    return points


@st.composite
def polygon_and_point(draw: st.DrawFn) -> tuple[list[tuple[float, float]], float, float]:
    points = draw(star_polygon())
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    wx, wy = max(xs) - min(xs), max(ys) - min(ys)
    lon = draw(st.floats(min(xs) - 0.3 * wx, max(xs) + 0.3 * wx))
    lat = draw(st.floats(min(ys) - 0.3 * wy, max(ys) + 0.3 * wy))
    return points, lon, lat


def projected_distance_km(
    sh: Any, points: list[tuple[float, float]], lon: float, lat: float
) -> float:
    """Shapely's planar distance to the ring, projected equirectangularly around the point."""
    c = math.cos(math.radians(lat))
    ring = [((x - lon) * c * KM_PER_DEG, (y - lat) * KM_PER_DEG) for x, y in points]
    return float(sh.LinearRing(ring).distance(sh.Point(0.0, 0.0)))


@settings(max_examples=500, deadline=None)
@given(polygon_and_point(), st.booleans())
def test_polygon_against_shapely(
    sh: Any, case: tuple[list[tuple[float, float]], float, float], closed: bool
) -> None:
    points, lon, lat = case
    reference = sh.Polygon(points)
    assume(reference.is_valid)
    point = sh.Point(lon, lat)
    assume(reference.exterior.distance(point) > 1e-9)
    polygon = Polygon([*points, points[0]] if closed else points)
    inside = bool(reference.contains(point))
    assert polygon.contains(lon, lat) is inside
    assert polygon.inside(lon, lat, None) is inside

    d = projected_distance_km(sh, points, lon, lat)
    assert polygon.distance_to_border_km(lon, lat) == pytest.approx(d, rel=1e-9, abs=1e-9)
    m = polygon.margin_km
    assume(abs(d - m) > 1e-9)
    assert polygon.inside(lon, lat, True) is (inside or d <= m)
    assert polygon.inside(lon, lat, False) is (inside and d > m)


U_SHAPE = [
    (0.0, 0.0),
    (3.0, 0.0),
    (3.0, 3.0),
    (2.0, 3.0),
    (2.0, 1.0),
    (1.0, 1.0),
    (1.0, 3.0),
    (0.0, 3.0),
]


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((0.5, 2.5), True),  # left arm
        ((2.5, 2.5), True),  # right arm
        ((1.5, 0.5), True),  # base
        ((1.5, 2.0), False),  # the notch
        ((1.5, 3.0), False),  # level with the arms' tops, in the notch
        ((3.5, 1.0), False),  # right of everything, level with a vertex
        ((-0.5, 1.0), False),
        ((0.0, 0.0), True),  # vertices and edges are inside
        ((3.0, 3.0), True),
        ((2.0, 2.0), True),
        ((1.5, 1.0), True),  # on the notch's horizontal bottom edge
        ((0.5, 3.0), True),  # on a top edge
        ((3.0, 1.5), True),  # on the right edge
    ],
)
def test_concave_polygon(point: tuple[float, float], expected: bool) -> None:
    assert Polygon(U_SHAPE).contains(*point) is expected


def test_polygon_diagonal_boundary_and_margin() -> None:
    triangle = Polygon([(0.0, 0.0), (1.0, 1.0), (1.0, 0.0)])
    assert triangle.contains(0.3, 0.3)
    assert triangle.contains(1.0, 1.0)
    assert not triangle.contains(0.3, 0.30001)
    assert triangle.margin_km == 0.05
    assert triangle.points == ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0))


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(0.0, 0.0), (1.0, 1.0)], "at least 3 distinct points"),
        ([(0.0, 0.0), (1.0, 1.0), (0.0, 0.0)], "at least 3 distinct points"),
        ([(0.0, 0.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0)], "at least 3 distinct points"),
        ([], "at least 3 distinct points"),
        ([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)], "zero area"),
        ([(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.5, 0.0)], "zero area"),
        ([(0.0, 0.0), (181.0, 0.0), (1.0, 1.0)], "point 1: longitude"),
        ([(0.0, 0.0), (1.0, 0.0), (1.0, -91.0)], "point 2: latitude"),
        ([(0.0, 0.0), (1.0, 0.0), (1.0, math.inf)], "latitude"),
        ([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0, 2.0)], r"expected \(lon, lat\)"),
    ],
)
def test_polygon_validation(points: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Polygon(points)  # type: ignore[arg-type]  # some rows are deliberately malformed


# --- hysteresis -----------------------------------------------------------------------------

CENTRE = (2.35, 48.85)
JITTER_KM = 0.02


def run(zone: Circle | Polygon, track: list[tuple[float, float]]) -> list[bool]:
    states: list[bool] = []
    previous: bool | None = None
    for lon, lat in track:
        previous = zone.inside(lon, lat, previous)
        states.append(previous)
    return states


def circle_track(start_km: float, offsets: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A first fix ``start_km`` from the centre, then fixes at radius 1 + offset along bearings."""
    track = [destination(*CENTRE, 30.0, start_km)]
    track += [destination(*CENTRE, bearing, 1.0 + dr) for bearing, dr in offsets]
    return track


jitters = st.lists(
    st.tuples(st.floats(0.0, 360.0), st.floats(-JITTER_KM, JITTER_KM)), min_size=1, max_size=50
)


@settings(deadline=None)
@given(jitters, st.sampled_from([0.5, 1.0, 1.5]))
def test_circle_border_jitter_never_flips(
    offsets: list[tuple[float, float]], start_km: float
) -> None:
    circle = Circle(*CENTRE, 1.0)
    states = run(circle, circle_track(start_km, offsets))
    assert len(set(states)) == 1


def test_circle_crossing_beyond_margin_flips() -> None:
    circle = Circle(*CENTRE, 1.0)
    steps = [0.5, 0.98, 1.02, 1.04, 1.06, 1.02, 0.98, 0.96, 0.94, 1.03]
    states = run(circle, [destination(*CENTRE, 75.0, km) for km in steps])
    assert states == [True, True, True, True, False, False, False, False, True, True]


def square(half_km: float) -> Polygon:
    dlat = half_km / KM_PER_DEG
    dlon = dlat / math.cos(math.radians(CENTRE[1]))
    lon, lat = CENTRE
    return Polygon(
        [
            (lon - dlon, lat - dlat),
            (lon + dlon, lat - dlat),
            (lon + dlon, lat + dlat),
            (lon - dlon, lat + dlat),
        ]
    )


def east_of_centre(km: float, north_km: float = 0.0) -> tuple[float, float]:
    lon, lat = CENTRE
    return (
        lon + km / KM_PER_DEG / math.cos(math.radians(lat)),
        lat + north_km / KM_PER_DEG,
    )


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-0.9, 1.0), st.floats(-JITTER_KM, JITTER_KM)), min_size=1, max_size=50
    ),
    st.sampled_from([0.0, 1.0, 2.0]),
)
def test_polygon_border_jitter_never_flips(
    offsets: list[tuple[float, float]], start_km: float
) -> None:
    # the east edge is 1 km east of the centre and spans 1 km north and south of it
    # (north offsets up to 1.0 put fixes by the north-east corner)
    polygon = square(1.0)
    track = [east_of_centre(start_km)]
    track += [east_of_centre(1.0 + dx, north) for north, dx in offsets]
    assert len(set(run(polygon, track))) == 1


def test_polygon_crossing_beyond_margin_flips() -> None:
    polygon = square(1.0)
    steps = [0.0, 0.98, 1.02, 1.04, 1.06, 1.02, 0.98, 0.96, 0.94, 1.03, 3.0, 0.0]
    states = run(polygon, [east_of_centre(km) for km in steps])
    expected = [True, True, True, True, False, False, False, False, True, True, False, True]
    assert states == expected
    # from the unknown state, plain containment decides
    assert polygon.inside(*east_of_centre(0.99), None) is True
    assert polygon.inside(*east_of_centre(1.01), None) is False

"""Zone geometry of monitor triggers: great-circle circles and lon/lat polygons.

Coordinates are always ``(lon, lat)`` in degrees, distances in kilometres on the
sphere of :mod:`simulator.geometry` (mean radius
:data:`~simulator.geometry.EARTH_RADIUS_KM`).

Hysteresis
----------
A GPS fix jitters by a few metres from one sample to the next.  Were a zone
trigger the plain :meth:`contains` test, a vehicle parked on a zone's border
would enter and leave the zone on every sample.  Each zone therefore has a
band of ``margin_km`` on both sides of its border in which the state never
changes, and :meth:`inside` takes the previous state:

* ``previous is None`` (first sample, state unknown): plain :meth:`contains`;
* ``previous is True``: the vehicle stays inside unless the point is outside
  the zone **and** farther than ``margin_km`` from its border;
* ``previous is False``: the vehicle becomes inside only if the point is
  inside the zone **and** farther than ``margin_km`` from its border.

A zone must thus be crossed by more than ``margin_km`` to flip its state.
(Corollary: a zone narrower than twice its margin, e.g. a circle of radius at
most ``margin_km``, is only ever entered from the unknown state.)

Margins: a circle's is ``max(0.05, 0.02 * radius_km)``, a polygon's ``0.05`` km.

Speed
-----
:meth:`inside` runs on every vehicle data sample, so each class precomputes at
construction everything that does not depend on the point:

* :class:`Circle` rejects exactly, with no trigonometry, the points outside
  the latitude/longitude box of the cap of radius ``radius_km + margin_km``;
  inside the box an equirectangular squared distance, with error bounds
  derived once for the box, settles the clearly-inside and clearly-outside
  cases; only points near a threshold pay for the haversine term (three
  trigonometric calls, no ``asin``/``sqrt``: thresholds are compared on the
  haversine ``a`` term, which grows with the distance).
* :class:`Polygon` rejects the points outside its bounding box expanded by the
  margin, then finds the point's horizontal slab (between two consecutive
  vertex latitudes) by bisection and casts the ray only through the few edges
  crossing that slab.  The distance to the border is only computed when the
  hysteresis rule needs it, with an early exit.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from math import asin, cos, degrees, inf, isfinite, pi, radians, sin, sqrt

from simulator.geometry import EARTH_RADIUS_KM, KM_PER_DEG, haversine_km

__all__ = ["Circle", "Polygon"]

_RAD = pi / 180.0
_HALF_RAD = pi / 360.0

_SAFE = 1e-9
"""Relative safety added to precomputed fast-path thresholds against rounding."""

_BOX_PAD = 1e-9
"""Degrees added to a circle's :meth:`Circle.box`: far more than the rounding of the
differences :meth:`Circle.inside` compares with the same bounds (some 1e-14 degrees)."""

_ON_EDGE_DEG = 1e-12
"""A point this close (in degrees, about 0.1 µm) to a polygon edge lies on it."""

_REACH_CAP_KM = 20.0
"""The largest reach :meth:`Circle.reach_deg` and :meth:`Polygon.reach_deg` give."""
_REACH_PAD_KM = 0.001
"""Taken off every reach (1 m, after a relative 1e-3): far more than the rounding of the
distances and of :meth:`inside`'s comparisons (some 1e-9 km), so that a reach is never
too long."""
_REACH_MAX_LAT = 80.0
"""Beyond this latitude there is no reach (the projection's scale changes too fast)."""


def _reach_scale(lat: float, band_deg: float) -> tuple[float, float]:
    """``(cos(lat), kmax)``: kmax bounds ``cos(lat') / cos(lat)`` (and 1) for every
    ``lat'`` within ``band_deg`` of ``lat``."""
    c = cos(lat * _RAD)
    nearest = max(0.0, abs(lat) - band_deg - 1e-9)  # the latitude of the band nearest 0
    return c, max(1.0, cos(nearest * _RAD) / c * (1.0 + _SAFE))


def _check_lon_lat(lon: float, lat: float, what: str) -> None:
    if not (isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"{what}: longitude {lon!r} is out of range -180..180")
    if not (isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"{what}: latitude {lat!r} is out of range -90..90")


def _hav(angle: float) -> float:
    """The haversine ``a`` term of a central angle (radians), clipped to [0, pi]."""
    if angle >= pi:
        return 1.0
    s = sin(angle / 2.0)
    return s * s


def _segment_d2(px: float, py: float, ex: float, ey: float) -> float:
    """Squared distance from (px, py) to the segment from the origin to (ex, ey), in a
    plane (degrees, the longitude axis already scaled by cos(lat))."""
    t = px * ex + py * ey
    if t <= 0.0:
        return px * px + py * py
    l2 = ex * ex + ey * ey
    if t >= l2:
        qx = px - ex
        qy = py - ey
        return qx * qx + qy * qy
    cross = px * ey - py * ex
    return cross * cross / l2


class Circle:
    """The spherical cap within ``radius_km`` (great-circle distance) of a centre."""

    __slots__ = (
        "_a_in",
        "_a_out",
        "_a_r",
        "_cos0",
        "_dlat_max",
        "_dlon_max",
        "_k",
        "_lat",
        "_lon",
        "_no_in",
        "_no_out",
        "_no_r",
        "_rk",
        "_yes_in",
        "_yes_out",
        "_yes_r",
        "lat",
        "lon",
        "margin_km",
        "radius_km",
    )

    def __init__(self, lon: float, lat: float, radius_km: float) -> None:
        lon, lat, radius_km = float(lon), float(lat), float(radius_km)
        _check_lon_lat(lon, lat, "circle centre")
        if not (isfinite(radius_km) and radius_km > 0.0):
            raise ValueError(f"circle radius must be a positive number of km, got {radius_km!r}")
        self.lon = lon
        self.lat = lat
        self.radius_km = radius_km
        margin = max(0.05, 0.02 * radius_km)
        self.margin_km = margin
        self._lon = lon
        self._lat = lat

        # Central angles (radians) of the three thresholds and their haversine terms.
        rho_out = min((radius_km + margin) / EARTH_RADIUS_KM, pi)
        rho_in = (radius_km - margin) / EARTH_RADIUS_KM
        self._a_r = _hav(radius_km / EARTH_RADIUS_KM)
        self._a_out = _hav(rho_out)
        self._a_in = _hav(rho_in) if rho_in > 0.0 else -1.0  # -1: never entered

        # Exact box of the outer cap: beyond it a point is clearly outside.
        phi0 = radians(lat)
        cos0 = cos(phi0)
        self._cos0 = cos0
        self._dlat_max = degrees(rho_out) * (1.0 + _SAFE) + 1e-12
        if rho_out >= pi / 2.0 - abs(phi0) or cos0 <= 1e-12:  # the cap holds a pole
            self._dlon_max = 180.0 * (1.0 + _SAFE)
        else:
            self._dlon_max = degrees(asin(min(1.0, sin(rho_out) / cos0))) * (1.0 + _SAFE) + 1e-12

        # Inside the box, with u = dlat/2 and v = dlon/2 in radians, the
        # haversine term a = sin²u + cos(lat)·cos0·sin²v is bounded by the
        # equirectangular q = u² + cos0²·v² as k_lo·q <= a <= k_hi·q, because
        # sin(x)/x decreases on [0, pi] and cos(lat) is within [cmin, cmax].
        lo = max(phi0 - rho_out, -pi / 2.0)
        hi = min(phi0 + rho_out, pi / 2.0)
        cmax = 1.0 if lo <= 0.0 <= hi else cos(min(abs(lo), abs(hi)))
        cmin = max(0.0, cos(max(abs(lo), abs(hi))))
        half_u = rho_out / 2.0
        half_v = radians(min(self._dlon_max, 180.0)) / 2.0
        s_u = sin(half_u) / half_u
        s_v = sin(half_v) / half_v
        if cos0 > 1e-9:
            k_hi = max(1.0, cmax / cos0)
            k_lo = min(s_u * s_u, cmin * s_v * s_v / cos0)
        else:  # centre at a pole: no fast path
            k_hi, k_lo = inf, 0.0
        # q in degrees² is Q = dlat² + (cos0·dlon)², and q = Q·_HALF_RAD².
        h2 = _HALF_RAD * _HALF_RAD

        def yes(a: float) -> float:  # Q below this: a < threshold for sure
            return -1.0 if a <= 0.0 else a / (k_hi * h2) * (1.0 - _SAFE)

        def no(a: float) -> float:  # Q above this: a > threshold for sure
            if a < 0.0:
                return -1.0
            return inf if k_lo <= 0.0 else a / (k_lo * h2) * (1.0 + _SAFE)

        self._yes_r, self._no_r = yes(self._a_r), no(self._a_r)
        self._yes_out, self._no_out = yes(self._a_out), no(self._a_out)
        self._yes_in, self._no_in = yes(self._a_in), no(self._a_in)
        # what inside() reads, side by side in memory (one buffer, not a dozen objects)
        self._k = array(
            "d",
            (
                *(self._lat, self._dlat_max, self._lon, self._dlon_max, self._cos0),
                *(self._yes_r, self._no_r, self._a_r, self._yes_out, self._no_out, self._a_out),
                *(self._yes_in, self._no_in, self._a_in),
            ),
        )

        # what reach_deg() reads: the centre, cos(lat), the thresholds of the sides
        inner = radius_km - margin if self._a_in >= 0.0 else -1.0  # -1: never entered
        self._rk = array("d", (lon, lat, cos(lat * _RAD), radius_km + margin, inner))

    def __repr__(self) -> str:
        return f"Circle(lon={self.lon!r}, lat={self.lat!r}, radius_km={self.radius_km!r})"

    def box(self) -> tuple[float, float, float, float]:
        """``(lon_lo, lon_hi, lat_lo, lat_hi)``: :meth:`inside` is false, whatever the
        previous state, for a point outside it (a little wider than the cap's box,
        against rounding; unbounded in longitude when it would cross the antimeridian)."""
        lat_lo = self._lat - self._dlat_max - _BOX_PAD
        lat_hi = self._lat + self._dlat_max + _BOX_PAD
        lon_lo = self._lon - self._dlon_max - _BOX_PAD
        lon_hi = self._lon + self._dlon_max + _BOX_PAD
        if lon_lo < -180.0 or lon_hi > 180.0:
            lon_lo, lon_hi = -inf, inf
        return lon_lo, lon_hi, lat_lo, lat_hi

    def inner_box(self) -> tuple[float, float, float, float]:
        """``(lon_lo, lon_hi, lat_lo, lat_hi)``: :meth:`inside` is true, whatever the
        previous state, for a point inside it (bounds included): the square, in the
        equirectangular plane :meth:`inside` compares in, within its sure-inside
        threshold for an outside vehicle, a little narrower against rounding.  Empty
        (``lo > hi``) when there is none (a circle within its margin, at a pole, or
        across the antimeridian)."""
        empty = (inf, -inf, inf, -inf)
        if self._yes_in <= 0.0 or self._cos0 <= 1e-9:
            return empty
        # q = dlat² + (cos0·dlon)² <= 2·h² < _yes_in for |dlat| <= h, |cos0·dlon| <= h
        h = sqrt(self._yes_in / 2.0 * (1.0 - 1e-6))
        w = h / self._cos0
        lon_lo, lon_hi = self._lon - w + _BOX_PAD, self._lon + w - _BOX_PAD
        if lon_lo < -180.0 or lon_hi > 180.0 or h <= _BOX_PAD:
            return empty
        return lon_lo, lon_hi, self._lat - h + _BOX_PAD, self._lat + h - _BOX_PAD

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the great-circle distance from the centre is at most the radius."""
        return self.inside(lon, lat, None)

    def distance_to_border_km(self, lon: float, lat: float) -> float:
        """Unsigned great-circle distance from the point to the circle's border."""
        return abs(haversine_km(self._lon, self._lat, lon, lat) - self.radius_km)

    def reach_deg(self, lon: float, lat: float, side: bool) -> float:
        """How far a vehicle whose side is ``side`` at ``(lon, lat)`` can go with
        :meth:`inside` keeping that side: within ``r`` (the result) of the point in its
        equirectangular plane (``(Δlon·cos(lat))² + Δlat² <= r²``, degrees), the side
        cannot change.  Negative: no such guarantee (near a pole, or on the wrong side).

        Inside, the side changes beyond ``radius + margin`` (great circle) from the
        centre, outside within ``radius - margin``: the distance from the point to that
        threshold, less a relative 1e-3 and 1 m.  The plane's distance ``ρ`` bounds the
        great-circle one: its haversine term ``a <= k·(u² + cos(lat)²·v²)`` with ``k``
        the largest ``cos(lat')/cos(lat)`` over the band of latitudes within reach (see
        ``__init__``), so the result is the great-circle reach over ``sqrt(k)``.
        """
        if abs(lat) > _REACH_MAX_LAT:
            return -1.0
        lon0, lat0, cos0, outer, inner = self._rk
        s = sin((lat - lat0) * _HALF_RAD)
        t = sin((lon - lon0) * _HALF_RAD)
        a = s * s + cos(lat * _RAD) * cos0 * t * t
        d = 2.0 * EARTH_RADIUS_KM * asin(sqrt(a if a < 1.0 else 1.0))  # haversine_km
        if side:
            km = outer - d
        elif inner < 0.0:
            km = _REACH_CAP_KM  # never entered from outside
        else:
            km = d - inner
        km = min(km, _REACH_CAP_KM) * (1.0 - 1e-3) - _REACH_PAD_KM
        if km <= 0.0:
            return -1.0
        deg = km / KM_PER_DEG
        _, kmax = _reach_scale(lat, deg)
        return deg / sqrt(kmax)

    def inside(self, lon: float, lat: float, previous: bool | None) -> bool:
        """Containment with hysteresis (see the module docstring)."""
        lat0, dlat_max, lon0, dlon_max, cos0, *thresholds = self._k
        dlat = lat - lat0
        if dlat > dlat_max or dlat < -dlat_max:
            return False
        dlon = lon - lon0
        if dlon > 180.0:
            dlon -= 360.0
        elif dlon < -180.0:
            dlon += 360.0
        if dlon > dlon_max or dlon < -dlon_max:
            return False
        x = dlon * cos0
        q = dlat * dlat + x * x
        # the sure-yes and sure-no bounds of q and the haversine threshold of the case
        if previous is None:
            yes, no, a = thresholds[0:3]
        elif previous:
            yes, no, a = thresholds[3:6]
        else:
            yes, no, a = thresholds[6:9]
        if q < yes:
            return True
        if q > no:
            return False
        s = sin(dlat * _HALF_RAD)
        t = sin(dlon * _HALF_RAD)
        h = s * s + cos(lat * _RAD) * cos0 * t * t
        return h < a if previous is False else h <= a


class Polygon:
    """A polygon whose edges are straight in the (lon, lat) plane.

    The ring may be given closed (last point equal to the first) or not;
    consecutive duplicate points are dropped.  Containment follows the
    even-odd rule, so concave (and even self-intersecting) rings work; points
    on the boundary (within 1e-12 degrees) are inside.  The plane does not
    wrap: a polygon cannot cross the antimeridian.

    :meth:`distance_to_border_km` is approximate: the polygon is projected
    equirectangularly around the point (x = Δlon·cos(lat_point), y = Δlat,
    both times the km per degree of a great circle) and the distance to the
    nearest edge is taken in that plane.  The error is negligible at the
    scale of the hysteresis margin (tens of metres) and grows with the
    distance and the latitude span of the polygon.
    """

    __slots__ = (
        "_box",
        "_edges",
        "_lat_hi",
        "_lat_lo",
        "_lon_hi",
        "_lon_lo",
        "_m2",
        "_near_segs",
        "_segs",
        "_slabs",
        "_xlat_hi",
        "_xlat_lo",
        "_xlon_hi",
        "_xlon_lo",
        "_ys",
        "margin_km",
        "points",
    )

    def __init__(self, points: Sequence[tuple[float, float]]) -> None:
        ring: list[tuple[float, float]] = []
        for i, point in enumerate(points):
            if len(point) != 2:
                raise ValueError(f"polygon point {i}: expected (lon, lat), got {point!r}")
            lon, lat = float(point[0]), float(point[1])
            _check_lon_lat(lon, lat, f"polygon point {i}")
            if not ring or ring[-1] != (lon, lat):
                ring.append((lon, lat))
        while len(ring) > 1 and ring[-1] == ring[0]:
            ring.pop()
        if len(set(ring)) < 3:
            raise ValueError(f"polygon needs at least 3 distinct points, got {len(set(ring))}")
        # Zero area: all points on one line through ring[0] and the farthest point.
        x0, y0 = ring[0]
        far = max(ring, key=lambda p: (p[0] - x0) ** 2 + (p[1] - y0) ** 2)
        fx, fy = far[0] - x0, far[1] - y0
        scale2 = fx * fx + fy * fy
        if all(((fx * (y - y0) - fy * (x - x0)) ** 2) <= 1e-24 * scale2 * scale2 for x, y in ring):
            raise ValueError("polygon has zero area: all its points are on one line")
        self.points: tuple[tuple[float, float], ...] = tuple(ring)
        self.margin_km = 0.05

        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        self._lon_lo, self._lon_hi = min(lons), max(lons)
        self._lat_lo, self._lat_hi = min(lats), max(lats)
        # Bounding box expanded by the margin, conservatively for the local
        # equirectangular metric of distance_to_border_km.
        m_deg = self.margin_km / KM_PER_DEG
        self._m2 = m_deg * m_deg
        dlat = m_deg * (1.0 + _SAFE) + 1e-12
        self._xlat_lo = self._lat_lo - dlat
        self._xlat_hi = self._lat_hi + dlat
        cmin = cos(radians(min(90.0, max(abs(self._xlat_lo), abs(self._xlat_hi)))))
        dlon = 360.0 if cmin <= 1e-9 else m_deg / cmin * (1.0 + _SAFE) + 1e-12
        self._xlon_lo = self._lon_lo - dlon
        self._xlon_hi = self._lon_hi + dlon
        self._box = array("d", (self._xlon_lo, self._xlon_hi, self._xlat_lo, self._xlat_hi))

        n = len(ring)
        segs: list[tuple[float, float, float, float, float, float]] = []
        for i in range(n):
            ax, ay = ring[i]
            bx, by = ring[(i + 1) % n]
            segs.append((ax, ay, bx, by, bx - ax, by - ay))
        self._segs = tuple(segs)
        # For _near: each edge's bounding box expanded by the margin (as above),
        # so that far edges are skipped after four comparisons.
        near: list[float] = []
        for ax, ay, bx, by, dx, dy in segs:
            near += (min(ax, bx) - dlon, max(ax, bx) + dlon, min(ay, by) - dlat)
            near += (max(ay, by) + dlat, ax, ay, dx, dy)
        self._near_segs = array("d", near)
        self._edges = array("d", [v for ax, ay, _bx, _by, dx, dy in segs for v in (ax, ay, dx, dy)])

        # Slabs: between consecutive distinct vertex latitudes, the edges that
        # span the whole slab, each as (x at ya, ya, dx/dy).  _slabs[j] is the
        # slab of a latitude whose bisect_right index in _ys is j; the first
        # and last entries (below / at-or-above every vertex) are empty.
        ys = sorted(set(lats))
        slab_edges: list[list[tuple[float, float, float]]] = [[] for _ in range(len(ys) + 1)]
        for ax, ay, _bx, by, dx, dy in segs:
            if dy == 0.0:
                continue  # horizontal edges never cross a horizontal ray
            lo = bisect_right(ys, min(ay, by))
            hi = bisect_right(ys, max(ay, by))
            edge = (ax, ay, dx / dy)
            for j in range(lo, hi):
                slab_edges[j].append(edge)
        # (flat arrays: a slab's numbers side by side in memory)
        self._ys = array("d", ys)
        self._slabs = tuple(array("d", [v for e in edges for v in e]) for edges in slab_edges)

    def __repr__(self) -> str:
        return f"Polygon({list(self.points)!r})"

    def box(self) -> tuple[float, float, float, float]:
        """``(lon_lo, lon_hi, lat_lo, lat_hi)``: :meth:`inside` is false, whatever the
        previous state, for a point outside it (the box expanded by the margin)."""
        return self._xlon_lo, self._xlon_hi, self._xlat_lo, self._xlat_hi

    def inner_box(self) -> tuple[float, float, float, float]:
        """A box :meth:`inside` holds for, whatever the previous state: none (empty) for
        a polygon, which is tested edge by edge."""
        return inf, -inf, inf, -inf

    def contains(self, lon: float, lat: float) -> bool:
        """Even-odd containment in the (lon, lat) plane; the boundary is inside."""
        return self.inside(lon, lat, None)

    def inside(self, lon: float, lat: float, previous: bool | None) -> bool:
        """Containment with hysteresis (see the module docstring)."""
        lon_lo, lon_hi, lat_lo, lat_hi = self._box
        if lon < lon_lo or lon > lon_hi or lat < lat_lo or lat > lat_hi:
            return False
        odd = False
        slab = iter(self._slabs[bisect_right(self._ys, lat)])
        for xa, ya, s in zip(slab, slab, slab, strict=False):
            if lon < xa + (lat - ya) * s:
                odd = not odd
        if previous is None:
            return odd or self._on_boundary(lon, lat)
        if previous:
            return odd or self._near(lon, lat)
        return odd and not self._near(lon, lat)

    def _on_boundary(self, lon: float, lat: float) -> bool:
        if lon < self._lon_lo or lon > self._lon_hi or lat < self._lat_lo or lat > self._lat_hi:
            return False
        tol2 = _ON_EDGE_DEG * _ON_EDGE_DEG
        for ax, ay, bx, by, dx, dy in self._segs:
            if (
                (ax <= lon <= bx or bx <= lon <= ax)
                and (ay <= lat <= by or by <= lat <= ay)
                and (dx * (lat - ay) - dy * (lon - ax)) ** 2 <= tol2 * (dx * dx + dy * dy)
            ):
                return True
        return False

    def _near(self, lon: float, lat: float) -> bool:
        """Whether some edge is within margin_km (projected around the point).

        Only called for points within the expanded bounding box, for which the
        edges' expanded boxes are conservative.
        """
        c = cos(lat * _RAD)
        m2 = self._m2
        n = iter(self._near_segs)
        for xlo, xhi, ylo, yhi, ax, ay, dx, dy in zip(n, n, n, n, n, n, n, n, strict=False):
            if lon < xlo or lon > xhi or lat < ylo or lat > yhi:
                continue
            d2 = _segment_d2((lon - ax) * c, lat - ay, dx * c, dy)
            if d2 <= m2:
                return True
        return False

    def distance_to_border_km(self, lon: float, lat: float) -> float:
        """Approximate unsigned distance from the point to the polygon's boundary.

        See the class docstring for the (local equirectangular) approximation.
        """
        c = cos(lat * _RAD)
        best = inf
        for ax, ay, _bx, _by, dx, dy in self._segs:
            d2 = _segment_d2((lon - ax) * c, lat - ay, dx * c, dy)
            if d2 < best:
                best = d2
        return sqrt(best) * KM_PER_DEG

    def reach_deg(self, lon: float, lat: float, side: bool) -> float:
        """How far a vehicle whose side is ``side`` at ``(lon, lat)`` can go with
        :meth:`inside` keeping that side, as :meth:`Circle.reach_deg` (degrees of the
        point's equirectangular plane; negative: no guarantee).

        With ``g`` the distance from the point to the border in that plane (as
        :meth:`distance_to_border_km`) and ``m`` the margin: on the side its even-odd
        test gives, the vehicle keeps its side until it is beyond the border by more
        than the margin, so ``g + m/k``; on the other side (in the margin band) it keeps
        it while within the margin of the border, so ``m/k - g``.  ``k`` bounds how much
        :meth:`_near`'s plane (scaled by the cosine of the vehicle's latitude) stretches
        distances against this one, over the band of latitudes within reach.  Then less
        a relative 1e-3 and 1 m.
        """
        if abs(lat) > _REACH_MAX_LAT:
            return -1.0
        if not side and (lat < self._xlat_lo - 1.0 or lat > self._xlat_hi + 1.0):
            return _REACH_CAP_KM / KM_PER_DEG * 0.5  # outside, a degree or more away
        c = cos(lat * _RAD)
        best = inf
        n = iter(self._edges)
        for ax, ay, dx, dy in zip(n, n, n, n, strict=False):
            px = (lon - ax) * c
            py = lat - ay
            ex = dx * c
            t = px * ex + py * dy
            if t <= 0.0:
                d2 = px * px + py * py
            else:
                l2 = ex * ex + dy * dy
                if t >= l2:
                    qx = px - ex
                    qy = py - dy
                    d2 = qx * qx + qy * qy
                else:
                    cross = px * dy - py * ex
                    d2 = cross * cross / l2
            if d2 < best:
                best = d2
        g = sqrt(best)
        odd = False
        slab = iter(self._slabs[bisect_right(self._ys, lat)])
        for xa, ya, s in zip(slab, slab, slab, strict=False):
            if lon < xa + (lat - ya) * s:
                odd = not odd
        m = self.margin_km / KM_PER_DEG
        cap = _REACH_CAP_KM / KM_PER_DEG
        _, kmax = _reach_scale(lat, min(g + m, cap))
        deg = g + m / kmax if odd == side else m / kmax - g
        deg = min(deg, cap) * (1.0 - 1e-3) - _REACH_PAD_KM / KM_PER_DEG
        return deg if deg > 0.0 else -1.0

"""Static data shared by every simulated vehicle: brands, models, cities, climate.

Nothing here is per vehicle; vehicles hold references to these frozen objects. The
figures are public, rounded manufacturer data (WLTP-like consumptions, gross battery
capacities, tank sizes); the simulator only needs them to be believable and consistent.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.fleet.enums import AlertSeverity, AlertType, DoorId, EnergySubType, Motorization

PICTURES_BASE_URL = "https://pictures.simulator.local"


@dataclass(frozen=True, slots=True, kw_only=True)
class Brand:
    name: str  # as served in Vehicle.brand
    slug: str  # ASCII, for URLs
    realm: str  # x-introspect-realm of the brand's B2C users
    wmis: tuple[str, ...]  # real World Manufacturer Identifiers used by the brand
    home_country: str  # ISO 3166-1 alpha-2; most of the brand's cars live there
    countries: tuple[str, ...] | None  # where its cars may live; None: continental Europe
    weight: float  # share in a generated fleet
    plants: str  # assembly plant codes (VIN position 11)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """A model (``label``) of a brand, with the figures its energies need."""

    brand: Brand
    label: str
    slug: str
    motorization: Motorization
    years: tuple[int, int]  # first and last model year
    wmis: tuple[str, ...]
    battery_kwh: float | None = None  # gross traction battery capacity
    electric_kwh_per_100km: float | None = None
    tank_l: float | None = None  # litres, kg for hydrogen
    fuel_per_100km: float | None = None  # l/100 km, kg/100 km for hydrogen
    fuel_subtype: EnergySubType | None = None
    ac_charger_kw: float = 0.0  # on-board charger
    dc_charger_kw: float = 0.0  # max fast-charge power, 0 when not capable
    doors: tuple[DoorId, ...]
    automatic: bool = False
    max_speed_kmh: float = 180.0
    weight: float = 1.0  # popularity within the brand
    pictures: tuple[str, ...] = ()

    @property
    def has_electric(self) -> bool:
        return self.battery_kwh is not None

    @property
    def has_fuel(self) -> bool:
        return self.tank_l is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class City:
    name: str
    country: str  # ISO 3166-1 alpha-2
    lat: float
    lon: float
    alt_m: float
    tz: str  # IANA zone
    utc_offset_h: float  # standard-time offset, used only if the zone database is missing
    jan_temp_c: float  # mean daily temperature in January
    jul_temp_c: float  # mean daily temperature in July
    weight: float  # relative share of the fleet living there
    radius_km: float = 6.0  # homes are spread this far around the centre


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = "".join(c if c.isalnum() else "-" for c in ascii_text.lower())
    return "-".join(part for part in out.split("-") if part)


# --------------------------------------------------------------------------------------
# Brands and models
# --------------------------------------------------------------------------------------

PEUGEOT = Brand(
    name="Peugeot",
    slug="peugeot",
    realm="clientsB2CPeugeot",
    wmis=("VF3", "VR3"),
    home_country="FR",
    countries=None,
    weight=0.30,
    plants="LWSYJ",
)
CITROEN = Brand(
    name="Citroën",
    slug="citroen",
    realm="clientsB2CCitroen",
    wmis=("VF7", "VR7"),
    home_country="FR",
    countries=None,
    weight=0.22,
    plants="LRTJY",
)
DS = Brand(
    name="DS",
    slug="ds",
    realm="clientsB2CDS",
    wmis=("VR1",),
    home_country="FR",
    countries=None,
    weight=0.06,
    plants="LWJ",
)
OPEL = Brand(
    name="Opel",
    slug="opel",
    realm="clientsB2COpel",
    wmis=("W0L", "W0V", "VXK", "VXE"),
    home_country="DE",
    countries=None,
    weight=0.25,
    plants="1GZ4E",
)
VAUXHALL = Brand(
    name="Vauxhall",
    slug="vauxhall",
    realm="clientsB2CVauxhall",
    wmis=("W0L", "W0V", "VXK"),
    home_country="GB",
    countries=("GB",),
    weight=0.17,
    plants="18GZ4",
)

BRANDS: tuple[Brand, ...] = (PEUGEOT, CITROEN, DS, OPEL, VAUXHALL)

_FIVE_DOORS = (DoorId.DRIVER, DoorId.PASSENGER, DoorId.REAR_LEFT, DoorId.REAR_RIGHT, DoorId.TRUNK)
_FIVE_DOORS_ROOF = (*_FIVE_DOORS, DoorId.ROOF_WINDOW)


def _pictures(brand: Brand, slug: str) -> tuple[str, ...]:
    base = f"{PICTURES_BASE_URL}/{brand.slug}/{slug}"
    return (f"{base}.png", f"{base}-side.png", f"{base}-rear.png")


def _electric(
    brand: Brand,
    label: str,
    years: tuple[int, int],
    wmis: tuple[str, ...],
    *,
    kwh: float,
    per_100km: float,
    ac_kw: float = 7.4,
    dc_kw: float = 100.0,
    doors: tuple[DoorId, ...] = _FIVE_DOORS,
    max_speed: float = 150.0,
    weight: float = 1.0,
) -> ModelSpec:
    slug = slugify(label)
    return ModelSpec(
        brand=brand,
        label=label,
        slug=slug,
        motorization=Motorization.ELECTRIC,
        years=years,
        wmis=wmis,
        battery_kwh=kwh,
        electric_kwh_per_100km=per_100km,
        ac_charger_kw=ac_kw,
        dc_charger_kw=dc_kw,
        doors=doors,
        automatic=True,
        max_speed_kmh=max_speed,
        weight=weight,
        pictures=_pictures(brand, slug),
    )


def _thermic(
    brand: Brand,
    label: str,
    years: tuple[int, int],
    wmis: tuple[str, ...],
    *,
    tank_l: float,
    per_100km: float,
    automatic: bool = False,
    doors: tuple[DoorId, ...] = _FIVE_DOORS,
    max_speed: float = 190.0,
    weight: float = 1.0,
) -> ModelSpec:
    slug = slugify(label)
    return ModelSpec(
        brand=brand,
        label=label,
        slug=slug,
        motorization=Motorization.THERMIC,
        years=years,
        wmis=wmis,
        tank_l=tank_l,
        fuel_per_100km=per_100km,
        fuel_subtype=EnergySubType.FOSSIL_ENERGY,
        doors=doors,
        automatic=automatic,
        max_speed_kmh=max_speed,
        weight=weight,
        pictures=_pictures(brand, slug),
    )


def _hybrid(
    brand: Brand,
    label: str,
    years: tuple[int, int],
    wmis: tuple[str, ...],
    *,
    kwh: float,
    kwh_per_100km: float,
    tank_l: float,
    l_per_100km: float,
    ac_kw: float = 7.4,
    doors: tuple[DoorId, ...] = _FIVE_DOORS,
    max_speed: float = 225.0,
    weight: float = 1.0,
) -> ModelSpec:
    slug = slugify(label)
    return ModelSpec(
        brand=brand,
        label=label,
        slug=slug,
        motorization=Motorization.HYBRID,
        years=years,
        wmis=wmis,
        battery_kwh=kwh,
        electric_kwh_per_100km=kwh_per_100km,
        tank_l=tank_l,
        fuel_per_100km=l_per_100km,
        fuel_subtype=EnergySubType.FOSSIL_ENERGY,
        ac_charger_kw=ac_kw,
        doors=doors,
        automatic=True,
        max_speed_kmh=max_speed,
        weight=weight,
        pictures=_pictures(brand, slug),
    )


def _hydrogen(brand: Brand, label: str, years: tuple[int, int], wmis: tuple[str, ...]) -> ModelSpec:
    """Fuel-cell vans: 10.5 kWh plug-in battery plus 4.4 kg of hydrogen."""
    slug = slugify(label)
    return ModelSpec(
        brand=brand,
        label=label,
        slug=slug,
        motorization=Motorization.HYDROGEN,
        years=years,
        wmis=wmis,
        battery_kwh=10.5,
        electric_kwh_per_100km=24.0,
        tank_l=4.4,
        fuel_per_100km=1.1,
        fuel_subtype=EnergySubType.HYDROGEN,
        ac_charger_kw=11.0,
        doors=_FIVE_DOORS,
        automatic=True,
        max_speed_kmh=130.0,
        weight=0.04,
        pictures=_pictures(brand, slug),
    )


MODELS: tuple[ModelSpec, ...] = (
    # Peugeot
    _electric(PEUGEOT, "e-208", (2019, 2025), ("VR3",), kwh=50.0, per_100km=15.5, weight=1.2),
    _electric(PEUGEOT, "e-2008", (2020, 2025), ("VR3",), kwh=50.0, per_100km=17.5, weight=0.8),
    _electric(
        PEUGEOT, "e-308", (2023, 2025), ("VR3",), kwh=54.0, per_100km=15.6, ac_kw=11.0, weight=0.4
    ),
    _thermic(PEUGEOT, "208", (2019, 2025), ("VR3",), tank_l=44.0, per_100km=5.3, weight=2.0),
    _thermic(PEUGEOT, "2008", (2020, 2025), ("VR3",), tank_l=44.0, per_100km=5.9, weight=1.5),
    _thermic(PEUGEOT, "308", (2014, 2025), ("VF3", "VR3"), tank_l=52.0, per_100km=5.6, weight=1.3),
    _hybrid(
        PEUGEOT,
        "308 Hybrid",
        (2022, 2025),
        ("VR3",),
        kwh=12.4,
        kwh_per_100km=17.0,
        tank_l=40.0,
        l_per_100km=5.8,
        weight=0.6,
    ),
    _thermic(
        PEUGEOT,
        "3008",
        (2017, 2024),
        ("VF3",),
        tank_l=53.0,
        per_100km=6.0,
        automatic=True,
        doors=_FIVE_DOORS_ROOF,
        weight=1.3,
    ),
    _hybrid(
        PEUGEOT,
        "3008 Hybrid4",
        (2020, 2024),
        ("VR3",),
        kwh=13.2,
        kwh_per_100km=21.0,
        tank_l=43.0,
        l_per_100km=6.6,
        doors=_FIVE_DOORS_ROOF,
        weight=0.5,
    ),
    _thermic(
        PEUGEOT,
        "5008",
        (2017, 2024),
        ("VF3",),
        tank_l=56.0,
        per_100km=6.4,
        automatic=True,
        doors=_FIVE_DOORS_ROOF,
        weight=0.6,
    ),
    _hydrogen(PEUGEOT, "e-Expert Hydrogen", (2022, 2024), ("VF3",)),
    # Citroën
    _electric(CITROEN, "ë-C4", (2021, 2025), ("VR7",), kwh=50.0, per_100km=16.0, weight=0.8),
    _electric(CITROEN, "ë-C3", (2024, 2025), ("VR7",), kwh=44.0, per_100km=16.5, weight=0.4),
    _electric(
        CITROEN,
        "ë-Berlingo",
        (2021, 2025),
        ("VR7",),
        kwh=50.0,
        per_100km=21.0,
        max_speed=135.0,
        weight=0.3,
    ),
    _thermic(CITROEN, "C3", (2017, 2025), ("VF7",), tank_l=45.0, per_100km=5.4, weight=2.0),
    _thermic(CITROEN, "C4", (2021, 2025), ("VR7",), tank_l=50.0, per_100km=5.7, weight=1.0),
    _thermic(
        CITROEN,
        "C5 Aircross",
        (2019, 2025),
        ("VR7",),
        tank_l=53.0,
        per_100km=6.1,
        automatic=True,
        doors=_FIVE_DOORS_ROOF,
        weight=0.9,
    ),
    _hybrid(
        CITROEN,
        "C5 Aircross Hybrid",
        (2020, 2025),
        ("VR7",),
        kwh=13.2,
        kwh_per_100km=20.5,
        tank_l=43.0,
        l_per_100km=6.3,
        doors=_FIVE_DOORS_ROOF,
        weight=0.5,
    ),
    _hybrid(
        CITROEN,
        "C5 X Hybrid",
        (2022, 2025),
        ("VR7",),
        kwh=12.4,
        kwh_per_100km=18.5,
        tank_l=40.0,
        l_per_100km=6.0,
        weight=0.3,
    ),
    _hydrogen(CITROEN, "ë-Jumpy Hydrogen", (2022, 2024), ("VF7",)),
    # DS
    _electric(DS, "DS 3 E-Tense", (2019, 2025), ("VR1",), kwh=50.0, per_100km=16.5, weight=0.8),
    _thermic(
        DS, "DS 3", (2019, 2025), ("VR1",), tank_l=44.0, per_100km=5.8, automatic=True, weight=0.8
    ),
    _hybrid(
        DS,
        "DS 4 E-Tense",
        (2021, 2025),
        ("VR1",),
        kwh=12.4,
        kwh_per_100km=18.0,
        tank_l=40.0,
        l_per_100km=6.0,
        weight=0.5,
    ),
    _hybrid(
        DS,
        "DS 7 E-Tense 4x4",
        (2019, 2025),
        ("VR1",),
        kwh=13.2,
        kwh_per_100km=22.0,
        tank_l=43.0,
        l_per_100km=6.9,
        doors=_FIVE_DOORS_ROOF,
        weight=0.7,
    ),
    _thermic(
        DS,
        "DS 7",
        (2018, 2025),
        ("VR1",),
        tank_l=55.0,
        per_100km=6.5,
        automatic=True,
        doors=_FIVE_DOORS_ROOF,
        weight=0.5,
    ),
    # Opel
    _electric(OPEL, "Corsa-e", (2020, 2023), ("VXK",), kwh=50.0, per_100km=16.8, weight=0.8),
    _electric(OPEL, "Corsa Electric", (2024, 2025), ("VXK",), kwh=51.0, per_100km=15.8, weight=0.4),
    _thermic(OPEL, "Corsa", (2019, 2025), ("VXK",), tank_l=44.0, per_100km=5.4, weight=2.0),
    _thermic(OPEL, "Astra", (2016, 2025), ("W0L", "W0V"), tank_l=52.0, per_100km=5.7, weight=1.3),
    _hybrid(
        OPEL,
        "Astra Plug-in Hybrid",
        (2022, 2025),
        ("W0V",),
        kwh=12.4,
        kwh_per_100km=17.5,
        tank_l=40.0,
        l_per_100km=5.9,
        weight=0.4,
    ),
    _electric(
        OPEL, "Mokka-e", (2021, 2024), ("VXK",), kwh=50.0, per_100km=17.8, ac_kw=11.0, weight=0.6
    ),
    _thermic(OPEL, "Mokka", (2021, 2025), ("VXK",), tank_l=44.0, per_100km=5.6, weight=0.9),
    _hybrid(
        OPEL,
        "Grandland Hybrid",
        (2020, 2024),
        ("W0V",),
        kwh=13.2,
        kwh_per_100km=20.0,
        tank_l=43.0,
        l_per_100km=6.3,
        doors=_FIVE_DOORS_ROOF,
        weight=0.5,
    ),
    _thermic(
        OPEL,
        "Grandland",
        (2018, 2024),
        ("W0V",),
        tank_l=53.0,
        per_100km=6.2,
        automatic=True,
        doors=_FIVE_DOORS_ROOF,
        weight=0.8,
    ),
    _hydrogen(OPEL, "Vivaro-e Hydrogen", (2022, 2024), ("VXE",)),
    # Vauxhall
    _electric(
        VAUXHALL, "Corsa Electric", (2020, 2025), ("VXK",), kwh=50.0, per_100km=16.8, weight=1.0
    ),
    _thermic(VAUXHALL, "Corsa", (2019, 2025), ("VXK",), tank_l=44.0, per_100km=5.4, weight=2.0),
    _thermic(
        VAUXHALL, "Astra", (2016, 2025), ("W0L", "W0V"), tank_l=52.0, per_100km=5.7, weight=1.2
    ),
    _electric(
        VAUXHALL,
        "Astra Electric",
        (2023, 2025),
        ("W0V",),
        kwh=54.0,
        per_100km=15.8,
        ac_kw=11.0,
        weight=0.3,
    ),
    _electric(
        VAUXHALL,
        "Mokka Electric",
        (2021, 2025),
        ("VXK",),
        kwh=50.0,
        per_100km=17.8,
        ac_kw=11.0,
        weight=0.5,
    ),
    _hybrid(
        VAUXHALL,
        "Grandland Hybrid",
        (2020, 2024),
        ("W0V",),
        kwh=13.2,
        kwh_per_100km=20.0,
        tank_l=43.0,
        l_per_100km=6.3,
        doors=_FIVE_DOORS_ROOF,
        weight=0.5,
    ),
    _thermic(
        VAUXHALL,
        "Grandland",
        (2018, 2024),
        ("W0V",),
        tank_l=53.0,
        per_100km=6.2,
        automatic=True,
        doors=_FIVE_DOORS_ROOF,
        weight=0.7,
    ),
)


def models_of(brand: Brand) -> tuple[ModelSpec, ...]:
    return tuple(m for m in MODELS if m.brand is brand)


def brand_by_name(name: str) -> Brand:
    """The brand with this name or slug, case- and accent-insensitive ("Citroen" works)."""
    key = slugify(name)
    for brand in BRANDS:
        if key in (brand.slug, slugify(brand.name)):
            return brand
    raise KeyError(f"unknown brand {name!r}")


def find_model(brand: Brand, label: str) -> ModelSpec:
    """The brand's model with this label or slug (case- and accent-insensitive)."""
    key = slugify(label)
    for model in models_of(brand):
        if model.slug == key:
            return model
    raise KeyError(f"unknown {brand.name} model {label!r}")


def wmi_for(model: ModelSpec, model_year: int) -> tuple[str, ...]:
    """WMIs plausible for this model and year: W0L (Adam Opel / Vauxhall Motors) was
    replaced by W0V (Opel Automobile GmbH) in mid-2017."""
    candidates = tuple(
        w
        for w in model.wmis
        if not (w == "W0L" and model_year >= 2018) and not (w == "W0V" and model_year < 2018)
    )
    return candidates or model.wmis


# --------------------------------------------------------------------------------------
# Maintenance and alerts
# --------------------------------------------------------------------------------------

#: service interval (days, km) by motorization
MAINTENANCE_INTERVALS: Mapping[Motorization, tuple[int, int]] = MappingProxyType(
    {
        Motorization.THERMIC: (365, 25_000),
        Motorization.HYBRID: (365, 25_000),
        Motorization.ELECTRIC: (730, 25_000),
        Motorization.HYDROGEN: (365, 40_000),
    }
)

#: severity of the alerts the simulator raises (others default to Warning)
ALERT_SEVERITY: Mapping[AlertType, AlertSeverity] = MappingProxyType(
    {
        AlertType.FUEL_LEVEL_LOW: AlertSeverity.WARNING,
        AlertType.RISK_OF_ICE: AlertSeverity.INFORMATION,
        AlertType.ADD_WASHER_FLUID: AlertSeverity.INFORMATION,
        AlertType.REPLACE_THE_REMOTE_CONTROL_BATTERY: AlertSeverity.INFORMATION,
        AlertType.LEFT_FRONT_TIRE_UNDER_INFLATED: AlertSeverity.WARNING,
        AlertType.RIGHT_FRONT_TIRE_UNDER_INFLATED: AlertSeverity.WARNING,
        AlertType.LEFT_REAR_TIRE_UNDER_INFLATED: AlertSeverity.WARNING,
        AlertType.RIGHT_REAR_TIRE_UNDER_INFLATED: AlertSeverity.WARNING,
        AlertType.OIL_LEVEL_LOW: AlertSeverity.WARNING,
        AlertType.REPLACE_BRAKE_PADS: AlertSeverity.WARNING,
        AlertType.COOLANT_LEVELLOW: AlertSeverity.WARNING,
        AlertType.CHARGING_FAILURE: AlertSeverity.WARNING,
        AlertType.ENGINE_OIL_PRESSURE_FAILURE: AlertSeverity.CRITICAL,
        AlertType.ENGINE_TEMPERATURE_FAILURE: AlertSeverity.CRITICAL,
        AlertType.BRAKING_SYSTEM_FAILURE: AlertSeverity.CRITICAL,
        AlertType.ELECTRIC_TRACTION_SYSTEM_FAILURE_STOP_VEHICLE: AlertSeverity.CRITICAL,
    }
)


def alert_severity(alert: AlertType) -> AlertSeverity:
    return ALERT_SEVERITY.get(alert, AlertSeverity.WARNING)


# --------------------------------------------------------------------------------------
# Cities and climate
# --------------------------------------------------------------------------------------


def _city(
    name: str,
    country: str,
    lat: float,
    lon: float,
    alt_m: float,
    jan: float,
    jul: float,
    weight: float,
) -> City:
    tz, offset = _ZONES[country]
    return City(
        name=name,
        country=country,
        lat=lat,
        lon=lon,
        alt_m=alt_m,
        tz=tz,
        utc_offset_h=offset,
        jan_temp_c=jan,
        jul_temp_c=jul,
        weight=weight,
    )


_ZONES: dict[str, tuple[str, float]] = {
    "FR": ("Europe/Paris", 1.0),
    "ES": ("Europe/Madrid", 1.0),
    "IT": ("Europe/Rome", 1.0),
    "DE": ("Europe/Berlin", 1.0),
    "BE": ("Europe/Brussels", 1.0),
    "NL": ("Europe/Amsterdam", 1.0),
    "PT": ("Europe/Lisbon", 0.0),
    "AT": ("Europe/Vienna", 1.0),
    "CH": ("Europe/Zurich", 1.0),
    "LU": ("Europe/Luxembourg", 1.0),
    "PL": ("Europe/Warsaw", 1.0),
    "CZ": ("Europe/Prague", 1.0),
    "DK": ("Europe/Copenhagen", 1.0),
    "GB": ("Europe/London", 0.0),
}

# name, country, lat, lon, altitude, Jan / Jul mean temperature, weight (~ metro population)
CITIES: tuple[City, ...] = (
    _city("Paris", "FR", 48.8566, 2.3522, 35, 5.0, 20.5, 12.0),
    _city("Lyon", "FR", 45.7640, 4.8357, 173, 3.5, 22.0, 2.3),
    _city("Marseille", "FR", 43.2965, 5.3698, 12, 7.5, 25.0, 1.9),
    _city("Lille", "FR", 50.6292, 3.0573, 20, 4.0, 18.5, 1.5),
    _city("Bordeaux", "FR", 44.8378, -0.5792, 15, 6.5, 21.5, 1.3),
    _city("Toulouse", "FR", 43.6047, 1.4442, 146, 6.0, 22.5, 1.4),
    _city("Nantes", "FR", 47.2184, -1.5536, 20, 6.0, 19.5, 1.0),
    _city("Strasbourg", "FR", 48.5734, 7.7521, 142, 1.5, 20.0, 0.8),
    _city("Nice", "FR", 43.7102, 7.2620, 10, 9.0, 24.0, 1.0),
    _city("Rennes", "FR", 48.1173, -1.6778, 40, 6.0, 19.0, 0.7),
    _city("Montpellier", "FR", 43.6108, 3.8767, 27, 7.5, 24.5, 0.8),
    _city("Grenoble", "FR", 45.1885, 5.7245, 212, 2.5, 21.5, 0.7),
    _city("Madrid", "ES", 40.4168, -3.7038, 657, 6.0, 26.0, 6.7),
    _city("Barcelona", "ES", 41.3874, 2.1686, 12, 10.0, 25.0, 5.6),
    _city("Valencia", "ES", 39.4699, -0.3763, 15, 11.5, 26.0, 1.6),
    _city("Seville", "ES", 37.3891, -5.9845, 7, 11.0, 29.0, 1.5),
    _city("Milan", "IT", 45.4642, 9.1900, 120, 2.5, 24.0, 4.3),
    _city("Turin", "IT", 45.0703, 7.6869, 239, 2.0, 23.0, 2.2),
    _city("Rome", "IT", 41.9028, 12.4964, 21, 8.0, 25.0, 4.3),
    _city("Naples", "IT", 40.8518, 14.2681, 17, 9.0, 25.0, 3.0),
    _city("Bologna", "IT", 44.4949, 11.3426, 54, 3.0, 25.0, 1.0),
    _city("Berlin", "DE", 52.5200, 13.4050, 34, 0.5, 19.5, 4.5),
    _city("Munich", "DE", 48.1351, 11.5820, 519, -0.5, 19.0, 2.9),
    _city("Hamburg", "DE", 53.5511, 9.9937, 8, 1.5, 18.0, 3.2),
    _city("Frankfurt", "DE", 50.1109, 8.6821, 112, 1.5, 20.0, 2.7),
    _city("Cologne", "DE", 50.9375, 6.9603, 53, 3.0, 19.5, 2.0),
    _city("Stuttgart", "DE", 48.7758, 9.1829, 245, 1.0, 19.5, 2.8),
    _city("Düsseldorf", "DE", 51.2277, 6.7735, 38, 3.0, 19.0, 1.5),
    _city("Brussels", "BE", 50.8503, 4.3517, 13, 3.5, 18.5, 2.1),
    _city("Antwerp", "BE", 51.2194, 4.4025, 10, 3.5, 18.5, 1.0),
    _city("Amsterdam", "NL", 52.3676, 4.9041, -2, 3.5, 18.0, 2.5),
    _city("Rotterdam", "NL", 51.9244, 4.4777, 0, 4.0, 18.0, 1.8),
    _city("Lisbon", "PT", 38.7223, -9.1393, 50, 11.5, 23.5, 2.9),
    _city("Porto", "PT", 41.1579, -8.6291, 100, 10.0, 20.5, 1.7),
    _city("Vienna", "AT", 48.2082, 16.3738, 190, 0.5, 21.0, 2.9),
    _city("Zurich", "CH", 47.3769, 8.5417, 408, 0.5, 18.5, 1.4),
    _city("Geneva", "CH", 46.2044, 6.1432, 375, 1.5, 20.0, 0.6),
    _city("Luxembourg", "LU", 49.6116, 6.1319, 300, 1.0, 18.0, 0.4),
    _city("Warsaw", "PL", 52.2297, 21.0122, 100, -1.5, 19.5, 3.1),
    _city("Prague", "CZ", 50.0755, 14.4378, 235, -0.5, 19.5, 2.2),
    _city("Copenhagen", "DK", 55.6761, 12.5683, 10, 1.5, 17.5, 2.1),
    _city("London", "GB", 51.5074, -0.1278, 15, 5.5, 19.0, 14.0),
    _city("Manchester", "GB", 53.4808, -2.2426, 40, 4.5, 16.5, 2.8),
    _city("Birmingham", "GB", 52.4862, -1.8904, 140, 4.5, 17.0, 2.9),
    _city("Bristol", "GB", 51.4545, -2.5879, 15, 5.5, 17.5, 0.7),
    _city("Leeds", "GB", 53.8008, -1.5491, 60, 4.5, 17.0, 1.9),
    _city("Liverpool", "GB", 53.4084, -2.9916, 30, 5.0, 16.5, 1.4),
    _city("Newcastle upon Tyne", "GB", 54.9783, -1.6178, 50, 4.5, 16.0, 1.1),
    _city("Sheffield", "GB", 53.3811, -1.4701, 75, 4.5, 17.0, 0.9),
    _city("Glasgow", "GB", 55.8642, -4.2518, 40, 4.0, 15.5, 1.8),
    _city("Edinburgh", "GB", 55.9533, -3.1883, 50, 4.0, 15.5, 0.9),
    _city("Cardiff", "GB", 51.4816, -3.1791, 15, 5.5, 17.0, 0.5),
)


def city_by_name(name: str) -> City:
    key = slugify(name)
    for city in CITIES:
        if slugify(city.name) == key:
            return city
    raise KeyError(f"unknown city {name!r}")


def cities_for(brand: Brand) -> tuple[City, ...]:
    """Where the brand's cars may live: Vauxhall in the UK only, the others on the
    continent."""
    if brand.countries is not None:
        allowed = brand.countries
        return tuple(c for c in CITIES if c.country in allowed)
    return tuple(c for c in CITIES if c.country != "GB")


@lru_cache(maxsize=64)
def city_zone(city: City) -> tzinfo:
    """The city's time zone (a fixed standard-time offset if no zone database exists)."""
    try:
        return ZoneInfo(city.tz)
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the host
        return timezone(timedelta(hours=city.utc_offset_h), city.tz)


def climate_temperature(city: City, at: datetime) -> float:
    """Typical outside temperature (°C) in the city at ``at``: seasonal mean plus a daily
    swing (coldest around 03:00, warmest around 15:00 local time). No weather noise."""
    local = at.astimezone(city_zone(city))
    day = local.timetuple().tm_yday
    mean = (city.jan_temp_c + city.jul_temp_c) / 2.0
    amplitude = (city.jul_temp_c - city.jan_temp_c) / 2.0
    seasonal = mean - amplitude * math.cos(2.0 * math.pi * (day - 15) / 365.25)
    hour = local.hour + local.minute / 60.0
    swing = 3.0 + 0.15 * amplitude  # wider in continental climates
    return seasonal + swing * math.cos(2.0 * math.pi * (hour - 15.0) / 24.0)


def is_daylight(lat: float, lon: float, at: datetime) -> bool:
    """Whether the sun is above the horizon (solar elevation > -0.833°)."""
    utc = at.astimezone(UTC)
    day = utc.timetuple().tm_yday
    declination = math.radians(23.44) * math.sin(2.0 * math.pi * (284 + day) / 365.0)
    solar_hour = utc.hour + utc.minute / 60.0 + utc.second / 3600.0 + lon / 15.0
    hour_angle = math.radians(15.0 * (solar_hour - 12.0))
    phi = math.radians(lat)
    sin_elevation = math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return sin_elevation > math.sin(math.radians(-0.833))

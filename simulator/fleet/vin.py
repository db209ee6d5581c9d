"""Vehicle Identification Numbers (ISO 3779) with the North-American check digit.

European VINs do not require the check digit in position 9, but the simulator computes it
for every VIN so that clients validating VINs accept them.
"""

from __future__ import annotations

import random

#: characters allowed in a VIN (I, O and Q are excluded)
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

_TRANSLITERATION: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

#: model-year codes (position 10), a 30-year cycle starting in 1980 (and 2010) with "A"
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"

_VDS_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def vin_check_digit(vin: str) -> str:
    """The check digit ("0".."9" or "X") of a 17-character VIN; position 9 is ignored."""
    if len(vin) != 17:
        raise ValueError("a VIN has 17 characters")
    total = 0
    for char, weight in zip(vin.upper(), _WEIGHTS, strict=True):
        try:
            total += _TRANSLITERATION[char] * weight
        except KeyError:
            raise ValueError(f"invalid VIN character {char!r}") from None
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(vin: str) -> bool:
    """17 characters from the VIN alphabet (upper case, no I/O/Q), valid check digit."""
    if len(vin) != 17 or any(c not in VIN_ALPHABET for c in vin):
        return False
    return vin[8] == vin_check_digit(vin)


def model_year_code(model_year: int) -> str:
    """The position-10 code of a model year (1980..2039 cycle of 30)."""
    return _YEAR_CODES[(model_year - 1980) % 30]


def make_vin(wmi: str, rng: random.Random, model_year: int, plants: str = "") -> str:
    """A valid VIN: ``wmi`` + 5 descriptor characters + check digit + model-year code +
    plant code (one of ``plants`` if given) + 6-digit serial number."""
    wmi = wmi.upper()
    if len(wmi) != 3 or any(c not in VIN_ALPHABET for c in wmi):
        raise ValueError(f"invalid world manufacturer identifier {wmi!r}")
    descriptor = "".join(rng.choice(_VDS_ALPHABET) for _ in range(5))
    plant = rng.choice(plants) if plants else rng.choice(_VDS_ALPHABET)
    serial = f"{rng.randrange(1_000_000):06d}"
    draft = f"{wmi}{descriptor}0{model_year_code(model_year)}{plant}{serial}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]

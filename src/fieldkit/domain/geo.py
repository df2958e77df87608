"""Geopoints: WGS84 latitude and longitude with a precision in metres.

Input comes as decimal degrees (``12.5042, -1.25``), degrees-minutes-seconds
(``12°30'15"N 1°15'W``) or MGRS (``30PXC 12345 67890``). Single coordinates are parsed by
``lat_lon_parser`` and MGRS by ``mgrs``; this module only splits a pair and infers how precise the
input was when the user does not say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import mgrs
from lat_lon_parser import parse as parse_coordinate

from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _

METRES_PER_DEGREE = 111_320.0
COORDINATE_DECIMALS = 6  # about 0.1 m at the equator

_MGRS = re.compile(r"^\s*(\d{1,2}[C-HJ-NP-X])\s*([A-HJ-NP-Z]{2})\s*([\d\s]*)$", re.IGNORECASE)
# Hemisphere letters are capitals: a lower-case "s" marks seconds, as in 12d30m15s.
_SPLIT_AFTER_NS = re.compile(r"^(.*?[NS])\s*[,;]?\s*(.+)$")
_SPLIT_AFTER_EW = re.compile(r"^(.*?[EW])\s*[,;]?\s*(.+)$")
_SPLIT_BEFORE_EW = re.compile(r"^([NS].*?)\s*[,;]?\s*([EW].*)$")
_SPLIT_BEFORE_NS = re.compile(r"^([EW].*?)\s*[,;]?\s*([NS].*)$")
_DECIMAL_COMMAS = re.compile(r"^\s*(-?\d+,\d+)\s*[;\s]\s*(-?\d+,\d+)\s*$")


_HEMI_NS = re.compile(r"[NS]")
_HEMI_EW = re.compile(r"[EW]")


class GeoError(InvalidInputError):
    """A position that cannot be read."""


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float
    precision_m: float | None = None
    text: str | None = None
    """The position as the user typed it (MGRS, DMS or decimal), kept so that it is shown back in
    the notation it was entered in; None when it was not typed (a data file, a form's default)."""

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "lat": round(self.lat, COORDINATE_DECIMALS),
            "lon": round(self.lon, COORDINATE_DECIMALS),
        }
        if self.precision_m is not None:
            value["precision_m"] = _tidy_number(self.precision_m)
        if self.text is not None:
            value["text"] = self.text
        return value

    def as_mgrs(self, digits: int = 5) -> str:
        text: str = mgrs.MGRS().toMGRS(self.lat, self.lon, MGRSPrecision=digits)
        return text

    def as_dms(self) -> str:
        return f"{_dms(self.lat, 'N', 'S')} {_dms(self.lon, 'E', 'W')}"

    def as_decimal(self) -> str:
        return f"{self.lat:.{COORDINATE_DECIMALS}f}, {self.lon:.{COORDINATE_DECIMALS}f}"


def _tidy_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 1)


def _dms(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value >= 0 else negative
    total = round(abs(value) * 3600, 1)
    degrees, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(degrees)}°{int(minutes):02d}'{seconds:04.1f}\"{hemisphere}"


def _check_range(lat: float, lon: float, source: str) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise GeoError(_("'{text}' is not a position").format(text=source[:60]))
    if not -90 <= lat <= 90:
        raise GeoError(_("latitude {lat} is outside -90 to 90").format(lat=lat))
    if not -180 <= lon <= 180:
        raise GeoError(_("longitude {lon} is outside -180 to 180").format(lon=lon))


def _decimals_precision(text: str) -> float:
    """Metres that the last written digit of a decimal-degree or DMS coordinate stands for."""
    numbers = re.findall(r"\d+(?:\.(\d+))?", text)
    if not numbers:
        return METRES_PER_DEGREE
    decimals = len(numbers[-1]) if numbers[-1] else 0
    unit = METRES_PER_DEGREE / (60 ** (len(numbers) - 1)) if len(numbers) <= 3 else 1.0
    return max(unit / float(10**decimals), 0.1)


def _from_mgrs(text: str) -> GeoPoint:
    match = _MGRS.match(text)
    if match is None:
        raise GeoError(_("'{text}' is not an MGRS reference").format(text=text[:60]))
    zone, square, digits = match.group(1).upper(), match.group(2).upper(), match.group(3)
    digits = re.sub(r"\s+", "", digits)
    if len(digits) % 2 or len(digits) > 10:
        raise GeoError(
            _("MGRS reference '{text}' needs an even number of digits (up to 10)").format(
                text=text[:60]
            )
        )
    side = 10 ** (5 - len(digits) // 2)  # metres per side of the square the reference names
    try:
        # For a reference shorter than 10 digits, mgrs gives the centre of its square.
        lat, lon = mgrs.MGRS().toLatLon(f"{zone}{square}{digits}")
    except Exception:
        raise GeoError(_("'{text}' is not a valid MGRS reference").format(text=text[:60])) from None
    _check_range(lat, lon, text)
    return GeoPoint(lat, lon, float(side))


def _split_pair(text: str) -> tuple[str, str]:
    commas = _DECIMAL_COMMAS.match(text)
    if commas:  # "12,5 1,5": decimal commas, the pair separated by a space or a semicolon
        return commas.group(1).replace(",", "."), commas.group(2).replace(",", ".")
    for separator in (";", ","):
        if separator in text:
            left, _sep, right = text.partition(separator)
            return left.strip(), right.strip()
    for pattern in (_SPLIT_BEFORE_EW, _SPLIT_BEFORE_NS, _SPLIT_AFTER_NS, _SPLIT_AFTER_EW):
        match = pattern.match(text)
        if match:
            return match.group(1).strip(), match.group(2).strip()
    parts = text.split()
    if len(parts) == 2:
        return parts[0], parts[1]
    raise GeoError(
        _("'{text}' is not a position: give latitude and longitude, separated by a comma").format(
            text=text[:60]
        )
    )


def parse_geopoint(text: str, precision_m: float | None = None) -> GeoPoint:
    """Read a position typed by a user in decimal degrees, DMS or MGRS."""
    source = text.strip()
    if not source or len(source) > 120:
        raise GeoError(_("'{text}' is not a position").format(text=source[:60]))
    if _MGRS.match(source) and not re.search(r"[°'\".,]", source):
        point = _from_mgrs(source)
        return GeoPoint(point.lat, point.lon, precision_m or point.precision_m)
    lat_text, lon_text = _split_pair(source)
    if _HEMI_EW.search(lat_text) and not _HEMI_EW.search(lon_text):
        lat_text, lon_text = lon_text, lat_text  # longitude written first
    if _HEMI_EW.search(lat_text) or _HEMI_NS.search(lon_text):
        raise GeoError(
            _("'{text}': latitude takes N or S and longitude E or W").format(text=source[:60])
        )
    try:
        lat = float(parse_coordinate(lat_text))
        lon = float(parse_coordinate(lon_text))
    except (ValueError, TypeError, AttributeError):
        raise GeoError(_("'{text}' is not a position").format(text=source[:60])) from None
    _check_range(lat, lon, source)
    inferred = max(_decimals_precision(lat_text), _decimals_precision(lon_text))
    return GeoPoint(lat, lon, precision_m if precision_m is not None else inferred)


def _typed_text(text: Any, lat: float, lon: float) -> str | None:
    """The typed text kept with a position, checked to name the same point."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise GeoError(_("a position's 'text' is the position as typed, a text"))
    typed = parse_geopoint(text)
    tolerance = 1.5 * 10**-COORDINATE_DECIMALS
    if abs(typed.lat - lat) > tolerance or abs(typed.lon - lon) > tolerance:
        raise GeoError(
            _("the position typed as '{text}' is not at its 'lat' and 'lon'").format(
                text=text.strip()[:60]
            )
        )
    return text.strip()


def geopoint_from_value(value: Any) -> GeoPoint:
    """A geopoint from a record value: ``{"lat", "lon", "precision_m"?, "text"?}`` or a string."""
    if isinstance(value, str):
        return parse_geopoint(value)
    if isinstance(value, dict):
        unknown = set(value) - {"lat", "lon", "precision_m", "text"}
        if unknown:
            raise GeoError(
                _("unexpected key '{key}' in a position").format(key=sorted(unknown)[0][:40])
            )
        try:
            lat = float(value["lat"])
            lon = float(value["lon"])
            raw_precision = value.get("precision_m")
            precision = None if raw_precision is None else float(raw_precision)
        except (KeyError, TypeError, ValueError):
            raise GeoError(_("a position needs numeric 'lat' and 'lon'")) from None
        if any(isinstance(value.get(key), bool) for key in ("lat", "lon", "precision_m")):
            raise GeoError(_("a position needs numeric 'lat' and 'lon'"))
        _check_range(lat, lon, "")
        if precision is not None and not (math.isfinite(precision) and 0 <= precision <= 1e7):
            raise GeoError(_("precision must be between 0 and 10,000 km, in metres"))
        return GeoPoint(lat, lon, precision, _typed_text(value.get("text"), lat, lon))
    raise GeoError(_("a position is an object with 'lat' and 'lon', or a text"))

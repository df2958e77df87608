"""Tests for reading positions (fieldkit.domain.geo): decimal degrees, DMS and MGRS."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fieldkit.domain.geo import (
    METRES_PER_DEGREE,
    GeoError,
    GeoPoint,
    geopoint_from_value,
    parse_geopoint,
)
from fieldkit.errors import InvalidInputError

DMS_LAT = 12 + 30 / 60 + 15 / 3600  # 12°30'15"


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Equirectangular distance: plenty for the few metres these tests compare."""
    mean_lat = math.radians((a.lat + b.lat) / 2)
    dx = (a.lon - b.lon) * math.cos(mean_lat) * METRES_PER_DEGREE
    dy = (a.lat - b.lat) * METRES_PER_DEGREE
    return math.hypot(dx, dy)


def parse(text: str, precision_m: float | None = None) -> GeoPoint:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mgrs warns near zone edges
        return parse_geopoint(text, precision_m)


# -- decimal degrees -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "12.5042, -1.25",
        "12.5042,-1.25",
        "12.5042; -1.25",
        "12.5042 -1.25",
        "  12.5042 ,  -1.25  ",
        "12.5042N, 1.25W",
        "12.5042 N 1.25 W",
        "N12.5042 W1.25",
        "N 12.5042, W 1.25",
        "1.25W 12.5042N",  # longitude first: swapped by its hemisphere letters
        "1.25 W, 12.5042 N",
        "+12.5042, -1.25",
    ],
)
def test_decimal_degrees_in_several_notations(text: str) -> None:
    point = parse(text)
    assert point.lat == pytest.approx(12.5042)
    assert point.lon == pytest.approx(-1.25)


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("-33.8688, 151.2093", -33.8688, 151.2093),
        ("33.8688S 151.2093E", -33.8688, 151.2093),
        ("S33.8688 E151.2093", -33.8688, 151.2093),
        ("0, 0", 0.0, 0.0),
        ("-90, -180", -90.0, -180.0),
        ("90, 180", 90.0, 180.0),
    ],
)
def test_decimal_degrees_signs_and_edges(text: str, lat: float, lon: float) -> None:
    point = parse(text)
    assert (point.lat, point.lon) == (pytest.approx(lat), pytest.approx(lon))


# -- degrees, minutes, seconds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "12°30'15\"N 1°15'W",
        "12°30'15\"N, 1°15'W",
        "12°30'15\"N; 1°15'0\"W",
        "N12°30'15\" W1°15'",
        "N 12 30 15, W 1 15 0",
        "12 30 15 N, 1 15 0 W",
        "12d30m15sN, 1d15mW",
        "1°15'W 12°30'15\"N",  # swapped order
        "W1°15', N12°30'15\"",
        "12°30.25'N 1°15'W",  # decimal minutes
        "12°30'15.0\"N 1°15'00.0\"W",  # decimal seconds
    ],
)
def test_dms_in_several_notations(text: str) -> None:
    point = parse(text)
    assert point.lat == pytest.approx(DMS_LAT)
    assert point.lon == pytest.approx(-1.25)


def test_dms_in_the_southern_and_eastern_hemispheres() -> None:
    point = parse("S33°51'35.9\" E151°12'40\"")
    assert point.lat == pytest.approx(-(33 + 51 / 60 + 35.9 / 3600))
    assert point.lon == pytest.approx(151 + 12 / 60 + 40 / 3600)


def test_dms_with_letter_markers_and_no_comma_keeps_the_hemisphere() -> None:
    point = parse("12d30m15sN 1d15mW")
    assert point.lat == pytest.approx(DMS_LAT)
    assert point.lon == pytest.approx(-1.25)


@pytest.mark.parametrize("text", ["W1.25 N12.5042", "W 1.25 N 12.5042", "W1°15' N12°30'15\""])
def test_longitude_first_with_leading_hemisphere_letters_is_swapped(text: str) -> None:
    point = parse(text)
    assert point.lat == pytest.approx(12.5042, abs=1e-3)
    assert point.lon == pytest.approx(-1.25)


def test_decimal_commas_are_not_silently_misread() -> None:
    try:
        point = parse("12,5 1,5")
    except GeoError:
        return
    assert (point.lat, point.lon) == (pytest.approx(12.5), pytest.approx(1.5))


@pytest.mark.parametrize("text", ["12.5N 1.25N", "12.5E 1.25E", "12.5E, 1.25W"])
def test_hemisphere_letters_on_the_wrong_axis_are_refused(text: str) -> None:
    with pytest.raises(GeoError, match="latitude takes N or S and longitude E or W"):
        parse(text)


# -- MGRS ------------------------------------------------------------------------------------------

MGRS_CORNER = "30PXC 12345 67890"


@pytest.mark.parametrize(
    ("text", "precision", "centre"),
    [
        ("30PXC 12345 67890", 1, "30PXC 12345 67890"),
        ("30PXC 1234 6789", 10, "30PXC 12345 67895"),
    ],
)
def test_mgrs_at_1_and_10_m_aims_at_the_centre_of_its_square(
    text: str, precision: int, centre: str
) -> None:
    point = parse(text)
    assert point.precision_m == precision
    # mgrs places the centre half a metre south-west of the geometric one (0.71 m away).
    assert distance_m(point, parse(centre)) < 1.0


@pytest.mark.parametrize(
    ("text", "precision", "centre"),
    [
        ("30PXC 123 678", 100, "30PXC 12350 67850"),
        ("30PXC 12 67", 1000, "30PXC 12500 67500"),
        ("30PXC 1 6", 10_000, "30PXC 15000 65000"),
        ("30PXC", 100_000, "30PXC 50000 50000"),
    ],
)
def test_coarse_mgrs_aims_at_the_centre_of_its_square(
    text: str, precision: int, centre: str
) -> None:
    point = parse(text)
    assert point.precision_m == precision
    # mgrs places the centre half a metre south-west of the geometric one (0.71 m away).
    assert distance_m(point, parse(centre)) < 1.0


@pytest.mark.parametrize(
    ("text", "precision", "square"),
    [
        ("30PXC 123 678", 100, "30PXC123678"),
        ("30PXC 12 67", 1000, "30PXC1267"),
        ("30PXC 1 6", 10_000, "30PXC16"),
        ("30PXC", 100_000, "30PXC"),
    ],
)
def test_coarse_mgrs_lies_inside_its_square(text: str, precision: int, square: str) -> None:
    point = parse(text)
    assert point.precision_m == precision
    assert point.as_mgrs(len(square[5:]) // 2) == square


@pytest.mark.parametrize(
    "text",
    ["30PXC1234567890", "30pxc 12345 67890", "  30PXC 12345 67890  ", "30P XC 12345 67890"],
)
def test_mgrs_spacing_and_case_do_not_matter(text: str) -> None:
    assert distance_m(parse(text), parse(MGRS_CORNER)) < 0.01


def test_mgrs_at_1_m_round_trips_exactly() -> None:
    assert parse(MGRS_CORNER).as_mgrs() == "30PXC1234567890"


def test_mgrs_lies_where_expected() -> None:
    point = parse(MGRS_CORNER)
    assert point.lat == pytest.approx(15.98799, abs=1e-4)
    assert point.lon == pytest.approx(-1.95007, abs=1e-4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30PXC 123 45", "needs an even number of digits"),
        ("30PXC 123456 789012", "needs an even number of digits"),
        ("30PXC 12345 6789", "needs an even number of digits"),
    ],
)
def test_bad_mgrs_digits_are_refused(text: str, message: str) -> None:
    with pytest.raises(GeoError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # There is no latitude band Z or I: not read as MGRS at all.
        ("99ZZZ 1 2", "is not a position: give latitude and longitude"),
        ("30IXC 12 34", "is not a position: give latitude and longitude"),
        # Shaped like MGRS, but zone 61 and zone 0 do not exist.
        ("61PXC 12 34", "is not a valid MGRS reference"),
        ("0PXC 1 2", "is not a valid MGRS reference"),
    ],
)
def test_impossible_mgrs_references_are_refused(text: str, reason: str) -> None:
    with pytest.raises(GeoError, match=f"^'{text}' {reason}"):
        parse(text)


def test_an_explicit_precision_overrides_mgrs() -> None:
    assert parse("30PXC 12 67", 5.0).precision_m == 5.0


# -- precision -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        ("12, -1", 111_320),
        ("12.5, -1.25", 11_132),  # the coarser of the two coordinates
        ("12.5042, -1.25", 1113.2),
        ("12.5042, -1.2500", 11.132),
        ("12.504200; -1.250000", 0.11132),
        ("12.50420000, -1.25000000", 0.1),  # never finer than 10 cm
        ("12°30'N 1°15'W", METRES_PER_DEGREE / 60),
        ("12°30'15\"N 1°15'W", METRES_PER_DEGREE / 60),
        ("12 30 15 N, 1 15 0 W", METRES_PER_DEGREE / 3600),
        ("12°30'15.5\"N 1°15'00.5\"W", METRES_PER_DEGREE / 36_000),
        ("12°30.25'N 1°15.50'W", METRES_PER_DEGREE / 6000),
    ],
)
def test_precision_is_inferred_from_the_last_written_digit(text: str, precision: float) -> None:
    assert parse(text).precision_m == pytest.approx(precision)


def test_an_explicit_precision_overrides_the_inferred_one() -> None:
    assert parse("12.5, -1.25", 5.0).precision_m == 5.0
    assert parse("12.5, -1.25", 0.0).precision_m == 0.0


@pytest.mark.parametrize(
    ("precision", "stored"), [(11132.0, 11132), (1855.333, 1855.3), (0.11132, 0.1), (None, None)]
)
def test_to_json_rounds_coordinates_and_tidies_the_precision(
    precision: float | None, stored: float | None
) -> None:
    value = GeoPoint(12.123456789, -1.987654321, precision).to_json()
    assert value["lat"] == 12.123457
    assert value["lon"] == -1.987654
    assert value.get("precision_m") == stored
    if stored is not None:
        assert type(value["precision_m"]) is type(stored)
    else:
        assert "precision_m" not in value


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("91, 0", "latitude 91.0 is outside -90 to 90"),
        ("-90.5, 0", "latitude -90.5 is outside -90 to 90"),
        ("0, 181", "is not a position"),
        ("0, -180.5", "is not a position"),
    ],
)
def test_out_of_range_positions_are_refused(text: str, message: str) -> None:
    with pytest.raises(GeoError, match=message):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "12",
        "a, b",
        "N, W",
        "12.5, -1.25, 3",
        "nan, 0",
        "inf, 0",
        "0, -inf",
        "x" * 121,
        "12.5," + " " * 200 + "1.25",
        "°'\"",
        "12°30'15\"N",  # only one coordinate
    ],
)
def test_junk_is_refused(text: str) -> None:
    with pytest.raises(GeoError, match="' is not a position") as info:
        parse(text)
    assert isinstance(info.value, InvalidInputError)
    assert len(info.value.user_message) < 200  # the answer is quoted, but cut short


# -- record values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"lat": 1, "lon": 2}, GeoPoint(1.0, 2.0, None)),
        ({"lat": 1.5, "lon": -2.5, "precision_m": 10}, GeoPoint(1.5, -2.5, 10.0)),
        ({"lat": 1, "lon": 2, "precision_m": None}, GeoPoint(1.0, 2.0, None)),
        ({"lat": 1, "lon": 2, "precision_m": 0}, GeoPoint(1.0, 2.0, 0.0)),
        ({"lat": 1, "lon": 2, "precision_m": 1e7}, GeoPoint(1.0, 2.0, 1e7)),
        ("1.5, -2.5", GeoPoint(1.5, -2.5, 11132.0)),
    ],
)
def test_geopoint_from_value(value: Any, expected: GeoPoint) -> None:
    point = geopoint_from_value(value)
    assert (point.lat, point.lon) == (expected.lat, expected.lon)
    assert point.precision_m == pytest.approx(expected.precision_m)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"lat": True, "lon": 2}, "numeric 'lat' and 'lon'"),
        ({"lat": 1, "lon": False}, "numeric 'lat' and 'lon'"),
        ({"lat": 1}, "numeric 'lat' and 'lon'"),
        ({"lon": 1}, "numeric 'lat' and 'lon'"),
        ({"lat": "north", "lon": 2}, "numeric 'lat' and 'lon'"),
        ({"lat": [1], "lon": 2}, "numeric 'lat' and 'lon'"),
        ({"lat": None, "lon": 2}, "numeric 'lat' and 'lon'"),
        ({"lat": 1, "lon": 2, "precision_m": "x"}, "numeric 'lat' and 'lon'"),
        ({"lat": 1, "lon": 2, "alt": 3}, "unexpected key 'alt'"),
        ({"lat": 91, "lon": 2}, "latitude 91.0 is outside"),
        ({"lat": 1, "lon": -180.0001}, "longitude -180.0001 is outside"),
        ({"lat": math.nan, "lon": 2}, "is not a position"),
        ({"lat": 1, "lon": math.inf}, "is not a position"),
        ({"lat": 1, "lon": 2, "precision_m": -1}, "precision must be between"),
        ({"lat": 1, "lon": 2, "precision_m": 1e7 + 1}, "precision must be between"),
        ({"lat": 1, "lon": 2, "precision_m": math.nan}, "precision must be between"),
        ({"lat": 1, "lon": 2, "precision_m": math.inf}, "precision must be between"),
        (None, "an object with 'lat' and 'lon', or a text"),
        (5, "an object with 'lat' and 'lon', or a text"),
        ([1, 2], "an object with 'lat' and 'lon', or a text"),
        (True, "an object with 'lat' and 'lon', or a text"),
    ],
)
def test_bad_record_values_are_refused(value: Any, message: str) -> None:
    with pytest.raises(GeoError, match=message):
        geopoint_from_value(value)


def test_a_boolean_precision_is_refused() -> None:
    with pytest.raises(GeoError, match="a position needs numeric 'lat' and 'lon'"):
        geopoint_from_value({"lat": 1, "lon": 2, "precision_m": True})


# -- formatting and round trips --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "dms"),
    [
        (GeoPoint(DMS_LAT, -1.25), "12°30'15.0\"N 1°15'00.0\"W"),
        (GeoPoint(-33.86, 151.21), "33°51'36.0\"S 151°12'36.0\"E"),
        (GeoPoint(0, 0), "0°00'00.0\"N 0°00'00.0\"E"),
        (GeoPoint(10.99999999, -0.000001), "11°00'00.0\"N 0°00'00.0\"W"),  # rounding carries
    ],
)
def test_as_dms(point: GeoPoint, dms: str) -> None:
    assert point.as_dms() == dms


def test_as_decimal_and_as_mgrs() -> None:
    point = GeoPoint(DMS_LAT, -1.25)
    assert point.as_decimal() == "12.504167, -1.250000"
    assert point.as_mgrs() == "30PXU9016982933"
    assert point.as_mgrs(1) == "30PXU98"


LATITUDES = st.floats(min_value=-79.5, max_value=83.5)
LONGITUDES = st.floats(min_value=-179.999, max_value=179.999)


@settings(max_examples=300, deadline=None)
@given(LATITUDES, LONGITUDES)
def test_round_trips_stay_within_their_precision(lat: float, lon: float) -> None:
    # Within 1 mm south of the equator, mgrs writes a northing of 00000 in band M that it
    # cannot read back (a library edge case, far below any field precision).
    assume(not -1e-7 < lat < 0)
    point = GeoPoint(lat, lon)
    via_decimal = parse(point.as_decimal())
    assert abs(via_decimal.lat - lat) <= 1e-6 and abs(via_decimal.lon - lon) <= 1e-6
    via_dms = parse(point.as_dms())
    assert distance_m(via_dms, point) < 2.5  # seconds to 0.1": up to 1.5 m on each axis
    via_mgrs = parse(point.as_mgrs())
    assert distance_m(via_mgrs, point) < 2.0  # 1 m squares, south-west corner
    assert via_mgrs.precision_m == 1


def _far_from_zone_and_band_edges(lat: float, lon: float) -> bool:
    """Squares cut by a UTM zone or latitude band edge have their centre in another square."""
    to_zone_edge = abs((lon + 180) % 6 - 3)
    to_band_edge = abs((lat + 80) % 8 - 4)
    return to_zone_edge < 2.8 and to_band_edge < 3.8 and lat < 55.5  # no Norway exceptions


@settings(max_examples=100, deadline=None)
@given(LATITUDES, LONGITUDES, st.integers(min_value=1, max_value=4))
def test_coarse_mgrs_round_trips_into_the_same_square(lat: float, lon: float, digits: int) -> None:
    assume(_far_from_zone_and_band_edges(lat, lon))
    square = GeoPoint(lat, lon).as_mgrs(digits)
    coarse = parse(square)
    assert coarse.precision_m == 10 ** (5 - digits)
    assert coarse.as_mgrs(digits) == square


# -- random input ----------------------------------------------------------------------------------

COORDINATE_ALPHABET = st.sampled_from(list("0123456789 .,;-+°'\"NSEWnsewdmsCPQXZ\t"))


@pytest.mark.timeout(120)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(COORDINATE_ALPHABET, max_size=40) | st.text(max_size=130))
def test_random_text_gives_a_position_or_a_geo_error(text: str) -> None:
    try:
        point = parse(text)
    except GeoError:
        return
    assert -90 <= point.lat <= 90 and -180 <= point.lon <= 180
    assert point.precision_m is not None and point.precision_m >= 0.1


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["lat", "lon", "precision_m", "alt"]),
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    )
    | st.none()
    | st.integers()
    | st.lists(st.floats(), max_size=2)
)
def test_random_values_give_a_position_or_a_geo_error(value: Any) -> None:
    try:
        point = geopoint_from_value(value)
    except GeoError:
        return
    assert -90 <= point.lat <= 90 and -180 <= point.lon <= 180


def test_a_value_keeps_the_text_the_position_was_typed_as() -> None:
    typed = parse_geopoint("30PXU90168293")
    value = typed.to_json() | {"text": " 30PXU90168293 "}
    point = geopoint_from_value(value)
    assert point.text == "30PXU90168293"
    assert point.to_json() == typed.to_json() | {"text": "30PXU90168293"}
    assert "text" not in parse_geopoint("30PXU90168293").to_json()  # a data file's text is not


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30PXU90168294", "the position typed as '30PXU90168294' is not at its 'lat' and 'lon'"),
        ("nowhere", "'nowhere' is not a position"),
        (12, "a position's 'text' is the position as typed, a text"),
    ],
)
def test_a_text_that_is_not_the_same_position_is_refused(text: Any, message: str) -> None:
    value = parse_geopoint("30PXU90168293").to_json() | {"text": text}
    with pytest.raises(GeoError) as info:
        geopoint_from_value(value)
    assert info.value.user_message.startswith(message)

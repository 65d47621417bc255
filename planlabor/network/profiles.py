"""Travel profiles and the OpenStreetMap tag rules that decide who may use a way or pass a node.

Four profiles: ``fuss`` (walking), ``rad`` (cycling), ``auto`` (car) and ``rollstuhl``
(wheelchair: the walking network without steps, rough surfaces, steep inclines, raised kerbs and
impassable barriers — the Inklusion theme).  Each way gets one code per profile: 0 not usable,
1 in its drawing direction, 2 against it, 3 both ways.  The rules follow the OSM wiki's access
tags (most specific key first: ``wheelchair`` → ``foot`` → ``access``; ``motorcar`` →
``motor_vehicle`` → ``vehicle`` → ``access``) with German legal defaults (no walking on a
``highway=cycleway`` without ``foot=*``, no cycling on a ``footway`` without ``bicycle=*``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from planlabor.errors import InputError


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    kmh: float | None  # constant speed; None: per way (car, from maxspeed or the road class)
    access_kmh: float  # on the straight leg from a point (facility, area) to the network
    aliases: tuple[str, ...] = ()


PROFILES: dict[str, Profile] = {
    "fuss": Profile("fuss", "zu Fuß", 4.5, 4.5, ("walk", "walking", "foot", "fuß", "zu_fuss")),
    "rad": Profile("rad", "Fahrrad", 15.0, 15.0, ("bike", "bicycle", "cycling", "fahrrad")),
    "auto": Profile("auto", "Auto", None, 15.0, ("car", "kfz", "pkw", "motorcar")),
    "rollstuhl": Profile("rollstuhl", "Rollstuhl", 3.6, 3.6, ("wheelchair", "rolli")),
}
PROFILE_IDS = tuple(PROFILES)


def profile(name: str) -> Profile:
    """A profile by its id or an alias (walk, bike, car, wheelchair …)."""
    key = name.strip().lower()
    for p in PROFILES.values():
        if key == p.id or key in p.aliases:
            return p
    raise InputError(
        f"Das Verkehrsmittel {name!r} gibt es nicht.",
        column="--profile",
        expected="fuss, rad, auto oder rollstuhl (auch walk, bike, car, wheelchair)",
    )


DENY = {"no", "private", "agricultural", "forestry", "military", "delivery", "emergency", "use_sidepath"}
ALLOW = {"yes", "designated", "permissive", "destination", "customers", "official", "public", "limited"}
KEYS = {
    "fuss": ("foot", "access"),
    "rollstuhl": ("wheelchair", "foot", "access"),
    "rad": ("bicycle", "vehicle", "access"),
    "auto": ("motorcar", "motor_vehicle", "vehicle", "access"),
}
_ROADS = {
    "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
    "unclassified", "residential", "living_street", "service", "road",
}  # fmt: skip
_TRUNK = {"trunk", "trunk_link"}
DEFAULT = {
    "fuss": _ROADS | _TRUNK | {"footway", "pedestrian", "path", "steps", "track", "corridor", "platform",
                               "elevator", "access_ramp", "crossing"},
    "rad": _ROADS | _TRUNK | {"cycleway", "path", "track"},
    "auto": _ROADS | _TRUNK | {"motorway", "motorway_link"},
}  # fmt: skip
DEFAULT["rollstuhl"] = DEFAULT["fuss"] - {"steps"}
NEVER = {"construction", "proposed", "abandoned", "disused", "razed", "raceway", "bus_guideway", "no"}
ROUGH_SURFACES = {
    "sand", "mud", "pebblestone", "grass", "woodchips", "rock", "stone", "stepping_stones",
    "unhewn_cobblestone", "gravel", "scree", "shingle", "dirt", "earth", "ground",
}  # fmt: skip
PAVED = {"asphalt", "concrete", "paved", "paving_stones", "concrete:plates", "sett", "metal", "wood"}
BAD_SMOOTHNESS = {"bad", "very_bad", "horrible", "very_horrible", "impassable"}
MAX_INCLINE = 6.0  # per cent, DIN 18040-1 for ramps and paths used by wheelchairs

# node barriers: passable by default unless listed here for the profile
_LINE_BARRIERS = {"wall", "fence", "hedge", "retaining_wall", "city_wall", "ditch"}
_NARROW = {"stile", "turnstile", "full-height_turnstile", "kissing_gate", "step"}
BLOCKING = {
    "fuss": _LINE_BARRIERS,
    "rad": _LINE_BARRIERS | _NARROW,
    "rollstuhl": _LINE_BARRIERS | _NARROW | {"cattle_grid", "cycle_barrier", "log", "motorcycle_barrier"},
}
CAR_PASSABLE = {
    "gate", "lift_gate", "swing_gate", "sliding_gate", "cattle_grid", "border_control", "toll_booth",
    "entrance", "no", "height_restrictor", "sally_port", "checkpoint", "kerb",
}  # fmt: skip
KERB_BLOCKING = {"raised", "yes", "regular", "rolled"}
MAX_KERB_M = 0.03  # lowered kerbs at crossings: at most 3 cm (DIN 18040-3)

CAR_KMH = {
    "motorway": 120.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 50.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 50.0, "tertiary_link": 40.0, "unclassified": 40.0, "residential": 30.0,
    "living_street": 7.0, "service": 15.0, "road": 30.0,
}  # fmt: skip
MAXSPEED_ZONES = {
    "urban": 50.0, "rural": 100.0, "motorway": 130.0, "trunk": 100.0, "living_street": 7.0,
    "walk": 7.0, "bicycle_road": 30.0, "zone30": 30.0, "zone20": 20.0, "zone10": 10.0,
}  # fmt: skip
MAXSPEED_RURAL = {"CH": 80.0, "AT": 100.0, "DE": 100.0}
MAX_CAR_KMH = 130.0


def _permission(tags: Mapping[str, str], keys: tuple[str, ...]) -> tuple[bool | None, str | None]:
    """True/False and the key, from the most specific access key with a known value."""
    for key in keys:
        value = tags.get(key)
        if value is None:
            continue
        value = value.split(";")[0].strip()
        if value in DENY:
            return False, key
        if value in ALLOW:
            return True, key
    return None, None


def _incline(text: str | None) -> float | None:
    """An incline in per cent (``6%``, ``-8 %``, ``4°``); None for ``up``/``down`` or unknown."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(-?\d+(?:[.,]\d+)?)\s*(%|°)?\s*", text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    if m.group(2) == "°":
        return abs(math.tan(math.radians(value))) * 100
    return abs(value)


def _wheelchair_unfit(tags: Mapping[str, str], highway: str) -> bool:
    """Surface, smoothness, incline or a mountain path make a way unusable in a wheelchair."""
    surface = tags.get("surface", "")
    if surface in ROUGH_SURFACES or tags.get("smoothness", "") in BAD_SMOOTHNESS or "sac_scale" in tags:
        return True
    incline = _incline(tags.get("incline"))
    if incline is not None and incline > MAX_INCLINE:
        return True
    return highway == "track" and tags.get("tracktype") != "grade1" and surface not in PAVED


def _usable(tags: Mapping[str, str], highway: str, pid: str) -> bool:
    if highway in NEVER or (tags.get("area") == "yes" and highway != "pedestrian"):
        return False
    allowed, key = _permission(tags, KEYS[pid])
    if allowed is False:
        return False
    if pid == "rollstuhl":
        if key == "wheelchair":
            return True
        if highway == "steps":
            return tags.get("ramp:wheelchair") == "yes"
        if _wheelchair_unfit(tags, highway):
            return False
    if allowed and key != "access":  # e.g. bicycle=yes on a footway, motor_vehicle=yes on a track
        return True
    if highway in _TRUNK and tags.get("motorroad") == "yes" and pid != "auto":
        return False
    return highway in DEFAULT[pid]


def _direction(tags: Mapping[str, str], highway: str, pid: str) -> int:
    """3 both ways, 1 only in drawing direction, 2 only against it."""
    if pid in ("fuss", "rollstuhl"):
        oneway = tags.get("oneway:foot")
    elif pid == "rad":
        oneway = tags.get("oneway:bicycle")
        if oneway is None and not any(
            tags.get(k, "").startswith("opposite") for k in ("cycleway", "cycleway:left", "cycleway:right")
        ):
            oneway = tags.get("oneway")
    else:
        oneway = tags.get("oneway")
    if oneway is None and pid in ("rad", "auto"):
        implied = tags.get("junction") in ("roundabout", "circular")
        if implied or (pid == "auto" and highway in ("motorway", "motorway_link")):
            oneway = "yes"
    if oneway in ("yes", "true", "1"):
        return 1
    if oneway in ("-1", "reverse"):
        return 2
    return 3


def way_codes(tags: Mapping[str, str]) -> dict[str, int]:
    """Per profile: 0 not usable, 1 forward, 2 backward, 3 both."""
    highway = tags.get("highway", "")
    out = {}
    for pid in PROFILE_IDS:
        out[pid] = _direction(tags, highway, pid) if _usable(tags, highway, pid) else 0
    return out


def car_kmh(tags: Mapping[str, str]) -> float:
    """Car speed of a way: its ``maxspeed`` (numbers, mph, ``DE:urban`` …) or the road class."""
    text = (tags.get("maxspeed") or "").strip().lower()
    default = CAR_KMH.get(tags.get("highway", ""), 30.0)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?", text)
    if m:
        value = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
        return min(max(value, 5.0), MAX_CAR_KMH) if value > 0 else default
    if text == "none":
        return MAX_CAR_KMH
    m = re.fullmatch(r"([a-z]{2}):(.+)", text)
    if m:
        country, zone = m.group(1).upper(), m.group(2).replace(":", "")
        if zone == "rural":
            return MAXSPEED_RURAL.get(country, 100.0)
        return MAXSPEED_ZONES.get(zone, default)
    return default


def _kerb_height(text: str | None) -> float | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(cm|mm|m)?\s*", text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    return value * {"cm": 0.01, "mm": 0.001, "m": 1.0, None: 1.0}[m.group(2)]


def node_blocks(tags: Mapping[str, str]) -> set[str]:
    """The profiles that cannot pass a node (a barrier, a raised kerb, ``access=no`` …)."""
    barrier = tags.get("barrier")
    out = set()
    for pid in PROFILE_IDS:
        explicit, _ = _permission(tags, KEYS[pid])
        if explicit is not None:
            if not explicit:
                out.add(pid)
            continue
        if barrier is None:
            blocked = False
        elif pid == "auto":
            blocked = barrier not in CAR_PASSABLE
        else:
            blocked = barrier in BLOCKING[pid]
        if pid == "rollstuhl" and not blocked:
            kerb = tags.get("kerb")
            height = _kerb_height(tags.get("kerb:height"))
            blocked = kerb in KERB_BLOCKING or (height is not None and height > MAX_KERB_M)
        if blocked:
            out.add(pid)
    return out

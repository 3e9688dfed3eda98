"""The Conversions API's `user_data`: match keys normalised and hashed.

Pure: a message in, a dict out. Pinterest compares SHA-256 digests of values it
normalised the same way, so each field is brought to Pinterest's documented form
(phone digits without leading zeros, lower-case names, `f`/`m`/`n`, YYYYMMDD…)
before hashing; a value that already is a SHA-256 hex digest is passed on,
lower-cased, so hashing upstream and hashing here give the same key. Values that
cannot be normalised are left out: a wrong key never matches, it only costs
bytes. Client IP address and user agent are sent as they are, as the API wants.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from pinterest_cli.privacy import contains_email, is_sha256_hex, sha256_hex

_NOT_DIGIT = re.compile(r"[^0-9]")
_ZIP_PLUS_FOUR = re.compile(r"([0-9]{5})[\s-]?[0-9]{4}")
_ISO_SUBDIVISION = re.compile(r"[a-z]{2}-([a-z0-9]{1,3})")
_YEAR_FIRST_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[T ]|$)")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")

# Keys are the value lower-cased with spaces, "-" and "_" removed.
_GENDERS = {
    "f": "f",
    "female": "f",
    "woman": "f",
    "w": "f",
    "m": "m",
    "male": "m",
    "man": "m",
    "n": "n",
    "nonbinary": "n",
    "nb": "n",
    "enby": "n",
}

# US states and territories by name, for `state` written out in full; Pinterest
# wants the two-letter code. Other countries' codes pass through as written.
_US_STATE_NAMES = (
    "alabama:al alaska:ak arizona:az arkansas:ar california:ca colorado:co "
    "connecticut:ct delaware:de districtofcolumbia:dc florida:fl georgia:ga "
    "hawaii:hi idaho:id illinois:il indiana:in iowa:ia kansas:ks kentucky:ky "
    "louisiana:la maine:me maryland:md massachusetts:ma michigan:mi "
    "minnesota:mn mississippi:ms missouri:mo montana:mt nebraska:ne nevada:nv "
    "newhampshire:nh newjersey:nj newmexico:nm newyork:ny northcarolina:nc "
    "northdakota:nd ohio:oh oklahoma:ok oregon:or pennsylvania:pa "
    "rhodeisland:ri southcarolina:sc southdakota:sd tennessee:tn texas:tx "
    "utah:ut vermont:vt virginia:va washington:wa westvirginia:wv "
    "wisconsin:wi wyoming:wy puertorico:pr guam:gu"
)
_US_STATES = dict(pair.split(":") for pair in _US_STATE_NAMES.split())

# Country names common enough in analytics traits to be worth recognising;
# anything else that is not a two-letter code is left out.
_COUNTRY_ALIASES = {
    "usa": "us",
    "unitedstates": "us",
    "unitedstatesofamerica": "us",
    "uk": "gb",  # "UK" is reserved in ISO 3166; the code is GB
    "unitedkingdom": "gb",
    "greatbritain": "gb",
}

# Where each field is looked for in traits: the first present name wins.
_PHONE = ("phone", "phoneNumber", "phone_number")
_FIRST_NAME = ("firstName", "first_name")
_LAST_NAME = ("lastName", "last_name")
_GENDER = ("gender",)
_BIRTHDAY = ("birthday", "dateOfBirth", "date_of_birth")
_CITY = ("city",)
_STATE = ("state",)
_ZIP = ("postalCode", "postal_code", "zip", "zipCode", "zip_code")
_COUNTRY = ("country",)


def normalise_phone(value: str) -> str | None:
    """Digits only, without leading zeros (country code first, as written)."""
    return _NOT_DIGIT.sub("", value).lstrip("0") or None


def normalise_name(value: str) -> str | None:
    """A first or last name: trimmed and lower-cased."""
    return value.strip().lower() or None


def normalise_gender(value: str) -> str | None:
    """`f`, `m` or `n` (non-binary); None for anything else."""
    key = value.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    return _GENDERS.get(key)


def normalise_birthday(value: str) -> str | None:
    """YYYYMMDD from a year-first date or date-time; None when not a real date."""
    text = value.strip()
    found = _YEAR_FIRST_DATE.match(text) or _COMPACT_DATE.fullmatch(text)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    # Years before 1900 are placeholders ("0001-01-01"), not birthdays.
    if year < 1900:
        return None
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born.strftime("%Y%m%d")


def normalise_city(value: str) -> str | None:
    """Lower-case letters and digits only: no spaces, no punctuation."""
    return "".join(ch for ch in value.lower() if ch.isalnum()) or None


def normalise_state(value: str) -> str | None:
    """The lower-case state code; US state names become their two-letter code."""
    text = value.strip().lower()
    subdivision = _ISO_SUBDIVISION.fullmatch(text)  # "US-CA" -> "ca"
    if subdivision is not None:
        return subdivision.group(1)
    letters = "".join(ch for ch in text if ch.isalpha())
    return _US_STATES.get(letters, letters) or None


def normalise_zip(value: str) -> str | None:
    """Lower-case, no spaces or hyphens; a US ZIP+4 keeps its first five digits."""
    text = value.strip().lower()
    plus_four = _ZIP_PLUS_FOUR.fullmatch(text)
    if plus_four is not None:
        return plus_four.group(1)
    return "".join(ch for ch in text if ch.isalnum()) or None


def normalise_country(value: str) -> str | None:
    """The lower-case ISO 3166-1 alpha-2 code; None when the value is not one."""
    letters = "".join(ch for ch in value.strip().lower() if ch.isalpha())
    letters = _COUNTRY_ALIASES.get(letters, letters)
    return letters if len(letters) == 2 and letters.isascii() else None


def normalise_external_id(value: str) -> str | None:
    """A user id trimmed only: ids are case-sensitive."""
    return value.strip() or None


def match_key(value: Any, normalise: Callable[[str], str | None]) -> str | None:
    """The SHA-256 hex of a normalised value; an existing digest passes, lower-cased.

    Strings and integers are read (a phone or ZIP may arrive as a JSON number);
    anything else gives None.
    """
    if type(value) is int:
        value = str(value)
    elif type(value) is not str:
        return None
    if is_sha256_hex(value.strip()):
        return value.strip().lower()
    normalised = normalise(value)
    return sha256_hex(normalised) if normalised else None


def user_data(
    message: dict, email_hash: str | None, *, send_external_id: bool = False
) -> dict[str, Any]:
    """The `user_data` object for a message; hashed fields are one-element arrays.

    `email_hash` is the resolved email match key (contract §7). Traits are read
    from `context.traits`, then the message's own `traits`; address fields also
    from their `address` object first, as in the Segment spec.
    """
    context = message.get("context")
    if type(context) is not dict:
        context = {}
    data: dict[str, Any] = {}
    if email_hash:
        data["em"] = [email_hash]
    person = _dicts(context.get("traits"), message.get("traits"))
    if person:  # most track messages carry no traits: skip the lookups
        data.update(_trait_keys(person))
    if send_external_id:
        hashed = match_key(message.get("userId"), normalise_external_id)
        if hashed is not None:
            data["external_id"] = [hashed]
    for key, field in (("client_ip_address", "ip"), ("client_user_agent", "userAgent")):
        found = context.get(field)
        # Sent unhashed, so a value holding an email address is not sent at all
        # (crawlers put a contact address in their user agent).
        if type(found) is str and found.strip() and not contains_email(found):
            data[key] = found
    return data


def _trait_keys(person: tuple[dict, ...]) -> dict[str, list[str]]:
    """The hashed fields found in these traits objects, in order of preference."""
    place: list[dict] = []
    for traits in person:
        address = traits.get("address")
        if type(address) is dict:
            place.append(address)
        place.append(traits)
    keys: dict[str, list[str]] = {}
    for key, sources, names, normalise in (
        ("ph", person, _PHONE, normalise_phone),
        ("fn", person, _FIRST_NAME, normalise_name),
        ("ln", person, _LAST_NAME, normalise_name),
        ("ge", person, _GENDER, normalise_gender),
        ("db", person, _BIRTHDAY, normalise_birthday),
        ("ct", place, _CITY, normalise_city),
        ("st", place, _STATE, normalise_state),
        ("zp", place, _ZIP, normalise_zip),
        ("country", place, _COUNTRY, normalise_country),
    ):
        found = _first(sources, names)
        if found is not None:
            hashed = match_key(found, normalise)
            if hashed is not None:
                keys[key] = [hashed]
    return keys


def _first(sources: tuple[dict, ...] | list[dict], names: tuple[str, ...]) -> Any:
    """The first present (non-null, non-empty) value of any name, source by source."""
    for source in sources:
        for name in names:
            found = source.get(name)
            if found is not None and found != "":
                return found
    return None


def _dicts(*candidates: Any) -> tuple[dict, ...]:
    return tuple(item for item in candidates if type(item) is dict)

"""Personal data: what is never sent, and how emails become match keys.

Everything here is pure and cached where the same input recurs (property keys
repeat on every message), because it runs on every value of every event.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote_plus

# Normalised key names (lower-case, letters and digits only) that are personal
# data wherever they appear.
_PII_KEYS = frozenset(
    {
        "email",
        "mail",
        "phone",
        "mobile",
        "mobilenumber",
        "cell",
        "cellphone",
        "tel",
        "telephone",
        "fax",
        "name",
        "firstname",
        "lastname",
        "fullname",
        "givenname",
        "familyname",
        "surname",
        "middlename",
        "fname",
        "lname",
        "address",
        "street",
        "streetaddress",
        "address1",
        "address2",
        "addressline1",
        "addressline2",
        "postalcode",
        "postcode",
        "zip",
        "zipcode",
        "birthday",
        "birthdate",
        "dateofbirth",
        "dob",
        "password",
        "passwd",
        "pwd",
        "ip",
        "ipaddress",
        "clientip",
        "ssn",
        "socialsecuritynumber",
        "creditcard",
        "cardnumber",
    }
)

# Substrings that make any key personal data: `billing_address`,
# `customer_email`, `shipping_phone`, `user_first_name`.
_PII_KEY_PARTS = (
    "email",
    "phone",
    "firstname",
    "lastname",
    "fullname",
    "address",
    "password",
    "birth",
    "postalcode",
    "zipcode",
)

# Deliberately broad: a false positive only drops one value, a false negative
# sends an address to a third party. The domain is matched from each `@` within
# a bounded window, so a 10 MB string costs linear time.
_NOT_IN_ADDRESS = ' \t\r\n\f\v@<>()[],;:"\\'
_EMAIL_DOMAIN = re.compile(r"[^\s@<>()\[\],;:\"'\\/?#&=]+")
_DOMAIN_WINDOW = 255
_EMAIL_VALUE = re.compile(r"[^\s@]+@[^\s@]+")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_NOT_ALNUM = re.compile(r"[^0-9a-z]")

# Page-level names in `properties` are not personal data, so the bare `name`
# key is personal only inside the user-describing objects listed here.
PERSON_CONTAINERS = frozenset({"traits", "user", "customer", "contact", "person"})


def is_pii_key(key: str, in_person: bool = False) -> bool:
    """Whether a property with this name holds personal data."""
    verdicts = PII_VERDICTS[in_person]
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = judge_key(key, in_person)
    return verdict


def judge_key(key: str, in_person: bool) -> bool:
    """Decide (and remember) whether a key names personal data.

    Keys repeat on every message, so verdicts are kept in `PII_VERDICTS`, which
    the mapping core reads directly on its hot path.
    """
    norm = _NOT_ALNUM.sub("", key.lower())
    if norm == "name":
        verdict = in_person
    elif norm in _PII_KEYS:
        verdict = True
    else:
        verdict = any(part in norm for part in _PII_KEY_PARTS) or contains_email(key)
    verdicts = PII_VERDICTS[in_person]
    # Only pathological inputs have many distinct or very long keys.
    if len(key) <= 128:
        if len(verdicts) >= 16_384:
            verdicts.clear()
        verdicts[key] = verdict
    return verdict


# Cached verdicts of judge_key: [outside a person object, inside one].
PII_VERDICTS: tuple[dict[str, bool], dict[str, bool]] = ({}, {})


def contains_email(text: str) -> bool:
    """Whether a string contains something shaped like an email address."""
    if "%40" in text:
        text = unquote_plus(text)
    at = text.find("@")
    while at != -1:
        if at > 0 and text[at - 1] not in _NOT_IN_ADDRESS:
            domain = _EMAIL_DOMAIN.match(text, at + 1, at + 1 + _DOMAIN_WINDOW)
            if domain is not None and "." in domain.group()[1:-1]:
                return True
        at = text.find("@", at + 1)
    return False


def needs_cleaning(text: str) -> bool:
    """Cheap pre-check: only strings with these characters can need clean_string."""
    return "@" in text or "%" in text or "=" in text


def clean_string(text: str) -> str | None:
    """The string with personal data taken out of its URL query, or None.

    None means the string must not be sent at all: it carries an email address
    outside a query parameter that could be dropped on its own.
    """
    if "=" in text and ("?" in text or "#" in text):
        text = _strip_url_params(text)
    if contains_email(text):
        return None
    return text


def _strip_url_params(url: str) -> str:
    base, hash_mark, fragment = url.partition("#")
    head, question, query = base.partition("?")
    if question:
        query = _clean_query(query)
        base = f"{head}?{query}" if query else head
    if hash_mark and "=" in fragment:
        fragment = _clean_query(fragment)
    return f"{base}#{fragment}" if hash_mark and fragment else base


def _clean_query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if is_pii_key(unquote_plus(name)) or contains_email(value):
            continue
        kept.append(pair)
    return "&".join(kept)


def email_match_key(value: object) -> str | None:
    """The `pd[em]` value for an email: trimmed, lower-cased, SHA-256 hex.

    A value that already is a SHA-256 hex digest is only lower-cased, so
    hashing is idempotent. Anything that is not an email gives None.
    """
    if not isinstance(value, str):
        return None
    email = value.strip()
    if _SHA256_HEX.fullmatch(email):
        return email.lower()
    if not _EMAIL_VALUE.fullmatch(email):
        return None
    return sha256_hex(email.lower())


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 text, as lower-case hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_sha256_hex(text: str) -> bool:
    """Whether a string already is a SHA-256 hex digest."""
    return _SHA256_HEX.fullmatch(text) is not None

"""`user_data` for the Conversions API: Pinterest's normalisation, then SHA-256."""

from __future__ import annotations

import pytest

from pinterest_cli.privacy import sha256_hex
from pinterest_cli.userdata import (
    match_key,
    normalise_birthday,
    normalise_city,
    normalise_country,
    normalise_gender,
    normalise_name,
    normalise_phone,
    normalise_state,
    normalise_zip,
    user_data,
)

EMAIL_KEY = sha256_hex("jane@example.com")
DIGEST = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"


@pytest.mark.parametrize(
    ("normalise", "raw", "expected"),
    [
        (normalise_phone, "+1 (555) 123-4567", "15551234567"),
        (normalise_phone, "0044 20 7946 0958", "442079460958"),
        (normalise_phone, "tel: 49-30-1234", "49301234"),
        (normalise_phone, "n/a", None),
        (normalise_phone, "000", None),
        (normalise_name, "  Jane ", "jane"),
        (normalise_name, "ÉLODIE", "élodie"),
        (normalise_name, "Mary Ann", "mary ann"),
        (normalise_name, "   ", None),
        (normalise_gender, "Female", "f"),
        (normalise_gender, " M ", "m"),
        (normalise_gender, "man", "m"),
        (normalise_gender, "non-binary", "n"),
        (normalise_gender, "Non Binary", "n"),
        (normalise_gender, "nonbinary", "n"),
        (normalise_gender, "prefer not to say", None),
        (normalise_gender, "", None),
        (normalise_birthday, "1990-05-17", "19900517"),
        (normalise_birthday, "1990-05-17T00:00:00.000Z", "19900517"),
        (normalise_birthday, "1990-5-7", "19900507"),
        (normalise_birthday, "1990/05/17", "19900517"),
        (normalise_birthday, "19900517", "19900517"),
        (normalise_birthday, "1990-02-30", None),
        (normalise_birthday, "0001-01-01", None),
        (normalise_birthday, "05/17/1990", None),
        (normalise_birthday, "1990-05-17garbage", None),
        (normalise_city, "San Francisco", "sanfrancisco"),
        (normalise_city, "St. Louis", "stlouis"),
        (normalise_city, "São Paulo", "sãopaulo"),
        (normalise_city, " - ", None),
        (normalise_state, "CA", "ca"),
        (normalise_state, "California", "ca"),
        (normalise_state, "new york", "ny"),
        (normalise_state, "US-TX", "tx"),
        (normalise_state, "NSW", "nsw"),
        (normalise_zip, "94103", "94103"),
        (normalise_zip, "94103-1234", "94103"),
        (normalise_zip, "941031234", "94103"),
        (normalise_zip, "SW1A 1AA", "sw1a1aa"),
        (normalise_zip, "02134", "02134"),
        (normalise_zip, " ", None),
        (normalise_country, "US", "us"),
        (normalise_country, " de ", "de"),
        (normalise_country, "USA", "us"),
        (normalise_country, "United States", "us"),
        (normalise_country, "UK", "gb"),
        (normalise_country, "Germany", None),
    ],
)
def test_values_are_normalised_as_pinterest_documents(normalise, raw, expected):
    assert normalise(raw) == expected


def test_a_match_key_is_the_sha256_of_the_normalised_value():
    assert match_key("+1 (555) 123-4567", normalise_phone) == sha256_hex("15551234567")


def test_numbers_are_read_as_their_digits():
    assert match_key(15551234567, normalise_phone) == sha256_hex("15551234567")
    assert match_key(94103, normalise_zip) == sha256_hex("94103")


@pytest.mark.parametrize("raw", [None, True, 1.5, ["555"], {"home": "555"}])
def test_other_json_types_give_no_key(raw):
    assert match_key(raw, normalise_phone) is None


@pytest.mark.parametrize(
    "normalise", [normalise_phone, normalise_name, normalise_zip, normalise_city]
)
def test_an_existing_digest_passes_lower_cased_and_is_not_hashed_again(normalise):
    assert match_key(f"  {DIGEST} ", normalise) == DIGEST.lower()
    assert match_key(DIGEST.lower(), normalise) == DIGEST.lower()


def test_a_value_that_cannot_be_normalised_gives_no_key():
    assert match_key("unknown", normalise_gender) is None


def full_message() -> dict:
    return {
        "type": "track",
        "userId": "User-42",
        "context": {
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (X11)",
            "traits": {
                "phone": "+1 (555) 123-4567",
                "firstName": " Jane ",
                "lastName": "Doe",
                "gender": "Female",
                "birthday": "1990-05-17",
                "address": {
                    "city": "San Francisco",
                    "state": "California",
                    "postalCode": "94103-1234",
                    "country": "US",
                },
            },
        },
    }


def test_every_field_is_hashed_into_a_one_element_array():
    data = user_data(full_message(), EMAIL_KEY, send_external_id=True)

    assert data == {
        "em": [EMAIL_KEY],
        "ph": [sha256_hex("15551234567")],
        "fn": [sha256_hex("jane")],
        "ln": [sha256_hex("doe")],
        "ge": [sha256_hex("f")],
        "db": [sha256_hex("19900517")],
        "ct": [sha256_hex("sanfrancisco")],
        "st": [sha256_hex("ca")],
        "zp": [sha256_hex("94103")],
        "country": [sha256_hex("us")],
        "external_id": [sha256_hex("User-42")],
        "client_ip_address": "203.0.113.7",
        "client_user_agent": "Mozilla/5.0 (X11)",
    }


def test_external_id_is_sent_only_when_asked():
    assert "external_id" not in user_data(full_message(), None)


def test_a_numeric_user_id_is_hashed_as_its_digits():
    message = {"userId": 42}
    data = user_data(message, None, send_external_id=True)
    assert data == {"external_id": [sha256_hex("42")]}


def test_missing_and_empty_values_are_left_out():
    message = {
        "context": {"ip": "", "userAgent": None, "traits": {"phone": "", "city": None}},
        "traits": {"gender": "unknown", "birthday": "someday"},
    }
    assert user_data(message, None, send_external_id=True) == {}


def test_a_message_without_traits_or_context_gives_only_the_email():
    assert user_data({"type": "track"}, EMAIL_KEY) == {"em": [EMAIL_KEY]}


def test_top_level_traits_are_read_after_context_traits():
    message = {
        "context": {"traits": {"firstName": "Context"}},
        "traits": {"firstName": "Own", "lastName": "Own", "first_name": "x"},
    }
    data = user_data(message, None)
    assert data["fn"] == [sha256_hex("context")]
    assert data["ln"] == [sha256_hex("own")]


def test_address_fields_come_from_the_address_object_first_then_flat_traits():
    message = {
        "traits": {
            "city": "Flat City",
            "zip": "10001",
            "address": {"city": "Address City"},
        }
    }
    data = user_data(message, None)
    assert data["ct"] == [sha256_hex("addresscity")]
    assert data["zp"] == [sha256_hex("10001")]


def test_snake_case_trait_names_are_read_too():
    message = {"traits": {"first_name": "Ann", "last_name": "Lee", "phone_number": 1}}
    data = user_data(message, None)
    assert data["fn"] == [sha256_hex("ann")]
    assert data["ln"] == [sha256_hex("lee")]
    assert data["ph"] == [sha256_hex("1")]


def test_already_hashed_traits_pass_unchanged():
    message = {"traits": {"phone": DIGEST, "lastName": DIGEST.lower()}}
    data = user_data(message, None)
    assert data["ph"] == [DIGEST.lower()]
    assert data["ln"] == [DIGEST.lower()]


def test_ip_and_user_agent_are_sent_as_they_are():
    agent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15"
    message = {"context": {"ip": "2001:db8::1", "userAgent": agent}}
    assert user_data(message, None) == {
        "client_ip_address": "2001:db8::1",
        "client_user_agent": agent,
    }


def test_non_string_ip_and_user_agent_are_left_out():
    message = {"context": {"ip": 2130706433, "userAgent": ["Mozilla"]}}
    assert user_data(message, None) == {}


def test_traits_that_are_not_objects_are_ignored():
    message = {"context": "web", "traits": ["jane"]}
    assert user_data(message, None) == {}

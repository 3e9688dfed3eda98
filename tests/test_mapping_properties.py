"""Properties of the mapping core over arbitrary input (hypothesis)."""

from __future__ import annotations

from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinterest_cli.config import EventMapping, PinterestConfig
from pinterest_cli.dryrun import explanation
from pinterest_cli.mapping import Conversion, Mapper, Reject, Skip
from pinterest_cli.privacy import email_match_key, sha256_hex
from pinterest_cli.reader import Record
from pinterest_cli.tag import params_line, tag_line, tag_params, tag_url

CONFIG = PinterestConfig(
    path="integrations.yaml",
    tag_id="1",
    value_field="price",
    event_mappings=(EventMapping("Custom Event 1", "custom", None, 3),),
    custom_properties=("prop1", "a.b"),
)
PARTNER = PinterestConfig(path="x", tag_id="1", partner_defined_events=True)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)
types = st.sampled_from(
    ["track", "page", "screen", "identify", "group", "alias", "TRACK", "x"]
) | st.text(max_size=8)
events = st.sampled_from(
    ["Order Completed", "Product Added", "Custom Event 1", "Payment Info Entered"]
) | st.text(max_size=12)


@st.composite
def messages(draw):
    message = draw(st.dictionaries(st.text(max_size=10), json_values, max_size=4))
    if draw(st.booleans()):
        message["type"] = draw(types | json_values)
    if draw(st.booleans()):
        message["event"] = draw(events | json_values)
    if draw(st.booleans()):
        message["properties"] = draw(
            st.dictionaries(st.text(max_size=10), json_values, max_size=6) | json_values
        )
    return message


@st.composite
def emails_in_text(draw):
    email = draw(st.emails())
    prefix = draw(st.sampled_from(["", "mail ", "https://x.co/?u=", "<", "a,"]))
    suffix = draw(st.sampled_from(["", " thanks", ">", "&x=1", "#top"]))
    return email, prefix + email + suffix


@st.composite
def messages_with_emails(draw):
    message = draw(messages())
    email, text = draw(emails_in_text())
    place = draw(st.sampled_from(["prop", "key", "nested", "name", "id", "ctx"]))
    props = message.get("properties")
    if not isinstance(props, dict):
        props = message["properties"] = {}
    if place == "prop":
        props[draw(st.text(max_size=8))] = text
    elif place == "key":
        props[text] = 1
    elif place == "nested":
        props["deep"] = {"list": [{"v": text}]}
    elif place == "name":
        message["name"] = text
        message["event"] = text
    elif place == "id":
        message["messageId"] = text
    else:
        message["context"] = {"page": {"url": text}, "traits": {"email": text}}
    return email, message


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_the_core_never_raises_on_any_json_object(message):
    for config in (CONFIG, PARTNER):
        outcome = Mapper(config).map(message)
        assert isinstance(outcome, Conversion | Skip | Reject)
        if isinstance(outcome, Conversion):
            params = tag_params(outcome, "1")
            params_line(params)
            tag_url(params)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_the_fast_dry_run_line_equals_the_parameters_as_json(message):
    for config in (CONFIG, PARTNER):
        outcome = Mapper(config).map(message)
        if isinstance(outcome, Conversion):
            expected = params_line(tag_params(outcome, "1"))
            assert tag_line(outcome, "1") == expected


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(messages_with_emails())
def test_no_payload_or_explanation_ever_contains_a_raw_email(case):
    email, message = case
    for config in (CONFIG, PARTNER):
        outcome = Mapper(config).map(message)
        record = Record("f", 1, 0, 0, message, None, b"")
        texts = [explanation(record, outcome)]
        if isinstance(outcome, Conversion):
            params = tag_params(outcome, "1")
            texts += [params_line(params).decode(), unquote(tag_url(params))]
        else:
            texts.append(outcome.reason)
        for text in texts:
            assert email.lower() not in text.lower()


@given(st.emails())
def test_hashing_is_idempotent_on_already_hashed_values(email):
    once = email_match_key(email)
    assert once == sha256_hex(email.strip().lower())
    assert email_match_key(once) == once
    assert email_match_key(once.upper()) == once

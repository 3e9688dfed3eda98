"""The Conversions API form (contract §10): events built, delivered, judged."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

import orjson
import pytest
import urllib3
from capi_double import AD_ACCOUNT_ID, TOKEN, CapiDouble

from pinterest_cli.capi import (
    CAPI_ENDPOINT_TEMPLATE,
    NO_STATUS,
    TOKEN_VARIABLE,
    CapiTransport,
    read_token,
)
from pinterest_cli.capi_events import (
    IN_FUTURE,
    NO_TIME,
    UNMATCHABLE,
    CapiEvents,
    event_time,
)
from pinterest_cli.config import ConfigError, EventMapping, PinterestConfig
from pinterest_cli.dryrun import capi_renderer
from pinterest_cli.events import resolve
from pinterest_cli.mapping import Conversion, Mapper, Reject, Skip
from pinterest_cli.privacy import sha256_hex
from pinterest_cli.transport import DeliveryError

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "sample_events.jsonl")
NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
EVENT_TIME = int(datetime(2026, 11, 30, 10, 12, tzinfo=UTC).timestamp())
CONTEXT = {
    "ip": "203.0.113.7",
    "userAgent": "Mozilla/5.0 (Macintosh)",
    "page": {"url": "https://shop.example.com/checkout?step=2&email=a%40b.co"},
}


def make_config(**overrides) -> PinterestConfig:
    settings = {"path": "integrations.yaml", "tag_id": "2613336903169"}
    settings["ad_account_id"] = AD_ACCOUNT_ID
    settings.update(overrides)
    return PinterestConfig(**settings)


def track(event: str, properties: dict | None = None, **fields) -> dict:
    message = {
        "type": "track",
        "event": event,
        "messageId": "msg-1",
        "timestamp": "2026-11-30T10:12:00Z",
        "context": CONTEXT,
        "properties": properties or {},
    }
    message.update(fields)
    return message


def conversion(message: dict, config: PinterestConfig | None = None) -> Conversion:
    outcome = Mapper(config or make_config()).map(message)
    assert isinstance(outcome, Conversion), outcome
    return outcome


def build(message: dict, config: PinterestConfig | None = None, **options):
    config = config or make_config()
    options.setdefault("now", lambda: NOW)
    return CapiEvents(config, **options).build(conversion(message, config))


def built(message: dict, config: PinterestConfig | None = None, **options) -> dict:
    event = build(message, config, **options)
    assert isinstance(event, dict), event
    return event


def make_transport(double: CapiDouble, **options) -> CapiTransport:
    options.setdefault("endpoint", double.endpoint)
    options.setdefault("now", lambda: NOW)
    config = options.pop("config", make_config())
    return CapiTransport(config, options.pop("token", TOKEN), **options)


def deliver(transport: CapiTransport, events: list[dict]):
    """Deliver events the way the sender does: serialised by `prepare`."""
    return transport.deliver([orjson.dumps(event) for event in events])


def sample_event(n: int = 0) -> dict:
    return built(track("Order Completed", {"value": 10, "order_id": f"o-{n}"}))


# Building events: the §10 table, field by field.


def test_an_order_becomes_a_checkout_event_with_every_field():
    properties = {
        "order_id": "50314b8e",
        "revenue": 237.9,
        "currency": "USD",
        "products": [
            {"product_id": "507f1f77", "sku": "TB-42", "name": "Trail Boot"}
            | {"price": 89.0, "quantity": 2, "category": "Footwear", "brand": "Alp"},
            {"sku": "RJ-7", "price": "59.90", "quantity": 1, "variant": "red"},
        ],
    }
    message = track("Order Completed", properties, userId="u-1")
    message["context"] = CONTEXT | {"traits": {"email": "Jane@Example.com"}}

    assert built(message) == {
        "event_name": "checkout",
        "action_source": "web",
        "event_time": EVENT_TIME,
        "event_id": "msg-1",
        "event_source_url": "https://shop.example.com/checkout?step=2",
        "user_data": {
            "em": [sha256_hex("jane@example.com")],
            "client_ip_address": "203.0.113.7",
            "client_user_agent": "Mozilla/5.0 (Macintosh)",
        },
        "custom_data": {
            "currency": "USD",
            "value": "237.9",
            "order_id": "50314b8e",
            "num_items": 3,
            "content_ids": ["507f1f77", "RJ-7"],
            "contents": [
                {"id": "507f1f77", "item_price": "89", "quantity": 2}
                | {"item_name": "Trail Boot", "item_category": "Footwear"}
                | {"item_brand": "Alp"},
                {"id": "RJ-7", "item_price": "59.9", "quantity": 1},
            ],
        },
    }


@pytest.mark.parametrize(
    ("event", "api_name"),
    [
        ("Order Completed", "checkout"),
        ("Product Added", "add_to_cart"),
        ("Product Viewed", "page_visit"),
        ("Signed Up", "signup"),
        ("Video Playback Started", "watch_video"),
        ("Products Searched", "search"),
        ("Product List Viewed", "view_category"),
        ("Payment Info Entered", "custom"),
    ],
)
def test_wire_names_become_api_names(event, api_name):
    assert built(track(event))["event_name"] == api_name


def test_a_custom_mapping_to_lead_is_sent_as_lead():
    config = make_config(event_mappings=(EventMapping("Form Sent", "Lead", None, 3),))
    assert built(track("Form Sent"), config)["event_name"] == "lead"


def test_partner_defined_events_are_sent_as_custom():
    config = make_config(partner_defined_events=True)
    event = built(track("Payment Info Entered", {"value": 5}), config)
    assert event["event_name"] == "custom"
    assert event["custom_data"] == {"value": "5"}


def test_a_mapping_to_a_non_standard_event_is_sent_as_custom():
    mapping = EventMapping("Custom Event 1", "ViewContent", None, 9)
    config = make_config(event_mappings=(mapping,))
    assert built(track("Custom Event 1"), config)["event_name"] == "custom"


def test_page_and_screen_messages_are_page_visits():
    for kind in ("page", "screen"):
        message = track("x", type=kind, name="Home")
        assert built(message)["event_name"] == "page_visit"


def test_action_source_follows_the_configuration():
    event = built(track("Signed Up"), make_config(action_source="offline"))
    assert event["action_source"] == "offline"


def test_dry_run_prints_the_event_as_it_is_sent_in_data():
    message = track("Order Completed", {"value": 10, "order_id": "o-1"})
    events = CapiEvents(make_config(), now=lambda: NOW)
    render = capi_renderer(events.build)
    line = render(None, conversion(message))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert orjson.loads(line) == built(message)


# event_time: sources in order, formats, garbage.


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"timestamp": "2026-11-30T10:12:00Z"}, EVENT_TIME),
        ({"timestamp": "2026-11-30T10:12:00.999999Z"}, EVENT_TIME),
        ({"timestamp": "2026-11-30T12:12:00+02:00"}, EVENT_TIME),
        ({"timestamp": "2026-11-30T10:12:00"}, EVENT_TIME),  # no offset: UTC
        ({"timestamp": " 2026-11-30 10:12:00Z "}, EVENT_TIME),
        ({"timestamp": EVENT_TIME}, EVENT_TIME),
        ({"timestamp": EVENT_TIME + 0.75}, EVENT_TIME),
        ({"timestamp": EVENT_TIME * 1000 + 123}, EVENT_TIME),  # milliseconds
        ({"timestamp": str(EVENT_TIME)}, EVENT_TIME),
        ({"timestamp": str(EVENT_TIME * 1000)}, EVENT_TIME),
        ({"originalTimestamp": "2026-11-30T10:12:00Z"}, EVENT_TIME),
        ({"sentAt": "2026-11-30T10:12:00Z"}, EVENT_TIME),
        ({"receivedAt": "2026-11-30T10:12:00Z"}, EVENT_TIME),
        (
            {"timestamp": "2026-11-30T10:12:00Z", "receivedAt": "2026-11-30T11:00Z"},
            EVENT_TIME,
        ),
        ({"timestamp": "soon", "originalTimestamp": EVENT_TIME}, EVENT_TIME),
        ({"sentAt": EVENT_TIME, "receivedAt": EVENT_TIME + 60}, EVENT_TIME),
    ],
)
def test_event_time_comes_from_the_first_usable_time_field(fields, expected):
    assert event_time(fields) == expected


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "",
        "0293-01-01T00:00:00Z",
        "99999-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",
        99999,
        -5,
        0,
        1e300,
        float("nan"),
        float("inf"),
        True,
        None,
        [EVENT_TIME],
        {"seconds": EVENT_TIME},
    ],
)
def test_unusable_times_give_none(value):
    assert event_time({"timestamp": value}) is None


def test_a_message_without_a_usable_time_is_rejected():
    message = track("Signed Up")
    del message["timestamp"]
    assert build(message) == Reject(NO_TIME)


# The window: old and future events are skipped before anything is sent.


def test_an_event_older_than_the_window_is_skipped():
    old = track("Signed Up", timestamp="2026-11-23T23:59:59Z")
    assert build(old) == Skip("event older than the 7-day window")
    edge = track("Signed Up", timestamp="2026-11-24T00:00:00Z")
    assert isinstance(build(edge), dict)


def test_the_window_length_is_configurable_and_named_in_the_reason():
    message = track("Signed Up", timestamp="2026-11-29T11:00:00Z")
    assert build(message, max_age=36 * 3600) == Skip(
        "event older than the 36-hour window"
    )
    assert isinstance(build(message, max_age=3 * 86400), dict)


def test_an_event_in_the_future_is_skipped_beyond_a_few_minutes():
    soon = track("Signed Up", timestamp="2026-12-01T00:05:00Z")
    later = track("Signed Up", timestamp="2026-12-01T00:05:01Z")
    assert isinstance(build(soon), dict)
    assert build(later) == Skip(IN_FUTURE)


def test_an_old_event_is_skipped_even_when_it_could_not_be_matched():
    message = track("Signed Up", timestamp="2020-01-01T00:00:00Z", context={})
    assert build(message) == Skip("event older than the 7-day window")


# event_id: the Tag's id when there is one, else a stable hash.


def test_event_id_is_the_message_id():
    assert built(track("Signed Up", messageId="abc-123"))["event_id"] == "abc-123"


def test_a_numeric_message_id_is_sent_as_a_string():
    assert built(track("Signed Up", messageId=77))["event_id"] == "77"


def test_without_a_message_id_the_event_id_is_a_stable_hash_of_the_message():
    message = track("Signed Up")
    del message["messageId"]
    reordered = dict(reversed(list(message.items())))
    other = track("Signed Up", userId="someone-else")
    del other["messageId"]

    first = built(message)["event_id"]
    assert len(first) == 64
    assert built(reordered)["event_id"] == first
    assert built(other)["event_id"] != first


def test_a_boolean_message_id_is_replaced_by_the_hash():
    assert len(built(track("Signed Up", messageId=True))["event_id"]) == 64


def test_a_message_id_holding_an_email_is_replaced_by_the_hash():
    event_id = built(track("Signed Up", messageId="jane@example.com"))["event_id"]
    assert "@" not in event_id
    assert len(event_id) == 64


# event_source_url


def test_the_source_url_falls_back_to_properties_url_without_pii_parameters():
    message = track(
        "Signed Up",
        {"url": "https://x.example/?utm_source=a&phone=555"},
        context={"ip": "1.2.3.4", "userAgent": "UA"},
    )
    assert built(message)["event_source_url"] == "https://x.example/?utm_source=a"


def test_a_source_url_that_is_not_a_string_is_left_out():
    message = track("Signed Up", {"url": 5}, context={"ip": "1.2.3.4", "page": []})
    message["context"]["userAgent"] = "UA"
    assert "event_source_url" not in built(message)


# custom_data


def test_custom_data_values_are_strings_and_counts_integers():
    properties = {
        "total": "19.99",
        "order_id": 123,
        "query": "boots",
        "currency": "EUR",
        "sku": 4411,
        "price": 20,
        "quantity": "2",
    }
    assert built(track("Product Added", properties))["custom_data"] == {
        "currency": "EUR",
        "value": "19.99",
        "order_id": "123",
        "search_string": "boots",
        "num_items": 2,
        "content_ids": ["4411"],
        "contents": [{"id": "4411", "item_price": "20", "quantity": 2}],
    }


def test_a_fractional_quantity_is_not_sent_as_a_count():
    properties = {"products": [{"product_id": "p", "quantity": 1.5}]}
    custom = built(track("Product Added", properties))["custom_data"]
    assert "num_items" not in custom
    assert custom["contents"] == [{"id": "p"}]


def test_a_product_with_only_a_variant_is_left_out_of_contents():
    properties = {"products": [{"variant": "red"}, {"name": "Hat"}]}
    custom = built(track("Order Completed", properties))["custom_data"]
    assert custom == {"contents": [{"item_name": "Hat"}]}


def test_booleans_are_not_product_names_or_ids():
    properties = {"products": [{"product_id": True, "name": False, "sku": "s-1"}]}
    custom = built(track("Order Completed", properties)).get("custom_data", {})
    assert "True" not in str(custom) and "False" not in str(custom)


def test_an_event_without_custom_values_has_no_custom_data():
    assert "custom_data" not in built(track("Signed Up", {"plan": "free"}))


def test_a_search_string_holding_an_email_is_left_out():
    event = built(track("Products Searched", {"query": "jane@example.com"}))
    assert "custom_data" not in event


def test_the_value_follows_the_mapping_rules():
    config = make_config(value_field="price")
    event = built(track("Product Added", {"price": 12.5, "value": 99}), config)
    assert event["custom_data"]["value"] == "12.5"


# The matching rule.


def test_an_event_with_only_an_ip_address_is_rejected():
    message = track("Signed Up", context={"ip": "203.0.113.7"})
    assert build(message) == Reject(UNMATCHABLE)


def test_an_email_alone_is_enough_to_match():
    message = track("Signed Up", {"email": "jane@example.com"}, context={})
    assert built(message)["user_data"] == {"em": [sha256_hex("jane@example.com")]}


def test_the_email_remembered_from_identify_is_used():
    mapper = Mapper(make_config())
    identify = {"type": "identify", "userId": "u-42", "traits": {"email": "A@b.io"}}
    mapper.map(identify)
    outcome = mapper.map(track("Signed Up", userId="u-42", context={}))
    event = CapiEvents(make_config(), now=lambda: NOW).build(outcome)
    assert event["user_data"] == {"em": [sha256_hex("a@b.io")]}


def test_external_id_follows_the_configuration_unless_overridden():
    message = track("Signed Up", userId="u-42")
    on = make_config(send_external_id=True)
    assert built(message, on)["user_data"]["external_id"] == [sha256_hex("u-42")]
    assert "external_id" not in built(message, on, send_external_id=False)["user_data"]
    assert "external_id" not in built(message)["user_data"]


def test_every_sample_event_is_accepted_by_the_api_double(capi_double):
    mapper = Mapper(make_config(value_field="price", partner_defined_events=True))
    events = CapiEvents(make_config(), now=lambda: NOW)
    payloads = []
    for _, outcome in resolve([SAMPLES], mapper):
        if isinstance(outcome, Conversion):
            payload = events.build(outcome)
            assert isinstance(payload, dict), payload
            payloads.append(payload)
    transport = make_transport(capi_double)

    result = deliver(transport, payloads)

    assert result.errors == [None] * len(payloads)
    assert capi_double.events == payloads
    assert len(payloads) > 20


# Delivery against the API double.


def test_a_batch_is_posted_with_the_bearer_token(capi_double):
    transport = make_transport(capi_double)
    events = [sample_event(n) for n in range(3)]

    result = deliver(transport, events)

    assert (result.status, result.errors) == (200, [None, None, None])
    (received,) = capi_double.requests
    assert received.authorized
    assert received.content_type == "application/json"
    assert received.path == f"/v5/ad_accounts/{AD_ACCOUNT_ID}/events"
    assert received.query == {}
    assert capi_double.events == events


def test_mixed_statuses_give_a_verdict_per_event(capi_double):
    capi_double.fail_event = lambda event: (
        "Invalid order" if event["custom_data"]["order_id"] == "o-1" else None
    )
    events = [sample_event(n) for n in range(3)]

    result = deliver(make_transport(capi_double), events)

    assert result.errors == [None, "Invalid order", None]
    assert [e["custom_data"]["order_id"] for e in capi_double.events] == ["o-0", "o-2"]


@pytest.mark.parametrize("as_list", [False, True])
def test_a_422_reports_each_event_under_details(capi_double, as_list):
    capi_double.failure_status = 422
    capi_double.details_as_list = as_list
    capi_double.fail_event = lambda event: (
        "event_time too old" if event["custom_data"]["order_id"] != "o-1" else None
    )

    result = deliver(make_transport(capi_double), [sample_event(n) for n in range(3)])

    assert result.status == 422
    assert result.errors == ["event_time too old", None, "event_time too old"]


def test_a_422_without_details_fails_the_whole_batch(capi_double):
    capi_double.answer(422, {"code": 4, "message": "Invalid request body"})

    with pytest.raises(DeliveryError) as caught:
        deliver(make_transport(capi_double), [sample_event()])

    error = caught.value
    assert str(error) == "Pinterest refused the events (422): Invalid request body"
    assert (error.retriable, error.stop_run) == (False, False)


def test_events_missing_from_the_answer_count_as_failed(capi_double):
    report = {"num_events_received": 3, "events": [{"status": "processed"}]}
    capi_double.answer(200, report)

    result = deliver(make_transport(capi_double), [sample_event(n) for n in range(3)])

    assert result.errors == [None, NO_STATUS, NO_STATUS]


def test_a_failed_status_without_a_message_still_gives_a_reason(capi_double):
    capi_double.answer(200, {"events": [{"status": "failed"}, {"status": "odd"}]})

    result = deliver(make_transport(capi_double), [sample_event(), sample_event(1)])

    assert result.errors == [
        "Pinterest marked the event failed without a message",
        "Pinterest answered status 'odd'",
    ]


def test_an_unreadable_answer_fails_every_event(capi_double):
    capi_double.answer(200, b"<html>oops</html>")

    result = deliver(make_transport(capi_double), [sample_event()])

    assert result.errors == ["Pinterest's answer (HTTP 200) could not be read"]


def test_warnings_are_logged_once_per_distinct_message(capi_double, caplog):
    capi_double.warn_event = lambda event: "currency is not standard"
    caplog.set_level(logging.INFO, logger="pinterest_cli.capi")

    result = deliver(make_transport(capi_double), [sample_event(n) for n in range(4)])

    assert result.errors == [None] * 4
    assert caplog.messages == [
        "Pinterest warned about 4 events: currency is not standard"
    ]


def test_a_wrong_token_stops_the_run(capi_double):
    transport = make_transport(capi_double, token="pina_wrong")

    with pytest.raises(DeliveryError) as caught:
        deliver(transport, [sample_event()])

    error = caught.value
    assert (error.status, error.stop_run, error.retriable) == (401, True, False)
    assert str(error) == (
        "Pinterest refused the access token (401): check "
        "PINTEREST_CONVERSION_TOKEN or --token-file: Authentication failed."
    )


def test_another_ad_account_stops_the_run(capi_double):
    config = make_config(ad_account_id="111")

    with pytest.raises(DeliveryError) as caught:
        deliver(make_transport(capi_double, config=config), [sample_event()])

    error = caught.value
    assert (error.status, error.stop_run) == (403, True)
    assert str(error).startswith(
        "Pinterest refused access (403): the token has no access to ad account "
        "111, or adAccountId is wrong"
    )


def test_429_is_retriable_after_the_time_pinterest_asks(capi_double):
    capi_double.answer(429, {"message": "Slow down"}, headers={"Retry-After": "7"})

    with pytest.raises(DeliveryError) as caught:
        deliver(make_transport(capi_double), [sample_event()])

    error = caught.value
    assert (error.status, error.retriable, error.retry_after) == (429, True, 7.0)
    assert str(error) == "HTTP 429: Slow down"


def test_503_is_retriable_and_the_retry_goes_through(capi_double):
    capi_double.answer(503, None)
    transport = make_transport(capi_double)
    events = [sample_event()]

    with pytest.raises(DeliveryError) as caught:
        deliver(transport, events)
    assert (caught.value.retriable, caught.value.retry_after) == (True, None)

    assert deliver(transport, events).errors == [None]
    assert [r.status for r in capi_double.requests] == [503, 200]


def test_other_client_errors_fail_the_batch_with_pinterests_message(capi_double):
    capi_double.answer(400, {"code": 1, "message": "Invalid parameters."})

    with pytest.raises(DeliveryError) as caught:
        deliver(make_transport(capi_double), [sample_event()])

    error = caught.value
    assert (error.status, error.retriable, error.stop_run) == (400, False, False)
    assert str(error) == "HTTP 400: Invalid parameters."


def test_a_network_error_is_retriable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/v5/ad_accounts/{{ad_account_id}}/events"
    transport = CapiTransport(make_config(), TOKEN, endpoint=endpoint, timeout=2)

    with pytest.raises(DeliveryError) as caught:
        deliver(transport, [sample_event()])

    assert caught.value.retriable
    assert str(caught.value) == "network: connection refused or unreachable"


def test_test_mode_asks_pinterest_to_validate_without_recording(capi_double):
    result = deliver(make_transport(capi_double, test=True), [sample_event()])

    assert result.errors == [None]
    assert capi_double.requests[0].query == {"test": ["true"]}
    assert capi_double.events == []
    assert len(capi_double.test_events) == 1


def test_a_batch_of_1000_is_accepted(capi_double):
    events = [sample_event(n) for n in range(1000)]

    result = deliver(make_transport(capi_double), events)

    assert result.errors == [None] * 1000
    assert len(capi_double.events) == 1000


def test_the_double_refuses_1001_events(capi_double):
    body = orjson.dumps({"data": [sample_event()] * 1001})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    response = urllib3.request("POST", capi_double.url, body=body, headers=headers)

    assert response.status == 400
    assert capi_double.events == []


def test_the_transport_never_posts_more_than_1000_events(capi_double):
    transport = make_transport(capi_double)
    with pytest.raises(ValueError):
        deliver(transport, [sample_event()] * 1001)
    assert capi_double.requests == []


def test_an_empty_batch_sends_nothing(capi_double):
    assert deliver(make_transport(capi_double), []).errors == []
    assert capi_double.requests == []


@pytest.mark.parametrize("size", [0, 1001])
def test_batch_sizes_beyond_the_api_limit_are_refused(size):
    with pytest.raises(ValueError):
        CapiTransport(make_config(), TOKEN, batch_size=size)


def test_the_endpoint_names_the_ad_account():
    transport = CapiTransport(make_config(), TOKEN, batch_size=250)
    assert transport.endpoint == CAPI_ENDPOINT_TEMPLATE.format(
        ad_account_id=AD_ACCOUNT_ID
    )
    assert (transport.name, transport.batch_size) == ("capi", 250)


def test_the_transport_needs_an_ad_account():
    with pytest.raises(ConfigError, match="adAccountId"):
        CapiTransport(make_config(ad_account_id=None), TOKEN)


def test_prepare_builds_the_event(capi_double):
    transport = make_transport(capi_double)
    prepared = transport.prepare(conversion(track("Signed Up")))
    assert orjson.loads(prepared) == built(track("Signed Up"))


# The token is a secret: never in a message, a log record or a repr.


def test_the_token_appears_in_no_error_log_or_repr(capi_double, caplog):
    caplog.set_level(logging.DEBUG)
    leak = f"token {TOKEN} is bad"
    capi_double.fail_event = lambda event: leak
    capi_double.warn_event = lambda event: leak
    capi_double.answer(200, {"events": [{"status": "failed", "error_message": leak}]})
    for status in (400, 401, 403, 422, 429, 503):
        capi_double.answer(status, {"message": leak}, headers={"Retry-After": "1"})
    transport = make_transport(capi_double)
    texts = [repr(transport), str(transport)]

    for _ in range(8):
        try:
            result = deliver(transport, [sample_event()])
        except DeliveryError as error:
            texts += [str(error), repr(error), repr(error.args), error.reason]
        else:
            texts += [str(result), *map(str, result.errors)]
    transport.close()

    assert any("[token]" in text for text in texts)
    assert all(TOKEN not in text for text in texts)
    assert "POST" in caplog.text
    assert TOKEN not in caplog.text


def test_a_token_cut_at_the_length_limit_leaves_no_part_behind(capi_double):
    capi_double.answer(400, {"message": "x" * 495 + TOKEN})

    with pytest.raises(DeliveryError) as caught:
        deliver(make_transport(capi_double), [sample_event()])

    assert str(caught.value).endswith("x[toke")
    assert TOKEN[:4] not in str(caught.value)


def test_read_token_takes_the_environment_variable():
    assert read_token(None, {TOKEN_VARIABLE: f" {TOKEN}\n"}) == TOKEN


def test_read_token_prefers_the_token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(f"{TOKEN}\n")
    path.chmod(0o600)
    assert read_token(str(path), {TOKEN_VARIABLE: "pina_other"}) == TOKEN


def test_a_pasted_bearer_prefix_is_dropped():
    assert read_token(None, {TOKEN_VARIABLE: f"Bearer {TOKEN}"}) == TOKEN


def test_a_missing_token_names_both_ways_to_give_one():
    with pytest.raises(ConfigError) as caught:
        read_token(None, {TOKEN_VARIABLE: "  "})
    assert "PINTEREST_CONVERSION_TOKEN" in str(caught.value)
    assert "--token-file" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the token file is empty"),
        (f"{TOKEN}\nsecond line", "one line of printable characters"),
        (f"{TOKEN} extra", "one line of printable characters"),
    ],
)
def test_a_bad_token_file_is_refused_without_echoing_it(tmp_path, content, message):
    path = tmp_path / "token"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError) as caught:
        read_token(str(path), {})
    assert message in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_missing_token_file_is_named(tmp_path):
    path = str(tmp_path / "absent")
    with pytest.raises(ConfigError, match="no such token file"):
        read_token(path, {TOKEN_VARIABLE: TOKEN})


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_token_file_others_can_read_gives_a_warning(tmp_path, caplog):
    path = tmp_path / "token"
    path.write_text(TOKEN)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert read_token(str(path), {}) == TOKEN
    assert "chmod 600" in caplog.text
    assert TOKEN not in caplog.text


def test_an_invalid_token_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as caught:
        CapiTransport(make_config(), f"{TOKEN}\r\nX-Injected: 1")
    assert TOKEN not in str(caught.value)

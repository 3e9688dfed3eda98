"""The mapping contract (§3-§8), rule by rule, on the Tag form."""

from __future__ import annotations

import pytest

from pinterest_cli.config import EventMapping, PinterestConfig
from pinterest_cli.mapping import Conversion, Mapper, Reject, Skip
from pinterest_cli.privacy import sha256_hex
from pinterest_cli.tag import params_line, tag_params

TAG_ID = "2613336903169"


def make_config(**overrides) -> PinterestConfig:
    settings = {"path": "integrations.yaml", "tag_id": TAG_ID}
    settings.update(overrides)
    return PinterestConfig(**settings)


def mapping(event, target, value_field=None, line=7):
    return EventMapping(event=event, mapping=target, value_field=value_field, line=line)


def track(event, **properties):
    return {"type": "track", "event": event, "properties": properties}


def params_json(params) -> str:
    """One request's parameters as dry-run prints them, without the newline."""
    return params_line(params).decode().rstrip("\n")


def params_of(message, config=None):
    outcome = Mapper(config or make_config()).map(message)
    assert isinstance(outcome, Conversion), outcome
    return tag_params(outcome, TAG_ID)


def event_data(message, config=None):
    params = params_of(message, config)
    return {key[3:-1]: value for key, value in params.items() if key[:3] == "ed["}


# §6: the worked example, in both custom modes.


def test_worked_example_prints_the_contract_payload_in_custom_mode():
    message = track("Payment Info Entered", checkout_id="39f3")
    expected = (
        '{"tid": "2613336903169", "event": "custom", "ed[checkout_id]": "39f3", '
        '"ed[custom_event_name]": "PaymentInfoEntered", "noscript": 1}'
    )
    assert params_json(params_of(message)) == expected


def test_worked_example_in_partner_defined_mode_sends_the_concatenated_name():
    message = track("Payment Info Entered", checkout_id="39f3")
    config = make_config(partner_defined_events=True)
    expected = (
        '{"tid": "2613336903169", "event": "PaymentInfoEntered", '
        '"ed[checkout_id]": "39f3", "noscript": 1}'
    )
    assert params_json(params_of(message, config)) == expected


# §3: the standard map, v2 and v1 names, any case and separator.

STANDARD = [
    ("Products Searched", "search"),
    ("Searched Products", "search"),
    ("Product List Viewed", "viewcategory"),
    ("Viewed Product Category", "viewcategory"),
    ("Promotion Viewed", "pagevisit"),
    ("Viewed Promotion", "pagevisit"),
    ("Product Viewed", "pagevisit"),
    ("Viewed Product", "pagevisit"),
    ("Product Added", "addtocart"),
    ("Added Product", "addtocart"),
    ("Cart Viewed", "pagevisit"),
    ("Viewed Cart", "pagevisit"),
    ("Order Completed", "checkout"),
    ("Completed Order", "checkout"),
    ("Product List Filtered", "search"),
    ("Filtered Product List", "search"),
    ("Signed Up", "signup"),
    ("Video Playback Started", "watchvideo"),
    ("order_completed", "checkout"),
    ("ORDER-COMPLETED", "checkout"),
    ("ordercompleted", "checkout"),
    ("  Order Completed ", "checkout"),
]


@pytest.mark.parametrize(("name", "expected"), STANDARD)
def test_standard_event_names_map_to_pinterest_events(name, expected):
    assert params_of(track(name))["event"] == expected


@pytest.mark.parametrize("name", ["Order Completed Twice", "Order", "Signed Up Later"])
def test_standard_names_match_whole_names_never_prefixes(name):
    assert params_of(track(name))["event"] == "custom"


def test_custom_mapping_wins_over_the_standard_map():
    config = make_config(event_mappings=(mapping("Order Completed", "lead"),))
    assert params_of(track("order completed "), config)["event"] == "lead"


@pytest.mark.parametrize(
    ("target", "wire"),
    [
        ("AddToCart", "addtocart"),
        ("add_to_cart", "addtocart"),
        ("addtocart", "addtocart"),
        ("Page Visit", "pagevisit"),
        ("ViewContent", "ViewContent"),
        ("View Content", "ViewContent"),
    ],
)
def test_mapping_targets_become_wire_names_or_are_sent_as_written(target, wire):
    config = make_config(event_mappings=(mapping("Thing Happened", target),))
    assert params_of(track("Thing Happened"), config)["event"] == wire


def test_custom_mapping_matches_ignoring_case_and_surrounding_whitespace_only():
    config = make_config(event_mappings=(mapping("Custom Event 1", "lead"),))
    assert params_of(track("  CUSTOM event 1 "), config)["event"] == "lead"
    assert params_of(track("CustomEvent1"), config)["event"] == "custom"


def test_first_of_duplicate_mappings_wins():
    config = make_config(
        event_mappings=(mapping("Thing", "lead"), mapping("thing", "signup"))
    )
    assert params_of(track("Thing"), config)["event"] == "lead"


def test_mapping_to_custom_sets_the_custom_event_name():
    config = make_config(event_mappings=(mapping("Quiz Done", "custom"),))
    data = event_data(track("Quiz Done", score=3), config)
    assert data == {"custom_event_name": "QuizDone"}


# §4: unmatched events.


def test_unmatched_event_is_sent_as_custom_with_all_properties():
    message = track("Payment Info Entered", checkout_id="39f3", step=2, ok=False)
    assert event_data(message) == {
        "checkout_id": "39f3",
        "step": 2,
        "ok": False,
        "custom_event_name": "PaymentInfoEntered",
    }


def test_unmatched_event_concatenated_name_removes_every_whitespace():
    config = make_config(partner_defined_events=True)
    params = params_of(track(" Payment\tInfo  Entered "), config)
    assert params["event"] == "PaymentInfoEntered"


def test_unmatched_event_gets_value_and_event_id():
    message = track("Quote Requested", total=12.5, note="x")
    message["messageId"] = "m-1"
    data = event_data(message)
    assert data["value"] == 12.5
    assert data["total"] == 12.5
    assert data["event_id"] == "m-1"


def test_unmatched_event_value_property_is_replaced_by_the_resolved_value():
    config = make_config(value_field="price")
    data = event_data(track("Quote Requested", price=9, value="ignored"), config)
    assert data["value"] == 9


def test_unmatched_nested_properties_become_bracket_keys():
    data = event_data(track("X", cart={"items": [{"sku": "a"}, {"sku": "b"}]}))
    assert data["cart][items][0][sku"] == "a"
    params = params_of(track("X", cart={"items": [{"sku": "a"}]}))
    assert params["ed[cart][items][0][sku]"] == "a"


def test_null_and_empty_values_are_dropped_but_zero_and_false_are_kept():
    data = event_data(track("X", a=None, b="", c=0, d=False, e={}, f=[]))
    assert data == {"c": 0, "d": False, "custom_event_name": "X"}


# §5: event data for matched events.


def test_order_completed_carries_only_the_standard_keys():
    message = track(
        "Order Completed",
        revenue=25.5,
        currency="USD",
        order_id="o-1",
        coupon="SAVE",
        query="boots",
        affiliation="store",
        products=[
            {"product_id": "p1", "name": "Boot", "price": 10, "quantity": 2},
            {"sku": "s2", "category": "Hats", "quantity": 1, "brand": "B"},
        ],
    )
    message["messageId"] = "m-9"
    assert params_of(message) == {
        "tid": TAG_ID,
        "event": "checkout",
        "ed[value]": 25.5,
        "ed[currency]": "USD",
        "ed[order_id]": "o-1",
        "ed[promo_code]": "SAVE",
        "ed[search_query]": "boots",
        "ed[order_quantity]": 3,
        "ed[line_items][0][product_name]": "Boot",
        "ed[line_items][0][product_id]": "p1",
        "ed[line_items][0][product_price]": 10,
        "ed[line_items][0][product_quantity]": 2,
        "ed[line_items][1][product_id]": "s2",
        "ed[line_items][1][product_category]": "Hats",
        "ed[line_items][1][product_quantity]": 1,
        "ed[line_items][1][product_brand]": "B",
        "ed[event_id]": "m-9",
        "noscript": 1,
    }


def test_line_item_id_falls_back_from_product_id_to_sku_to_id():
    products = [{"product_id": "a", "sku": "b"}, {"sku": "b", "id": "c"}, {"id": "c"}]
    data = event_data(track("Cart Viewed", products=products))
    ids = [data[f"line_items][{i}][product_id"] for i in range(3)]
    assert ids == ["a", "b", "c"]


def test_items_without_any_field_are_left_out_and_indices_stay_contiguous():
    products = [{"product_id": "a"}, {"colour": "red"}, "junk", {"sku": "c"}]
    data = event_data(track("Cart Viewed", products=products))
    assert data["line_items][0][product_id"] == "a"
    assert data["line_items][1][product_id"] == "c"
    assert not any(key.startswith("line_items][2]") for key in data)


def test_top_level_product_fields_make_one_line_item():
    data = event_data(track("Product Viewed", sku="s1", name="Boot", price="9.50"))
    assert data == {
        "line_items][0][product_name": "Boot",
        "line_items][0][product_id": "s1",
        "line_items][0][product_price": 9.5,
    }


def test_no_line_item_without_product_id_or_sku():
    data = event_data(track("Product Viewed", name="Boot", price=3))
    assert not any(key.startswith("line_items") for key in data)


def test_order_quantity_sums_products_else_uses_quantity():
    summed = event_data(track("Order Completed", products=[{"quantity": 2}, {}]))
    assert summed["order_quantity"] == 2
    single = event_data(track("Product Added", quantity="3"))
    assert single["order_quantity"] == 3


@pytest.mark.parametrize(
    ("config", "props", "value"),
    [
        ({}, {"value": 1, "revenue": 2, "total": 3}, 1),
        ({}, {"revenue": 2, "total": 3}, 2),
        ({}, {"total": 3}, 3),
        ({}, {"value": None, "revenue": "", "total": 0}, 0),
        ({"value_field": "price"}, {"price": 7, "value": 1}, 7),
        ({"value_field": "price"}, {"revenue": 2}, 2),
        ({"value_field": "cart.total"}, {"cart": {"total": 8}}, 8),
        ({"value_field": "Cart.Total"}, {"cart": {"total": 8}}, 8),
        ({"value_field": "cart.total"}, {"cart.total": 5, "cart": {"total": 8}}, 5),
        ({}, {"revenue": "12.50"}, 12.5),
    ],
)
def test_value_resolution(config, props, value):
    data = event_data(track("Order Completed", **props), make_config(**config))
    assert data["value"] == value


def test_value_that_is_not_a_number_is_not_sent_and_explained():
    outcome = Mapper(make_config()).map(track("Order Completed", revenue="n/a"))
    assert "ed[value]" not in outcome.event_data
    assert outcome.value_source == "no value (revenue is a string, not a number)"


def test_mapping_value_field_overrides_the_top_level_one():
    config = make_config(
        value_field="price",
        event_mappings=(mapping("Order Updated", "checkout", "revenueFORtest"),),
    )
    message = track("Order Updated", price=1, revenueFORtest=120)
    assert event_data(message, config)["value"] == 120


def test_empty_mapping_value_field_sends_no_value():
    config = make_config(event_mappings=(mapping("Custom Event 1", "lead", ""),))
    data = event_data(track("Custom Event 1", value=10, price=3), config)
    assert "value" not in data


def test_mapping_without_value_field_uses_the_top_level_one():
    config = make_config(
        value_field="price", event_mappings=(mapping("Custom Event 2", "lead"),)
    )
    assert event_data(track("Custom Event 2", price=4.99), config)["value"] == 4.99


def test_custom_properties_are_added_to_standard_events_under_their_path():
    config = make_config(custom_properties=("prop1", "cart.size", "missing"))
    message = track("Product Added", prop1="a", cart={"size": 3}, other="x")
    data = event_data(message, config)
    assert data["prop1"] == "a"
    assert data["cart.size"] == 3
    assert "other" not in data and "missing" not in data


def test_custom_properties_are_not_added_twice_to_unmatched_events():
    config = make_config(custom_properties=("prop1",))
    data = event_data(track("Unmatched", prop1="a"), config)
    assert data == {"prop1": "a", "custom_event_name": "Unmatched"}


# §7: privacy.


@pytest.mark.parametrize(
    "message",
    [
        track("Order Completed", email="  Jane.Doe@Example.COM "),
        {
            "type": "track",
            "event": "Order Completed",
            "context": {"traits": {"email": "jane.doe@example.com"}},
        },
        {
            "type": "track",
            "event": "Order Completed",
            "traits": {"email": "JANE.DOE@example.com"},
        },
    ],
)
def test_email_is_normalised_and_hashed_into_pd_em(message):
    assert params_of(message)["pd[em]"] == sha256_hex("jane.doe@example.com")


def test_already_hashed_email_is_lower_cased_not_hashed_again():
    digest = sha256_hex("a@b.co").upper()
    assert params_of(track("Signed Up", email=digest))["pd[em]"] == digest.lower()


def test_identify_email_is_remembered_for_the_same_user():
    mapper = Mapper(make_config())
    identify = {"type": "identify", "userId": "u1", "traits": {"email": "A@B.co"}}
    assert mapper.map(identify) == Skip("identify sends nothing")
    later = mapper.map({"type": "track", "event": "Signed Up", "userId": "u1"})
    other = mapper.map({"type": "track", "event": "Signed Up", "userId": "u2"})
    assert later.email_hash == sha256_hex("a@b.co")
    assert other.email_hash is None


def test_identify_by_anonymous_id_is_remembered_when_there_is_no_user_id():
    mapper = Mapper(make_config())
    mapper.map({"type": "identify", "anonymousId": "x", "traits": {"email": "a@b.co"}})
    later = mapper.map({"type": "page", "anonymousId": "x"})
    assert later.email_hash == sha256_hex("a@b.co")


def test_identity_memory_is_bounded():
    mapper = Mapper(make_config(), identity_capacity=2)
    for user in ("u1", "u2", "u3"):
        mapper.map({"type": "identify", "userId": user, "traits": {"email": "a@b.co"}})
    assert len(mapper.identities) == 2
    assert mapper.map({"type": "page", "userId": "u1"}).email_hash is None
    assert mapper.map({"type": "page", "userId": "u3"}).email_hash is not None


@pytest.mark.parametrize("value", [42, ["a@b.co"], "not an email", "", None])
def test_values_that_are_not_emails_give_no_match_key(value):
    assert Mapper(make_config()).map(track("Signed Up", email=value)).email_hash is None


@pytest.mark.parametrize(
    "key",
    [
        "email",
        "Email",
        "customer_email",
        "phone",
        "phoneNumber",
        "first_name",
        "lastName",
        "full_name",
        "address",
        "street",
        "billing_address",
        "postal_code",
        "zip",
        "birthday",
        "date_of_birth",
        "password",
        "ip",
        "ip_address",
    ],
)
def test_personal_data_keys_are_removed_at_any_depth(key):
    message = track("Unmatched", **{key: "secret", "deep": {"er": {key: "secret"}}})
    params = params_of(message)
    assert "secret" not in params_json(params)


def test_strings_containing_an_email_are_removed():
    data = event_data(track("Unmatched", note="write to jane@example.com", ok="x"))
    assert "note" not in data and data["ok"] == "x"


def test_email_url_parameters_are_stripped_and_the_rest_kept():
    url = "https://s.example/p?utm=a&email=jane%40example.com&e=x@y.co&Phone=1#top"
    data = event_data({"type": "page", "properties": {"url": url}})
    assert data["url"] == "https://s.example/p?utm=a#top"


def test_bare_name_is_personal_only_inside_a_person_object():
    data = event_data(track("Unmatched", name="Winter Sale", user={"name": "Ana"}))
    assert data["name"] == "Winter Sale"
    assert not any(value == "Ana" for value in data.values())


def test_event_name_with_an_email_is_rejected_when_it_would_be_sent():
    outcome = Mapper(make_config()).map(track("Signed up jane@example.com"))
    assert outcome == Reject("event name contains an email address; rename the event")


# §8: other message types.


def test_page_becomes_pagevisit_with_page_name_and_properties():
    message = {
        "type": "page",
        "name": "Home",
        "messageId": "m-2",
        "properties": {"path": "/", "title": "Shop", "referrer": ""},
    }
    assert params_of(message) == {
        "tid": TAG_ID,
        "event": "pagevisit",
        "ed[page_name]": "Home",
        "ed[path]": "/",
        "ed[title]": "Shop",
        "ed[event_id]": "m-2",
        "noscript": 1,
    }


def test_screen_becomes_pagevisit():
    assert params_of({"type": "Screen", "name": "Cart"})["event"] == "pagevisit"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "identify", "userId": "u"}, "identify sends nothing"),
        ({"type": "group", "groupId": "g"}, "group sends nothing"),
        ({"type": "alias", "previousId": "p"}, "alias sends nothing"),
        ({"type": "launch"}, "type 'launch' is not supported"),
    ],
)
def test_other_types_are_skipped_with_a_reason(message, reason):
    assert Mapper(make_config()).map(message) == Skip(reason)


def test_type_is_matched_case_insensitively():
    assert params_of({"type": "TRACK", "event": "Signed Up"})["event"] == "signup"


# §9: bad input.


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"event": "x"}, "message has no type"),
        ({"type": None}, "message has no type"),
        ({"type": 3}, "type is a number, not a string"),
        ({"type": ""}, "type is empty"),
        ({"type": "track"}, "track message has no event name"),
        ({"type": "track", "event": 5}, "track event name is a number, not a string"),
        ({"type": "track", "event": {}}, "track event name is an object, not a string"),
        ({"type": "track", "event": "  "}, "track event name is empty"),
        (
            {"type": "track", "event": "x", "properties": []},
            "properties is an array, not an object",
        ),
        (
            {"type": "page", "properties": "x"},
            "properties is a string, not an object",
        ),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(message, reason):
    assert Mapper(make_config()).map(message) == Reject(reason)

"""Tests of loading ``integrations.yaml`` and of the warnings of ``pintag check``."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinterest_cli.config import (
    ACTION_SOURCES,
    ConfigError,
    EventMapping,
    PinterestConfig,
    load_config,
    require_capi,
    resolve_config_path,
)
from pinterest_cli.configcheck import ConfigWarning, config_warnings
from pinterest_cli.standard import (
    STANDARD_EVENT_MAP,
    STANDARD_EVENTS,
    normalise_event_name,
)

SPEC_EXAMPLE = """\
- name: "pinterest"
  config:
    tagId: "2612826764086"
    handleCustomAsPartnerDefinedEvent: true
    valueFieldIdentifier: "price"
    customEventsMapping:
      - event: "Custom Event 1"
        mapping: "ViewContent"
        valueFieldIdentifier: ""
      - event: "Custom Event 2"
        mapping: "Subscribe"
        valueFieldIdentifier: "price"
    customPropertiesForStandardEvents:
      - "prop1"
      - "prop2"
"""

TOKEN_MESSAGE = (
    "tokens are not read from the configuration file; "
    "set PINTEREST_CONVERSION_TOKEN or use --token-file"
)


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write integrations.yaml in a fresh working directory; return its name.

    Working relative to the file keeps the path in messages short and exact.
    """
    monkeypatch.chdir(tmp_path)

    def _write(text: str) -> str:
        (tmp_path / "integrations.yaml").write_text(textwrap.dedent(text))
        return "integrations.yaml"

    return _write


def error_of(path: str, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, **kwargs)
    return str(caught.value)


def flat(settings: str) -> str:
    """A pinterest destination with ``settings`` beside ``name``."""
    return "- name: pinterest\n" + textwrap.indent(textwrap.dedent(settings), "  ")


# --- layouts -------------------------------------------------------------------


def test_spec_example_loads_into_the_expected_dataclass(write):
    config = load_config(write(SPEC_EXAMPLE))

    assert config == PinterestConfig(
        path="integrations.yaml",
        tag_id="2612826764086",
        partner_defined_events=True,
        value_field="price",
        event_mappings=(
            EventMapping("Custom Event 1", "ViewContent", "", line=7),
            EventMapping("Custom Event 2", "Subscribe", "price", line=10),
        ),
        custom_properties=("prop1", "prop2"),
    )


def test_settings_beside_name_load_like_settings_under_config(write):
    nested = load_config(write(SPEC_EXAMPLE))
    flattened = SPEC_EXAMPLE.replace("  config:\n", "").replace("\n    ", "\n  ")

    beside = load_config(write(flattened))

    assert beside.event_mappings[0].line == 6  # one line less above it
    assert (beside.tag_id, beside.custom_properties) == (
        nested.tag_id,
        nested.custom_properties,
    )
    assert [(m.event, m.mapping, m.value_field) for m in beside.event_mappings] == [
        (m.event, m.mapping, m.value_field) for m in nested.event_mappings
    ]
    assert beside.partner_defined_events and beside.value_field == "price"


def test_mixing_config_section_and_settings_beside_name_is_an_error(write):
    path = write(
        """\
        - name: pinterest
          valueFieldIdentifier: price
          config:
            tagId: "1"
        """
    )

    assert error_of(path) == (
        "integrations.yaml:2: 'valueFieldIdentifier' in destination 'pinterest' is "
        "beside 'name' but the destination also has a 'config:' section; put every "
        "setting under 'config:' or every setting beside 'name', not both"
    )


def test_settings_not_indented_under_config_are_explained(write):
    path = write('- name: pinterest\n  config:\n  tagId: "1"\n')

    assert error_of(path) == (
        "integrations.yaml:2: 'config' in destination 'pinterest' must be a "
        "mapping, not null; indent the settings under 'config:'"
    )


def test_empty_config_section_only_lacks_the_tag_id(write):
    path = write("- name: pinterest\n  config: {}\n")

    assert load_config(path, require_tag_id=False) == PinterestConfig(
        path="integrations.yaml", tag_id=None
    )


# --- tagId and adAccountId -------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"2612826764086"', "2612826764086"),
        ("2612826764086", "2612826764086"),
        # Unquoted, YAML 1.1 would read this as octal 83; the digits are kept.
        ("0123", "0123"),
        ("!!str 42", "42"),
    ],
)
def test_tag_id_is_normalised_to_a_string_of_digits(write, written, expected):
    config = load_config(write(flat(f"tagId: {written}")))

    assert config.tag_id == expected


@pytest.mark.parametrize(
    ("written", "described"),
    [
        ('"abc"', "the string 'abc'"),
        ('"12 34"', "the string '12 34'"),
        ('""', "the string ''"),
        ("-5", "the number -5"),
        ("0x1F", "the number 0x1F"),
        ("1_000", "the number 1_000"),
        ("1.5", "the number 1.5"),
        ("true", "true"),
        ("[1]", "a list"),
    ],
)
def test_tag_id_that_is_not_digits_is_refused(write, written, described):
    path = write(flat(f"tagId: {written}"))

    assert error_of(path) == (
        f"integrations.yaml:2: 'tagId' in destination 'pinterest' must be digits "
        f"only, not {described}; copy the number from Pinterest Ads Manager"
    )


@pytest.mark.parametrize("settings", ["valueFieldIdentifier: price", "tagId: null"])
def test_missing_tag_id_is_an_error(write, settings):
    path = write(flat(settings))

    assert error_of(path) == (
        "integrations.yaml:1: destination 'pinterest' has no 'tagId'; add your "
        'Pinterest Tag id, e.g. tagId: "2612826764086"'
    )


def test_missing_tag_id_is_accepted_when_not_required(write):
    path = write(flat("adAccountId: 549755885175"))

    config = load_config(path, require_tag_id=False)

    assert config.tag_id is None
    assert config.ad_account_id == "549755885175"


def test_non_digit_tag_id_is_refused_even_when_not_required(write):
    path = write(flat("tagId: abc"))

    assert "must be digits only" in error_of(path, require_tag_id=False)


def test_require_capi_names_the_file_when_ad_account_is_missing(write):
    config = load_config(write(flat("tagId: 1")))

    with pytest.raises(ConfigError) as caught:
        require_capi(config)

    assert str(caught.value) == (
        "integrations.yaml: the Conversions API needs 'adAccountId'; add your ad "
        'account id to the destination, e.g. adAccountId: "549755885175"'
    )


def test_require_capi_accepts_an_ad_account(write):
    config = load_config(write(flat('tagId: 1\nadAccountId: "549755885175"')))

    require_capi(config)  # does not raise


def test_ad_account_that_is_not_digits_is_refused(write):
    path = write(flat("tagId: 1\nadAccountId: act_1"))

    assert error_of(path).startswith(
        "integrations.yaml:3: 'adAccountId' in destination 'pinterest' must be "
        "digits only, not the string 'act_1'"
    )


# --- keys ----------------------------------------------------------------------


def test_typo_in_key_suggests_the_valid_key(write):
    path = write(
        """\
        - name: pinterest
          config:
            handleCustomAsPartnerDefinedEvent: false
            tagID: "1"
        """
    )

    assert error_of(path) == (
        "integrations.yaml:4: unknown key 'tagID' in destination 'pinterest' "
        "(did you mean 'tagId'?)"
    )


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("tagid", "tagId"),
        ("TAGID", "tagId"),
        ("valueFieldIdentifer", "valueFieldIdentifier"),
        ("customEventMapping", "customEventsMapping"),
        ("customPropertiesForStandardEvent", "customPropertiesForStandardEvents"),
        ("handleCustomAsPartnerDefinedEvents", "handleCustomAsPartnerDefinedEvent"),
        ("adAccountID", "adAccountId"),
        ("action_source", "actionSource"),
        ("sendExternalID", "sendExternalId"),
    ],
)
def test_each_typo_suggests_its_nearest_key(write, typo, suggestion):
    path = write(flat(f"tagId: 1\n{typo}: x"))

    assert error_of(path) == (
        f"integrations.yaml:3: unknown key '{typo}' in destination 'pinterest' "
        f"(did you mean '{suggestion}'?)"
    )


def test_unknown_key_without_a_near_match_lists_the_valid_keys(write):
    path = write('- name: pinterest\n  config:\n    tagId: "1"\n    colour: red\n')

    assert error_of(path) == (
        "integrations.yaml:4: unknown key 'colour' in destination 'pinterest'; "
        "valid keys are tagId, handleCustomAsPartnerDefinedEvent, "
        "valueFieldIdentifier, customEventsMapping, "
        "customPropertiesForStandardEvents, adAccountId, actionSource, "
        "sendExternalId"
    )


def test_typo_inside_a_mapping_entry_suggests_the_valid_key(write):
    path = write(flat("tagId: 1\ncustomEventsMapping:\n  - event: a\n    maping: b"))

    assert error_of(path) == (
        "integrations.yaml:5: unknown key 'maping' in customEventsMapping of "
        "destination 'pinterest' (did you mean 'mapping'?)"
    )


@pytest.mark.parametrize(
    "key", ["token", "accessToken", "conversionToken", "apiToken", "access_token"]
)
@pytest.mark.parametrize(
    ("layout", "line"),
    [
        ('- name: pinterest\n  tagId: "1"\n  {key}: abc\n', 3),
        ('- name: pinterest\n  config:\n    tagId: "1"\n    {key}: abc\n', 4),
        ('- name: pinterest\n  {key}: abc\n  config:\n    tagId: "1"\n', 2),
    ],
)
def test_access_tokens_are_refused_in_the_file(write, key, layout, line):
    path = write(layout.format(key=key))

    assert error_of(path) == (
        f"integrations.yaml:{line}: '{key}' in destination 'pinterest': "
        + TOKEN_MESSAGE
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            flat("tagId: 1\nvalueFieldIdentifier: a\ntagId: 2"),
            "integrations.yaml:4: duplicate key 'tagId' in destination 'pinterest' "
            "(first on line 2); keep only one",
        ),
        (
            '- name: pinterest\n  config:\n    tagId: "1"\n    tagId: "2"\n',
            "integrations.yaml:4: duplicate key 'tagId' in destination 'pinterest' "
            "(first on line 3); keep only one",
        ),
        (
            flat("tagId: 1\ncustomEventsMapping:\n  - event: a\n    event: b"),
            "integrations.yaml:5: duplicate key 'event' in customEventsMapping of "
            "destination 'pinterest' (first on line 4); keep only one",
        ),
        (
            "- name: pinterest\n  name: other\n  tagId: 1\n",
            "integrations.yaml:2: duplicate key 'name' in a destination "
            "(first on line 1); keep only one",
        ),
    ],
)
def test_duplicate_keys_are_refused(write, text, message):
    assert error_of(write(text)) == message


# --- value types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            'handleCustomAsPartnerDefinedEvent: "true"',
            "integrations.yaml:3: 'handleCustomAsPartnerDefinedEvent' in destination "
            "'pinterest' must be true or false, not the string 'true'; remove the "
            "quotes",
        ),
        (
            "sendExternalId: 1",
            "integrations.yaml:3: 'sendExternalId' in destination 'pinterest' must "
            "be true or false, not the number 1",
        ),
        (
            "customPropertiesForStandardEvents: prop1",
            "integrations.yaml:3: 'customPropertiesForStandardEvents' in destination "
            "'pinterest' must be a list of strings, not the string 'prop1'; write "
            "each on its own line as '- prop1'",
        ),
        (
            "customPropertiesForStandardEvents:\n  - prop1\n  - 7",
            "integrations.yaml:5: 'customPropertiesForStandardEvents' in destination "
            "'pinterest' must hold non-empty strings, not the number 7",
        ),
        (
            "customEventsMapping: Lead",
            "integrations.yaml:3: 'customEventsMapping' in destination 'pinterest' "
            "must be a list of entries, not the string 'Lead'; write each on its own "
            "line as '- event: ...'",
        ),
        (
            "valueFieldIdentifier: [price]",
            "integrations.yaml:3: 'valueFieldIdentifier' in destination 'pinterest' "
            "must be a string, not a list",
        ),
        (
            "actionSource: 3",
            "integrations.yaml:3: 'actionSource' in destination 'pinterest' must be "
            "a string, not the number 3",
        ),
    ],
)
def test_values_of_the_wrong_type_are_refused(write, settings, message):
    assert error_of(write(flat(f"tagId: 1\n{settings}"))) == message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "- event: Custom Event 1",
            "integrations.yaml:4: an entry of customEventsMapping of destination "
            "'pinterest' has no 'mapping'; every entry needs 'event' and 'mapping'",
        ),
        (
            "- mapping: Lead",
            "integrations.yaml:4: an entry of customEventsMapping of destination "
            "'pinterest' has no 'event'; every entry needs 'event' and 'mapping'",
        ),
        (
            "- event: a\n  mapping: null",
            "integrations.yaml:4: an entry of customEventsMapping of destination "
            "'pinterest' has no 'mapping'; every entry needs 'event' and 'mapping'",
        ),
        (
            '- event: "  "\n  mapping: Lead',
            "integrations.yaml:4: 'event' in customEventsMapping of destination "
            "'pinterest' must be a non-empty string, not the string '  '",
        ),
        (
            "- event: a\n  mapping: [Lead]",
            "integrations.yaml:5: 'mapping' in customEventsMapping of destination "
            "'pinterest' must be a non-empty string, not a list",
        ),
        (
            "- event: a\n  mapping: Lead\n  valueFieldIdentifier: 5",
            "integrations.yaml:6: 'valueFieldIdentifier' in customEventsMapping of "
            "destination 'pinterest' must be a string, not the number 5",
        ),
        (
            "- Custom Event 1",
            "integrations.yaml:4: entries of customEventsMapping of destination "
            "'pinterest' must be mappings, not the string 'Custom Event 1'; write "
            "'- event: ...' then 'mapping: ...'",
        ),
    ],
)
def test_invalid_mapping_entries_are_refused(write, entry, message):
    text = flat("tagId: 1\ncustomEventsMapping:\n" + textwrap.indent(entry, "  "))

    assert error_of(write(text)) == message


def test_empty_value_field_is_kept_distinct_from_an_absent_one(write):
    path = write(
        flat(
            """\
            tagId: 1
            customEventsMapping:
              - {event: a, mapping: Lead, valueFieldIdentifier: ""}
              - {event: b, mapping: Lead}
              - {event: c, mapping: Lead, valueFieldIdentifier: null}
              - {event: d, mapping: Lead, valueFieldIdentifier: total}
            """
        )
    )

    values = [m.value_field for m in load_config(path).event_mappings]

    assert values == ["", None, None, "total"]


def test_null_optional_values_mean_the_defaults(write):
    path = write(
        flat(
            """\
            tagId: 1
            handleCustomAsPartnerDefinedEvent: null
            valueFieldIdentifier: ~
            customEventsMapping:
            customPropertiesForStandardEvents: null
            adAccountId: null
            actionSource: null
            sendExternalId: null
            """
        )
    )

    assert load_config(path) == PinterestConfig(path="integrations.yaml", tag_id="1")


@pytest.mark.parametrize(("written", "expected"), [("true", True), ("false", False)])
def test_booleans_are_read(write, written, expected):
    text = f"tagId: 1\nsendExternalId: {written}\n"
    text += f"handleCustomAsPartnerDefinedEvent: {written}"

    config = load_config(write(flat(text)))

    assert config.send_external_id is expected
    assert config.partner_defined_events is expected


@pytest.mark.parametrize("source", ACTION_SOURCES)
def test_each_action_source_is_accepted(write, source):
    config = load_config(write(flat(f"tagId: 1\nactionSource: {source}")))

    assert config.action_source == source


def test_action_source_defaults_to_web(write):
    assert load_config(write(flat("tagId: 1"))).action_source == "web"


@pytest.mark.parametrize("source", ["Web", "website", "app"])
def test_unknown_action_source_is_refused(write, source):
    path = write(flat(f"tagId: 1\nactionSource: {source}"))

    assert error_of(path) == (
        "integrations.yaml:3: 'actionSource' in destination 'pinterest' must be one "
        f"of web, app_android, app_ios, offline, not '{source}'"
    )


# --- file structure and YAML syntax ----------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file_is_an_error(write, text):
    assert error_of(write(text)) == (
        "integrations.yaml: the file is empty; it must be a YAML list of "
        "destinations, starting with '- name: pinterest'"
    )


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("name: pinterest\ntagId: 1\n", "a mapping"),
        ("pinterest\n", "the string 'pinterest'"),
    ],
)
def test_file_that_is_not_a_list_is_an_error(write, text, described):
    assert error_of(write(text)) == (
        f"integrations.yaml:1: the file must be a YAML list of destinations, not "
        f"{described}; start each destination with '- name: ...'"
    )


@pytest.mark.parametrize(
    ("item", "described"),
    [("- pinterest", "the string 'pinterest'"), ("- [a, b]", "a list")],
)
def test_list_item_that_is_not_a_mapping_is_an_error(write, item, described):
    path = write(f"- name: pinterest\n  tagId: 1\n{item}\n")

    assert error_of(path) == (
        f"integrations.yaml:3: each destination must be a mapping, not {described}; "
        "start it with '- name: ...'"
    )


@pytest.mark.parametrize(
    "text", ["- tagId: 1\n", "- name: ''\n", "- name: [a]\n", "- name:\n"]
)
def test_destination_without_a_name_is_an_error(write, text):
    assert error_of(write(text)) == (
        "integrations.yaml:1: destination has no 'name'; add e.g. name: pinterest"
    )


@pytest.mark.parametrize(
    "text",
    [
        '- name: pinterest\n  config:\n\ttagId: "1"\n',
        '- name: pinterest\n  config:\n    \ttagId: "1"\n',
    ],
)
def test_tab_indentation_is_a_syntax_error_with_advice(write, text):
    assert error_of(write(text)) == (
        "integrations.yaml:3: YAML syntax error: found character '\\t' that cannot "
        "start any token (indent with spaces, not tabs)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- name: pinterest\n  tagId: [1\n",
            "integrations.yaml:3: YAML syntax error: expected ',' or ']', but got "
            "'<stream end>'",
        ),
        (
            "- name: pinterest\n---\n- name: other\n",
            "integrations.yaml:2: YAML syntax error: expected a single document in "
            "the stream, but found another document",
        ),
        (
            "- name: pinterest\n  tagId: \x07\n",
            "integrations.yaml:2: YAML syntax error: special characters are not "
            "allowed",
        ),
    ],
)
def test_other_yaml_syntax_errors_name_the_line(write, text, message):
    assert error_of(write(text)) == message


def test_missing_file_says_how_to_point_at_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert error_of("integrations.yaml") == (
        "integrations.yaml: no such file; pass --config PATH or set PINTAG_CONFIG"
    )


def test_unreadable_file_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "integrations.yaml").mkdir()

    assert error_of("integrations.yaml").startswith("integrations.yaml: cannot read")


def test_file_that_is_not_utf8_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "integrations.yaml").write_bytes(b"- name: pinterest\xff\n")

    assert error_of("integrations.yaml").startswith("integrations.yaml: not UTF-8 text")


def test_path_in_messages_is_the_path_as_given(write, tmp_path):
    write("[]")
    path = str(tmp_path / "integrations.yaml")

    assert error_of(path).startswith(f"{path}: no destination named 'pinterest'")


# --- choosing the destination --------------------------------------------------

TWO_DESTINATIONS = """\
- name: Google Analytics
  config:
    measurementId: G-123
- name: Pinterest
  config:
    tagId: "111"
- name: Pinterest Staging
  tagId: "222"
"""


@pytest.mark.parametrize(
    ("destination", "tag_id"),
    [
        (None, "111"),
        ("pinterest", "111"),
        ("PINTEREST", "111"),
        ("Pinterest Staging", "222"),
        ("pinterest staging", "222"),
    ],
)
def test_destination_is_chosen_by_name_ignoring_case(write, destination, tag_id):
    config = load_config(write(TWO_DESTINATIONS), destination)

    assert config.tag_id == tag_id


def test_other_destinations_are_ignored_even_with_weird_keys(write):
    path = write(
        """\
        - name: segment-io
          apiToken: secret
          tagID: not-digits
          whatever: {a: [1, 2]}
          whatever: again
          sendExternalId: "yes please"
        - name: pinterest
          tagId: 1
        - name: Facebook Pixel
          config: not-a-mapping
        - name: 42
          tagId: [1, 2]
        """
    )

    assert load_config(path).tag_id == "1"


def test_no_pinterest_destination_lists_the_ones_there(write):
    path = write(TWO_DESTINATIONS.replace("Pinterest", "Pin"))

    assert error_of(path) == (
        "integrations.yaml: no destination named 'pinterest' (destinations in the "
        "file: 'Google Analytics', 'Pin', 'Pin Staging'); add a '- name: pinterest' "
        "entry or pass --destination NAME"
    )


def test_unknown_destination_option_lists_the_ones_there(write):
    path = write(TWO_DESTINATIONS)

    assert error_of(path, destination="pinterest-prod") == (
        "integrations.yaml: no destination named 'pinterest-prod' (destinations in "
        "the file: 'Google Analytics', 'Pinterest', 'Pinterest Staging'); add a "
        "'- name: pinterest-prod' entry or pass --destination NAME"
    )


def test_empty_list_has_no_destination(write):
    assert error_of(write("[]\n")) == (
        "integrations.yaml: no destination named 'pinterest' (destinations in the "
        "file: none); add a '- name: pinterest' entry or pass --destination NAME"
    )


def test_destination_named_twice_is_an_error(write):
    path = write("- name: pinterest\n  tagId: 1\n- name: PINTEREST\n  tagId: 2\n")

    assert error_of(path) == (
        "integrations.yaml:3: destination 'pinterest' appears more than once "
        "(lines 1 and 3); keep only one"
    )


# --- resolve_config_path ---------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        ("cli.yaml", {"PINTAG_CONFIG": "env.yaml"}, "cli.yaml"),
        (None, {"PINTAG_CONFIG": "env.yaml"}, "env.yaml"),
        (None, {}, "integrations.yaml"),
        (None, {"PINTAG_CONFIG": ""}, "integrations.yaml"),
        ("", {"PINTAG_CONFIG": "env.yaml"}, "env.yaml"),
    ],
)
def test_config_path_prefers_option_then_environment_then_default(
    option, environ, expected
):
    assert resolve_config_path(option, environ) == expected


# --- warnings ----------------------------------------------------------------------


def mappings(*pairs: tuple[str, str]) -> PinterestConfig:
    entries = tuple(
        EventMapping(event, target, None, line=10 + n)
        for n, (event, target) in enumerate(pairs)
    )
    return PinterestConfig(path="integrations.yaml", tag_id="1", event_mappings=entries)


def test_spec_example_warns_about_its_non_standard_targets(write):
    warnings = config_warnings(load_config(write(SPEC_EXAMPLE)))

    assert warnings[1] == ConfigWarning(
        10,
        "'Custom Event 2' -> 'Subscribe': 'Subscribe' is not a standard Pinterest "
        "event; it will be sent as a partner-defined event and Pinterest will not "
        "report it as a conversion",
    )
    assert [w.line for w in warnings] == [7, 10]


@pytest.mark.parametrize(
    "target",
    ["AddToCart", "add_to_cart", "add to cart", "addtocart", "Page-Visit", "custom"],
)
def test_standard_targets_however_spelled_give_no_warning(target):
    assert config_warnings(mappings(("Custom Event 1", target))) == []


@pytest.mark.parametrize(
    ("event", "standard"),
    [
        ("Order Completed", "checkout"),
        ("order_completed", "checkout"),
        ("Completed-Order", "checkout"),
        ("Products Searched", "search"),
        ("Product List Filtered", "search"),
        ("Viewed Product Category", "viewcategory"),
        ("Promotion Viewed", "pagevisit"),
        ("Product Viewed", "pagevisit"),
        ("Cart Viewed", "pagevisit"),
        ("Added Product", "addtocart"),
        ("Signed Up", "signup"),
        ("Video Playback Started", "watchvideo"),
    ],
)
def test_mapping_a_standard_event_warns_that_it_overrides(event, standard):
    warnings = config_warnings(mappings((event, "Lead")))

    assert warnings == [
        ConfigWarning(
            10,
            f"'{event}' -> 'Lead': '{event}' is a standard event that pintag would "
            f"otherwise send as '{standard}'; this mapping overrides it",
        )
    ]


@pytest.mark.parametrize("event", ["Order", "Order Completed Twice", "Viewed"])
def test_standard_names_match_only_whole_names(event):
    assert config_warnings(mappings((event, "Checkout"))) == []


def test_duplicate_mapping_entries_warn_naming_both_lines():
    config = mappings(("Signup Done", "Signup"), (" signup done ", "Lead"))

    assert config_warnings(config) == [
        ConfigWarning(
            11,
            "' signup done ' is mapped twice (lines 10 and 11); the first entry, "
            "on line 10, wins and line 11 is ignored",
        )
    ]


def test_duplicates_are_found_in_a_loaded_file(write):
    path = write(
        flat(
            """\
            tagId: 1
            customEventsMapping:
              - {event: Trial Started, mapping: Lead}
              - {event: TRIAL STARTED, mapping: Signup}
            """
        )
    )

    [warning] = config_warnings(load_config(path))

    assert warning.line == 5
    assert warning.message.startswith("'TRIAL STARTED' is mapped twice (lines 4 and 5)")


@pytest.mark.parametrize(
    "prop",
    [
        "email",
        "Email",
        "traits.email",
        "phone",
        "phone_number",
        "first_name",
        "lastName",
        "address",
        "shipping_address",
        "customer.email",
        "zip",
        "postal-code",
    ],
)
def test_personal_data_in_custom_properties_warns(write, prop):
    path = write(
        flat(f'tagId: 1\ncustomPropertiesForStandardEvents:\n  - a\n  - "{prop}"')
    )

    assert config_warnings(load_config(path)) == [
        ConfigWarning(
            5,
            f"customPropertiesForStandardEvents: '{prop}' is personal data; it is "
            "always removed before sending, so listing it has no effect",
        )
    ]


@pytest.mark.parametrize(
    "prop", ["name", "product.name", "price", "zipper", "sku", "address.city"]
)
def test_ordinary_custom_properties_give_no_warning(prop):
    config = PinterestConfig(path="x", tag_id="1", custom_properties=(prop,))

    assert config_warnings(config) == []


def test_warnings_of_a_hand_built_config_have_line_zero():
    config = PinterestConfig(path="x", tag_id="1", custom_properties=("email",))

    assert [w.line for w in config_warnings(config)] == [0]


def test_one_entry_can_give_several_warnings_in_line_order():
    config = mappings(("Lead Form", "Lead"), ("Order Completed", "Purchase"))

    warnings = config_warnings(config)

    assert [w.line for w in warnings] == [11, 11]
    assert "not a standard Pinterest event" in warnings[0].message
    assert "overrides it" in warnings[1].message


def test_clean_config_has_no_warnings():
    assert config_warnings(mappings(("Lead Form", "Lead"))) == []


# --- shared names ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Order Completed", "ordercompleted"),
        ("order_completed", "ordercompleted"),
        ("Order-Completed", "ordercompleted"),
        ("ADD TO CART", "addtocart"),
    ],
)
def test_event_names_are_normalised_without_case_or_separators(name, normalised):
    assert normalise_event_name(name) == normalised


@given(st.text())
def test_normalising_an_event_name_twice_changes_nothing(name):
    once = normalise_event_name(name)

    assert normalise_event_name(once) == once


def test_standard_event_map_is_keyed_by_normalised_names_of_standard_events():
    assert len(STANDARD_EVENT_MAP) == 18
    for name, event in STANDARD_EVENT_MAP.items():
        assert normalise_event_name(name) == name
        assert event in STANDARD_EVENTS

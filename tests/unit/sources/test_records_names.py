"""Records read like records, and recipients as registries spell them still match: amounts,
agencies and ALL-CAPS names as titles write them, through the shipped watchlists' matcher."""

from __future__ import annotations

import pytest

from monitor.config.watchlists import check_watchlists
from monitor.matching import Matcher
from monitor.sources.records.common import display_name, money, short_agency
from monitor.sources.records.usaspending import award_entry
from tests.support.helpers import WATCHLISTS


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    watchlists, problems = check_watchlists(WATCHLISTS)
    assert not problems
    return Matcher(watchlists)


@pytest.mark.parametrize(("recipient", "entity"), [
    ("THE GEO GROUP, INC.", "GEO Group"),
    ("GEO GROUP INC", "GEO Group"),
    ("GEO SECURE SERVICES, LLC", "GEO Group"),
    ("AMAZON WEB SERVICES, INC.", "Amazon"),
    ("AMAZON.COM SERVICES LLC", "Amazon"),
    ("CORECIVIC, INC.", "CoreCivic"),
    ("CORRECTIONS CORPORATION OF AMERICA", "CoreCivic"),
])
def test_recipient_name_variants_are_matched(matcher, recipient, entity):
    entry = award_entry({"generated_internal_id": "CONT_AWD_X_7012_-NONE-_-NONE-",
                    "Recipient Name": recipient, "Award Amount": 1_000_000.0,
                    "Awarding Sub Agency": "U.S. Immigration and Customs Enforcement",
                    "Description": "DETENTION SERVICES", "Base Obligation Date": "2026-11-02"})
    found = {m.entity: m.field for m in matcher.match(entry.title, entry.summary)}
    assert found.get(entity) == "title", (entry.title, found)
    assert found.get("ICE") is not None


def test_amounts_agencies_and_names_read_as_headlines():
    assert [money(v) for v in (12_345_678.9, 1_000_000, 950_000, 2.4e9, -1_250_000, None)] == [
        "$12.3 million", "$1 million", "$950,000", "$2.4 billion", "-$1.2 million", ""]
    assert short_agency("U.S. Immigration and Customs Enforcement") == "ICE"
    assert short_agency("Federal Aviation Administration") == "Federal Aviation Administration"
    assert display_name("THE GEO GROUP, INC.") == "The GEO Group, Inc."
    assert display_name("Already Mixed Case LLC") == "Already Mixed Case LLC"


def test_a_deobligation_says_so():
    entry = award_entry({"generated_internal_id": "G", "Recipient Name": "CORECIVIC, INC.",
                    "Award Amount": -250_000.0, "Awarding Sub Agency": "U.S. Immigration and "
                    "Customs Enforcement", "Base Obligation Date": "2026-11-02"})
    assert entry.title == "ICE deobligates $250,000 from Corecivic, Inc."
    assert "Obligated: -$250,000.00" in entry.summary

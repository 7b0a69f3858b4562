"""Request for request, what three public Everflow clients send, and the answer Everflow's
reference documents for it. Where a client does something Everflow would refuse, or reads
an answer differently from how Everflow documents it, the test says so.

Each block cites the client's repository and file; the request shapes (paths, headers,
bodies, paging loops) are theirs, rewritten in Python.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from fixtures import PostbackFactory
from mock_server import builtin_postbacks, get_state
from mock_server.core.mock_warning import HEADER

from .conftest import MakeTalker, Talker

CATALOGUE = builtin_postbacks(0)
URL = "https://example.com/postback?tid={transaction_id}"


@pytest.fixture
def talker(make_talker: MakeTalker) -> Talker:
    """The default mock, whose world also has the partner (7) and offer (93) the clients'
    calls below name: the account a client runs against has what it names (writes naming
    what is not there are refused, as ``test_neighbours`` shows)."""
    made = make_talker()
    state = get_state(made.app)
    state.add_affiliate(state.factory.build_affiliate(7))
    state.add_offer(state.factory.build_offer(93))
    return made


# --- TypeScript: maxtm92/rewarded-demo, src/lib/everflow.ts ---------------------------------
# eflowFetch sends 'Content-Type: application/json' and 'X-Eflow-API-Key' on every request.
TS_HEADERS = {"Content-Type": "application/json", "X-Eflow-API-Key": "ts-client-key"}


def ts_list_pixels(talker: Talker) -> tuple[list[dict[str, Any]], int, list[str]]:
    """listPixels(): POST /networks/pixelstable with a paging object, 100 a page, until a
    page is short; the rows, the requests sent and each answer's warning."""
    pixels: list[dict[str, Any]] = []
    warnings: list[str] = []
    page, page_size, sent = 1, 100, 0
    while True:
        body = {"search_terms": [], "paging": {"page": page, "page_size": page_size}, "sort": {}}
        answer = talker.post("/v1/networks/pixelstable", body, TS_HEADERS)
        sent += 1
        assert answer.status == 200
        warnings.append(answer.headers.get(HEADER, ""))
        rows = answer.json()["pixels"]
        if not rows:
            break
        pixels += rows
        if len(rows) < page_size:
            break
        page += 1
    return pixels, sent, warnings


def ts_create_pixel(
    talker: Talker, affiliate_id: int | None = None, offer_id: int | None = None
) -> Any:
    """createPixel(): specific when an offer is given, else global; ids default to 0."""
    body = {
        "delivery_method": "postback",
        "pixel_level": "specific" if offer_id else "global",
        "pixel_status": "active",
        "pixel_type": "conversion",
        "postback_url": URL,
        "description": "Auto-configured by EasyTaskCash",
        "network_affiliate_id": affiliate_id or 0,
        "network_offer_id": offer_id or 0,
        "delay_ms": 0,
    }
    return talker.post("/v1/networks/pixels", body, TS_HEADERS)


def test_typescript_list_pixels_pages_by_a_paging_object_and_gets_every_row(
    make_talker: MakeTalker,
) -> None:
    many = PostbackFactory(3).build_batch(230)
    pixels, sent, warnings = ts_list_pixels(make_talker(postbacks=many))
    assert [p["network_pixel_id"] for p in pixels] == [p["network_pixel_id"] for p in many]
    assert sent == 3  # 100, 100, 30: the paging object is read, not page 1 of 50 again
    # The rows are Everflow's search rows, which this client's EverflowPixel type models.
    assert {"network_affiliate_name", "network_offer_name"} <= pixels[0].keys()
    # search_terms outside query is not read: said, not silently dropped. Its empty sort
    # is the default order, nothing to warn of.
    assert warnings[0] == "ignored search_terms (not read here; it belongs at query.search_terms)"


def test_typescript_list_pixels_on_the_built_in_catalogue(talker: Talker) -> None:
    pixels, sent, _ = ts_list_pixels(talker)
    assert len(pixels) == len(CATALOGUE)
    assert sent == 1


def test_typescript_create_pixel_for_a_partner_and_for_an_offer(talker: Talker) -> None:
    everywhere = ts_create_pixel(talker, affiliate_id=7)
    assert everywhere.status == 200
    assert everywhere.json()["pixel_level"] == "global"
    assert everywhere.json()["network_offer_id"] == 0
    one_offer = ts_create_pixel(talker, affiliate_id=7, offer_id=93)
    assert one_offer.status == 200
    assert one_offer.json()["relationship"]["offer"]["network_offer_id"] == 93


def test_typescript_create_pixel_without_a_partner_is_what_everflow_refuses(
    talker: Talker,
) -> None:
    """The client sends network_affiliate_id 0 when no affiliate is given; Everflow's
    create reference requires it at global and specific level: a 400 naming the rule."""
    refused = ts_create_pixel(talker)
    assert refused.status == 400
    assert refused.json()["error"].startswith("affiliate_level_needs_affiliate: ")


# --- Go: BorrowBetter/terraform-provider-everflow -------------------------------------------
# internal/everflow/affiliate_postback.go (the client: paths, bodies, typed and raw reads),
# internal/provider/affiliate_postback_resource.go (create, fetch-modify-put, soft delete),
# internal/everflow/errors.go (errors decoded from {"Error": ...}).
GO_HEADERS = {"X-Eflow-Api-Key": "terraform-key"}
PIXELS = "/v1/networks/pixels"


def go_create(talker: Talker, pixel_type: str = "conversion", **extra: Any) -> Any:
    """CreateAffiliatePostback: delivery postback, level global; delay_ms and description
    left out when empty (omitempty)."""
    body = {
        "network_affiliate_id": 7,
        "delivery_method": "postback",
        "pixel_level": "global",
        "pixel_type": pixel_type,
        "pixel_status": "active",
        "postback_url": URL,
        **extra,
    }
    return talker.post(PIXELS, body, GO_HEADERS)


def go_fetch_modify_put(talker: Talker, pixel_id: int, **overlay: Any) -> Any:
    """GetAffiliatePostbackRaw, overlay the fields, UpdateAffiliatePostback with it all."""
    raw = talker.get(f"{PIXELS}/{pixel_id}", GO_HEADERS).json()
    return talker.put(f"{PIXELS}/{pixel_id}", {**raw, **overlay}, GO_HEADERS)


def test_terraform_create_read_update_and_soft_delete(talker: Talker) -> None:
    created = go_create(talker, description="Global postback")
    assert created.status == 200
    made = created.json()
    assert made["network_pixel_id"] > 0
    assert made["network_id"] > 0
    assert made["time_created"] > 0
    assert made["delay_ms"] == 0  # left out by omitempty, 0 as Everflow's default
    pixel_id = made["network_pixel_id"]
    assert talker.get(f"{PIXELS}/{pixel_id}", GO_HEADERS).json() == made

    updated = go_fetch_modify_put(
        talker, pixel_id, postback_url=URL + "&v=2", description="", delay_ms=0
    )
    assert updated.status == 200
    assert updated.json()["postback_url"] == URL + "&v=2"
    assert updated.json()["time_created"] == made["time_created"]
    assert HEADER not in updated.headers  # a fetched postback sent back whole is all read

    # Delete: the provider never calls DELETE; it PUTs pixel_status inactive.
    soft = go_fetch_modify_put(talker, pixel_id, pixel_status="inactive")
    assert soft.json()["pixel_status"] == "inactive"
    assert talker.get(f"{PIXELS}/{pixel_id}", GO_HEADERS).status == 200


def test_terraform_unmodelled_fields_are_accepted_and_named(talker: Talker) -> None:
    """The client's own test PUTs a raw map with an unmodelled field."""
    pixel_id = go_create(talker).json()["network_pixel_id"]
    answer = go_fetch_modify_put(talker, pixel_id, some_future_field={"nested": True})
    assert answer.status == 200
    assert "some_future_field" not in answer.json()
    assert answer.headers[HEADER] == "ignored some_future_field (not documented)"


def test_terraform_post_conversion_comes_back_as_event(talker: Talker) -> None:
    """The provider validates pixel_type against conversion, post_conversion, cpc. The
    spec's decision: post_conversion is the older name of event, stored and answered as
    event, so the provider's next read sees "event" where its plan says post_conversion
    (a diff in its plan; the contract suite's observed_post_conversion settles what
    production does)."""
    created = go_create(talker, pixel_type="post_conversion")
    assert created.status == 200
    assert created.json()["pixel_type"] == "event"


def test_terraform_errors_are_read_from_the_capitalised_key(make_talker: MakeTalker) -> None:
    """decodeAPIError reads {"Error": ...}. Everflow documents {"error": ...}, which the
    mock sends by default: the provider then shows the status without the message.
    --error-key Error (error_key="Error") sends the shape it parses."""
    documented = go_create(make_talker(), postback_url="track.example.com/pb")
    assert documented.status == 400
    assert "Error" not in documented.json()
    capitalised = go_create(make_talker(error_key="Error"), postback_url="track.example.com/pb")
    assert capitalised.json()["Error"].startswith("postback_url_required: ")
    missing = make_talker(error_key="Error").get(f"{PIXELS}/999999", GO_HEADERS)
    assert missing.status == 404  # IsNotFound: the resource leaves the state


# --- PHP: sbarale/laravel-everflow -----------------------------------------------------------
# src/EverflowHttpClient.php (headers; errors detected by isset($response->Error)),
# src/Traits/HasPagination.php (page() and pageAll()),
# src/Api/EverflowNetworkPostbacks.php (all(), get(), create(), update()).
PHP_HEADERS = {"Accept": "application/json", "X-Eflow-API-Key": "laravel-key"}


def php_page(talker: Talker, endpoint: str, page: int, page_size: int) -> dict[str, Any]:
    """page(): GET endpoint?page=N&page_size=M."""
    answer = talker.get(f"/v1/{endpoint}?page={page}&page_size={page_size}", PHP_HEADERS)
    assert answer.status == 200
    body: dict[str, Any] = answer.json()
    return body


def php_page_all(talker: Talker, endpoint: str, field: str, per_page: int) -> list[Any]:
    """pageAll(): the first page, then pages 2..ceil(total_count / page_size)."""
    first = php_page(talker, endpoint, 1, per_page)
    items = list(first[field])
    paging = first["paging"]
    pages = math.ceil(paging["total_count"] / paging["page_size"])
    for page in range(2, pages + 1):
        items += php_page(talker, endpoint, page, paging["page_size"])[field]
    return items


def test_laravel_page_all_gets_every_postback_once(talker: Talker) -> None:
    items = php_page_all(talker, "networks/pixels", "pixels", per_page=20)
    assert [p["network_pixel_id"] for p in items] == [p["network_pixel_id"] for p in CATALOGUE]


def test_laravel_all_gets_the_first_page_only(talker: Talker) -> None:
    """EverflowNetworkPostbacks::all() sends GET networks/pixels without paging: Everflow
    answers its first page of 50, so a network with more postbacks sees only those."""
    answer = talker.get("/v1/networks/pixels", PHP_HEADERS).json()
    assert len(answer["pixels"]) == 50
    assert answer["paging"]["total_count"] == len(CATALOGUE)


def test_laravel_create_get_update(talker: Talker) -> None:
    # The mock's seed: the factory's offers and partners are the mock's world's.
    body = PostbackFactory(0).build_input(1, delivery_method="postback")
    created = talker.post("/v1/networks/pixels", body, PHP_HEADERS)
    assert created.status == 200
    pixel_id = created.json()["network_pixel_id"]
    got = talker.get(f"/v1/networks/pixels/{pixel_id}", PHP_HEADERS).json()
    assert got == created.json()
    updated = talker.put(
        f"/v1/networks/pixels/{pixel_id}", {**body, "description": "changed"}, PHP_HEADERS
    )
    assert updated.json()["description"] == "changed"


def test_laravel_detects_errors_only_under_the_capitalised_key(make_talker: MakeTalker) -> None:
    """isset($response->Error): with Everflow's documented {"error": ...} the client takes
    an error body for a result; --error-key Error gives it the shape it checks."""
    documented = make_talker().get("/v1/networks/pixels/999999", PHP_HEADERS).json()
    assert "Error" not in documented
    assert documented["error"]
    capitalised = make_talker(error_key="Error").get("/v1/networks/pixels/999999", PHP_HEADERS)
    assert capitalised.json()["Error"]


# --- The neighbours the same clients read ---------------------------------------------------
# maxtm92/rewarded-demo lists offerstable and reads offers/{id}; iscale-llc/claude-code-
# everflow-sync reads GET /networks/offers/{id} and takes event ids from
# relationship.payout_revenue.entries[] (network_offer_payout_revenue_id, entry_name,
# is_default); sbarale/laravel-everflow reads networks/affiliates/{id}.


def test_sync_tool_maps_event_postbacks_to_their_offers_entries(talker: Talker) -> None:
    for postback in CATALOGUE:
        event_id = postback["network_offer_payout_revenue_id"]
        if not event_id or "offer" not in postback["relationship"]:
            continue
        path = f"/v1/networks/offers/{postback['network_offer_id']}?relationship=payout_revenue"
        offer = talker.get(path, TS_HEADERS).json()
        entries = offer["relationship"]["payout_revenue"]["entries"]
        named = {e["network_offer_payout_revenue_id"]: e["entry_name"] for e in entries}
        assert event_id in named
        assert [e["is_default"] for e in entries].count(True) == 1


def test_typescript_lists_offerstable_and_reads_each_offer(talker: Talker) -> None:
    page = talker.post("/v1/networks/offerstable?page=1&page_size=100", {}, TS_HEADERS).json()
    assert page["paging"]["total_count"] == len(page["offers"]) == 33  # 32 + offer 93
    for row in page["offers"][:5]:
        offer = talker.get(f"/v1/networks/offers/{row['network_offer_id']}", TS_HEADERS).json()
        assert offer["name"] == row["name"]


def test_laravel_reads_the_partner_a_postback_names(talker: Talker) -> None:
    for postback in CATALOGUE[:12]:
        partner = postback["relationship"].get("affiliate")
        if partner is None:
            continue
        path = f"/v1/networks/affiliates/{postback['network_affiliate_id']}"
        assert talker.get(path, PHP_HEADERS).json()["name"] == partner["name"]

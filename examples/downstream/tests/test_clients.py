import pytest

from everflow_client import (
    EverflowError,
    HttpxPostbackClient,
    PostbackNotFound,
    RequestsPostbackClient,
)


def test_httpx_client_reads_a_postback(everflow_mock, everflow_factory):
    postback = everflow_mock.add(everflow_factory.build(1234, delivery_method="tiktok"))
    client = HttpxPostbackClient(api_key="test-key")
    assert client.get_postback(1234) == postback


def test_httpx_client_raises_not_found(everflow_mock):
    with pytest.raises(PostbackNotFound):
        HttpxPostbackClient(api_key="test-key").get_postback(999999)


def test_httpx_client_reports_rate_limiting(everflow_mock):
    client = HttpxPostbackClient(api_key="test-key")
    client._client.headers["Prefer"] = "code=429"
    with pytest.raises(EverflowError) as error:
        client.get_postback(3)
    assert error.value.status == 429


def test_requests_client_against_the_live_mock_server(everflow_server):
    client = RequestsPostbackClient(api_key="test-key", base_url=everflow_server.url)
    postback = client.get_postback(3)
    assert postback["network_pixel_id"] == 3
    assert everflow_server.requests[-1]["headers"]["X-Eflow-Api-Key"] == "********"


@pytest.mark.everflow(dynamic=True)
def test_any_id_in_dynamic_mode(everflow_server):
    client = RequestsPostbackClient(api_key="test-key", base_url=everflow_server.url)
    assert client.get_postback(424242)["network_pixel_id"] == 424242


@pytest.mark.everflow_live
def test_a_real_postback(everflow_live):
    client = HttpxPostbackClient(api_key=everflow_live.headers["X-Eflow-Api-Key"])
    with pytest.raises(PostbackNotFound):
        client.get_postback(2**62)


@pytest.mark.parametrize("client_kind", ["httpx", "requests", "requests on a socket"])
def test_a_client_creates_updates_and_deletes(client_kind, request, everflow_factory):
    if client_kind == "httpx":
        mock = request.getfixturevalue("everflow_mock")
        client = HttpxPostbackClient(api_key="test-key")
    elif client_kind == "requests":  # in-process too, with the kit's requests extra
        mock = request.getfixturevalue("everflow_mock")
        client = RequestsPostbackClient(api_key="test-key")
    else:
        mock = request.getfixturevalue("everflow_server")
        client = RequestsPostbackClient(api_key="test-key", base_url=mock.url)
    before = len(mock.postbacks)

    body = everflow_factory.build_input(delivery_method="postback", pixel_level="specific")
    created = client.create_postback(body)
    assert mock.postbacks[-1] == created
    assert created["postback_url"] == body["postback_url"]

    updated = client.update_postback(created["network_pixel_id"], pixel_status="inactive")
    assert updated["pixel_status"] == "inactive"
    assert updated["time_saved"] > created["time_saved"]
    assert mock.postbacks[-1] == updated

    client.delete_postback(created["network_pixel_id"])
    assert len(mock.postbacks) == before
    with pytest.raises(PostbackNotFound):
        client.get_postback(created["network_pixel_id"])


def test_a_rule_breaking_create_is_refused_and_nothing_is_stored(everflow_mock, everflow_factory):
    before = everflow_mock.postbacks
    with pytest.raises(EverflowError) as error:
        HttpxPostbackClient(api_key="test-key").create_postback(
            everflow_factory.build_invalid_input("postback_url_required")
        )
    assert error.value.status == 400
    assert "postback_url_required" in error.value.message
    assert everflow_mock.postbacks == before

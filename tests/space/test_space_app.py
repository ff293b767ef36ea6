"""The Space app driven through its public API (`gradio_client`), served against the embedded Hub."""

from __future__ import annotations

import concurrent.futures

import pytest
from _space_app import running_app

from hubtools.serve.config import ServeConfig
from hubtools.serve.service import ChatService


def client(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def test_chat_streams_a_reply_from_the_newest_release(app_url, service, chat_repo):
    assert service.default.resolved.revision == "v0.2.0"
    assert service.default.backend.name == "ctranslate2-int8"  # the published fast weights
    job = client(app_url).submit("Hello! Who are you?", api_name="/chat")
    final = job.result()
    parts = [p for p in job.outputs() if p]
    assert isinstance(final, str) and final.strip()
    assert len(parts) > 1 and parts[-1] == final  # streamed: several growing partial replies
    assert all(final.startswith(p) for p in parts)


def test_status_names_release_and_commit(app_url, chat_repo):
    status = client(app_url).predict("v0.1.0", api_name="/switch_model")
    assert "release v0.1.0" in status and chat_repo.tags["v0.1.0"][:10] in status


def test_switching_revisions_changes_the_model(app_url, chat_repo):
    c = client(app_url)
    settings = {"temperature": 0.0, "max_new_tokens": 12}  # greedy: the reply is a function of the weights
    newest = c.predict("Tell me a story", api_name="/chat", **settings)
    assert "release v0.1.0" in c.predict("v0.1.0", api_name="/switch_model")
    older = c.predict("Tell me a story", api_name="/chat", **settings)
    assert older != newest

    refused = c.predict("checkpoints:checkpoint-1", api_name="/switch_model")
    assert "for maintainers" in refused
    c.predict("hf_local_dev", api_name="/unlock_checkpoints")
    status = c.predict("checkpoints:checkpoint-1", api_name="/switch_model")
    assert "checkpoint checkpoint-1" in status and chat_repo.checkpoints_commit[:10] in status
    from_checkpoint = c.predict("Tell me a story", api_name="/chat", **settings)
    assert from_checkpoint not in (newest, older)  # checkpoint-1 holds model C


def test_four_clients_at_once_are_all_answered(app_url):
    def ask(i: int) -> str:
        return client(app_url).predict(f"Hi, I am visitor {i}", api_name="/chat", max_new_tokens=24)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(ask, range(4)))
    assert all(isinstance(r, str) and r.strip() for r in replies)


@pytest.mark.parametrize(
    ("message", "expected"),
    [("", "Please type a message"), ("   ", "Please type a message"), ("word " * 5000, "too long")],
)
def test_bad_messages_get_a_friendly_error(app_url, message, expected):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=expected) as info:
        client(app_url).predict(message, api_name="/chat")
    assert "Traceback" not in str(info.value)


def test_long_message_within_limits_trims_history_instead_of_failing(app_url):
    c = client(app_url)
    for _ in range(3):  # the tiny model's window is 256 tokens: history soon stops fitting
        assert c.predict("tell me more " * 30, api_name="/chat", max_new_tokens=8).strip()


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("v9.9.9", "'v9.9.9' does not exist"),
        ("v0.0.1", "Could not load"),
        ("checkpoints:checkpoint-99", "no such folder"),
    ],
)
def test_missing_revision_or_broken_model_is_reported_and_chat_goes_on(app_url, choice, expected):
    c = client(app_url)
    c.predict("hf_local_dev", api_name="/unlock_checkpoints")
    status = c.predict(choice, api_name="/switch_model")
    print(status)
    assert status.startswith("⚠️") and expected in status and "Traceback" not in status
    assert c.predict("still there?", api_name="/chat", max_new_tokens=4).strip()


@pytest.mark.parametrize(
    ("repo", "revision", "expected"),
    [
        ("local/no-such-model", None, "was not found"),
        (None, "v9.9.9", "'v9.9.9' does not exist"),
        (None, "v0.0.1", "Could not load"),
    ],
)
def test_start_up_failures_show_a_friendly_message(session_api, chat_repo, repo, revision, expected):
    from gradio_client.exceptions import AppError

    config = ServeConfig(model_repo=repo or chat_repo.repo_id, model_revision=revision)
    service = ChatService(config, api=session_api)
    service.start()
    assert expected in service.startup_error and expected in service.status(None)
    with running_app(service) as url:
        with pytest.raises(AppError, match=expected) as info:
            client(url).predict("hello", api_name="/chat")
        assert "Traceback" not in str(info.value)

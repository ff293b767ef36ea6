"""The Space app driven through its public API (`gradio_client`), served against the embedded Hub."""

from __future__ import annotations

import concurrent.futures

import pytest
from _space_app import running_app

from hubtools.serve.config import ServeConfig
from hubtools.serve.service import ChatService


def client(url, *, signed_in: bool = False):
    """A visitor; `signed_in` goes through the app's Sign in with Hugging Face (Gradio's local mode: the local
    token's account) and carries the session cookie, as a browser would."""
    import httpx
    from gradio_client import Client

    if not signed_in:
        return Client(url, verbose=False)
    login = httpx.get(url + "login/callback", follow_redirects=False, timeout=30)
    session = login.cookies.get("session")
    assert session, login.headers
    return Client(url, verbose=False, headers={"Cookie": f"session={session}"})


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
    c = client(app_url, signed_in=True)  # the local token's account owns the repo
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
def test_bad_messages_get_a_friendly_error(app_url, message, expected, capfd, caplog):
    from gradio_client.exceptions import AppError

    capfd.readouterr()
    with pytest.raises(AppError, match=expected) as info:
        client(app_url).predict(message, api_name="/chat")
    assert "Traceback" not in str(info.value)
    assert "Traceback" not in capfd.readouterr().err  # a visitor's mistake is logged as one line
    refused = [r for r in caplog.records if r.name == "chat-space"]
    assert refused and all("\n" not in r.getMessage() and not r.exc_info for r in refused)


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
    c = client(app_url, signed_in=True)
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


def test_chat_api_takes_the_conversation_so_far(app_url):
    c = client(app_url)
    greedy = {"temperature": 0.0, "max_new_tokens": 10}
    so_far = [{"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": "Nice to meet you!"}]
    alone = c.predict("What is my name?", api_name="/chat", **greedy)
    with_history = c.predict("What is my name?", so_far, api_name="/chat", **greedy)
    assert with_history.strip() and with_history != alone  # the earlier turns reached the prompt
    assert c.predict("What is my name?", [], api_name="/chat", **greedy) == alone


@pytest.mark.parametrize(
    ("messages", "expected"),
    [({"role": "user"}, "expected a list"), ([{"role": "system", "content": "x"}], r"messages\[0\]")],
)
def test_chat_api_refuses_malformed_messages(app_url, messages, expected):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=expected):
        client(app_url).predict("hi", messages, api_name="/chat")


def test_the_short_commit_id_in_the_status_line_can_be_typed_back(app_url, chat_repo):
    c = client(app_url)
    short = chat_repo.tags["v0.1.0"][:10]
    status = c.predict(short, api_name="/switch_model")
    assert not status.startswith("⚠️") and chat_repo.tags["v0.1.0"][:10] in status
    assert c.predict("still there?", api_name="/chat", max_new_tokens=4).strip()
    assert "does not exist" in c.predict("0000000000", api_name="/switch_model")


def test_no_token_ever_goes_into_a_component_and_run_history_is_off(app_url):
    import httpx

    config = httpx.get(app_url + "config", timeout=30).json()
    assert config.get("run_history") is False
    for component in config["components"]:
        props = component.get("props", {})
        assert props.get("type") != "password", props
        assert "hub token" not in str(props.get("label") or "").lower(), props
    assert not any("unlock" in str(d.get("api_name")) for d in config["dependencies"])
    assert any("Sign in with Hugging Face" in str(c.get("props", {}).get("value")) for c in config["components"])


def test_a_signed_in_non_owner_is_refused(session_api, chat_repo):
    """Signed in as the local token's account ('local'), serving a repo another account owns."""
    config = ServeConfig(model_repo="someone-else/" + chat_repo.repo_id.split("/")[1])
    service = ChatService(config, api=session_api)
    service.start()
    with running_app(service) as url:
        refused = client(url, signed_in=True).predict("checkpoints:checkpoint-1", api_name="/switch_model")
    assert refused.startswith("⚠️") and "for maintainers" in refused


def test_avatar_is_an_image_url_or_nothing_and_names_are_escaped():
    from _space_app import load_app_module

    app = load_app_module()
    assert app.avatar_url(" https://example.org/cat.png ") == "https://example.org/cat.png"
    for bad in ("javascript:alert(1)", "/etc/passwd", "file:///x.png", 'https://x.org/a.png" onerror="x', ""):
        assert app.avatar_url(bad) is None, bad
    header = app.header_markdown("<b>Nemo</b>", "https://example.org/cat.png")
    assert "&lt;b&gt;Nemo&lt;/b&gt;" in header and 'src="https://example.org/cat.png"' in header
    assert app.header_markdown("  ", None) == "## Assistant"


def test_a_contributor_removes_their_contribution_with_the_receipt(session_api, service, repo_name, monkeypatch):
    repo = repo_name("contributions")
    session_api.create_repo(repo, repo_type="dataset", private=True)
    mine, theirs = "rc-1a2b-3c4d-5e6f-7a8b", "rc-0000-1111-2222-3333"
    for receipt in (mine, theirs):
        path = f"data/2026-12/{receipt}.jsonl"
        session_api.upload_file(path_or_fileobj=b'{"x": 1}\n', path_in_repo=path, repo_id=repo, repo_type="dataset")
    monkeypatch.setenv("CONTRIBUTIONS_REPO", repo)
    with running_app(service) as url:
        c = client(url)
        done = c.predict(f" {mine} ", api_name="/forget_contribution")
        again = c.predict(mine, api_name="/forget_contribution")
        malformed = c.predict("my receipt", api_name="/forget_contribution")
    assert done.startswith("✅") and mine in done
    assert again.startswith("⚠️") and "no contribution" in again
    assert malformed.startswith("⚠️") and "not a receipt id" in malformed
    files = session_api.list_repo_files(repo, repo_type="dataset")
    assert f"data/2026-12/{mine}.jsonl" not in files and f"data/2026-12/{theirs}.jsonl" in files

"""Space variables (chat and Contribute tab) reject what cannot be meant, naming the variable or the file."""

from __future__ import annotations

import pytest

from hubtools.community.config import load_contribute_config
from hubtools.errors import HubtoolsError
from hubtools.serve.config import load_serve_config


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "CONTRIBUTIONS_MAX_FILES",
            "inf",
            "CONTRIBUTIONS_MAX_FILES: expected a whole number of at least 1, got 'inf'",
        ),
        (
            "CONTRIBUTIONS_MAX_FILES",
            "nan",
            "CONTRIBUTIONS_MAX_FILES: expected a whole number of at least 1, got 'nan'",
        ),
        (
            "CONTRIBUTIONS_MAX_FILES",
            "2.5",
            "CONTRIBUTIONS_MAX_FILES: expected a whole number of at least 1, got '2.5'",
        ),
        (
            "CONTRIBUTIONS_MAX_CONVERSATIONS",
            "0",
            "CONTRIBUTIONS_MAX_CONVERSATIONS: expected a whole number of at least 1, got '0'",
        ),  # fmt: skip
        ("CONTRIBUTIONS_MAX_FILE_MB", "-1", "CONTRIBUTIONS_MAX_FILE_MB: expected a positive number, got '-1'"),
        ("CONTRIBUTIONS_MAX_TOTAL_MB", "1e999", "CONTRIBUTIONS_MAX_TOTAL_MB: expected a positive number, got '1e999'"),
        ("CONTRIBUTIONS_EVERY_MINUTES", "NaN", "CONTRIBUTIONS_EVERY_MINUTES: expected a positive number, got 'NaN'"),
        ("CONTRIBUTIONS_EVERY_MINUTES", "ten", "CONTRIBUTIONS_EVERY_MINUTES: expected a number, got 'ten'"),
    ],
)
def test_contribution_numbers(name, value, message):
    with pytest.raises(HubtoolsError) as error:
        load_contribute_config(None, {name: value})
    assert str(error.value) == message


def test_fractional_megabytes_are_fine():
    assert load_contribute_config(None, {"CONTRIBUTIONS_MAX_FILE_MB": "0.5"}).limits.max_file_bytes == 512 * 1024


@pytest.mark.parametrize("loader", [load_serve_config, load_contribute_config])
@pytest.mark.parametrize(
    ("content", "message"),
    [("[1, 2]", "expected a JSON object of variable names and values"), ("{nope", "not valid JSON: ")],
)
def test_variables_file_must_be_a_json_object(tmp_path, loader, content, message):
    (tmp_path / "space_variables.json").write_text(content)
    with pytest.raises(HubtoolsError) as error:
        loader(tmp_path, {})
    assert str(error.value).startswith(f"{tmp_path / 'space_variables.json'}: {message}")


def test_show_checkpoints_is_yes_or_no():
    assert load_serve_config(None, {"SHOW_CHECKPOINTS": "Yes"}).show_checkpoints
    assert not load_serve_config(None, {"SHOW_CHECKPOINTS": "off"}).show_checkpoints
    with pytest.raises(HubtoolsError) as error:
        load_serve_config(None, {"SHOW_CHECKPOINTS": "maybe"})
    assert str(error.value) == "SHOW_CHECKPOINTS: expected true or false, got 'maybe'"

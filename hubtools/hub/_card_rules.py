"""What validate-yaml checks in card metadata, as the Hub does: licence ids, languages, repo ids, `model-index`.

Error messages follow the Hub's form (`"license" must be one of [...]`) because the client prints them as they
come (`Invalid metadata in README.md.` then one `- message` a line) and users search for them. Where the Hub's
exact rule is not known, the check is the lenient one: a language must look like an ISO 639 code (two-letter codes
are checked against ISO 639-1; three-letter ones are accepted, as the ISO 639-3 table is not shipped).
"""

from __future__ import annotations

import re
from typing import Any

# The licence ids the Hub accepts (https://huggingface.co/docs/hub/repositories-licenses), in its order.
LICENSES = (
    "apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m "
    "afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 "
    "cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 "
    "cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 "
    "cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl "
    "gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr "
    "mpl-2.0 odc-by odbl openmdw-1.0 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr "
    "deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 "
    "grok2-community gemma unknown other"
).split()
_LICENSE_SET = frozenset(LICENSES)

_ISO_639_1 = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el "
    "en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu "
    "ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na "
    "nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so "
    "sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
)
ISO_639_1 = frozenset(_ISO_639_1.split())
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:-[A-Za-z0-9]{1,8})*")
_REPO_ID = re.compile(r"(?:[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?/)?[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?")
MISSING_METADATA = (
    "empty or missing yaml metadata in repo card (https://huggingface.co/docs/hub/model-cards#model-card-metadata)"
)


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_license(value: Any, errors: list[str]) -> None:
    for index, item in enumerate(_strings(value)):
        if item not in _LICENSE_SET:
            where = "license" if not isinstance(value, list) else f"license[{index}]"
            errors.append(f'"{where}" must be one of [{", ".join(LICENSES)}, array]')


def _check_language(value: Any, errors: list[str]) -> None:
    for index, item in enumerate(_strings(value)):
        where = "language" if not isinstance(value, list) else f"language[{index}]"
        match = _LANGUAGE.fullmatch(item) if isinstance(item, str) else None
        if match is None or (len(match.group(1)) == 2 and match.group(1) not in ISO_639_1):
            errors.append(f'"{where}" must be an ISO 639-1, 639-2 or 639-3 code (like "en" or "fra"), got {item!r}')


def _check_repo_ids(key: str, value: Any, errors: list[str]) -> None:
    for index, item in enumerate(_strings(value)):
        where = key if not isinstance(value, list) else f"{key}[{index}]"
        if not isinstance(item, str) or not _REPO_ID.fullmatch(item) or "--" in item or ".." in item:
            errors.append(f'"{where}" must be a valid repo id (namespace/name), got {item!r}')


def _require(data: Any, where: str, key: str, kind: type | tuple[type, ...], errors: list[str]) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        errors.append(f'"{where}.{key}" is required and must be {"an" if name[0] in "aeiou" else "a"} {name}')
        return None
    return value


def _check_model_index(value: Any, errors: list[str]) -> None:
    if not isinstance(value, list):
        errors.append('"model-index" must be an array')
        return
    for number, entry in enumerate(value):
        where = f"model-index[{number}]"
        if not isinstance(entry, dict):
            errors.append(f'"{where}" must be an object')
            continue
        _require(entry, where, "name", str, errors)
        results = _require(entry, where, "results", list, errors) or []
        for index, result in enumerate(results):
            at = f"{where}.results[{index}]"
            task = _require(result, at, "task", dict, errors)
            if task is not None:
                _require(task, f"{at}.task", "type", str, errors)
            dataset = _require(result, at, "dataset", dict, errors)
            if dataset is not None:
                _require(dataset, f"{at}.dataset", "type", str, errors)
                _require(dataset, f"{at}.dataset", "name", str, errors)
            metrics = _require(result, at, "metrics", list, errors) or []
            for position, metric in enumerate(metrics):
                _require(metric, f"{at}.metrics[{position}]", "type", str, errors)
                if not isinstance(metric, dict) or "value" not in metric:
                    errors.append(f'"{at}.metrics[{position}].value" is required')


def validate_card(data: dict[str, Any] | None, repo_type: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a card's metadata; `data` is None when the README has no YAML block."""
    if not data:
        return [], [MISSING_METADATA]
    errors: list[str] = []
    if "license" in data:
        _check_license(data["license"], errors)
    if "language" in data:
        _check_language(data["language"], errors)
    if "datasets" in data and repo_type == "model":
        _check_repo_ids("datasets", data["datasets"], errors)
    if "base_model" in data and repo_type == "model":
        _check_repo_ids("base_model", data["base_model"], errors)
    if "model-index" in data and repo_type == "model":
        _check_model_index(data["model-index"], errors)
    for key in ("tags", "pipeline_tag", "library_name"):
        if key in data and not all(isinstance(item, str) for item in _strings(data[key])):
            errors.append(f'"{key}" must be a string' + (" or an array of strings" if key == "tags" else ""))
    return errors, []

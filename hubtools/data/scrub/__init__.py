"""PII scrubbing: personal data in chat text → numbered placeholders (`[NAME_1]`, `[EMAIL_2]`…), counted per kind.

Layers, each a module, all returning `Span`s that `Scrubber` settles and replaces (see docs/privacy.md for what
each catches, what it leaves and how it was measured):

- `names`: the user and display names from the dump's metadata, wherever they leak (handles, glued names);
- `people`: third parties' names in free text, from cue words and a census name gazetteer;
- `patterns`: e-mails (also spelled out: `anna dot berg at mail dot com`), profile links and URL credentials,
  `@handles`, `name#1234`, `u/name`, "my discord is …";
- `numbers`: cards (Luhn), IBANs (mod-97), national ids (SSN, UK NI, DNI, NIR, CPF…, or any number after a label
  such as "passport no."), dates of birth next to `born`/`DOB`, GPS coordinates, IPs, phones;
- `address`: street addresses in US/UK, lower-case and continental forms, P.O. boxes, postcodes said as such;
- `credentials`: passwords and PINs said as such, API tokens, private keys, crypto wallets, MACs, licence plates.
"""

from hubtools.data.scrub.names import COMMON_WORDS, name_variants, trie_pattern
from hubtools.data.scrub.numbers import iban_ok, luhn_ok
from hubtools.data.scrub.scrubber import Pseudonyms, Scrubber
from hubtools.data.scrub.spans import KINDS, Span

LABELS = {
    "NAME": "names of people (user names, display names, third parties)",
    "HANDLE": "handles (@name, name#1234, u/name, usernames on other services)",
    "EMAIL": "e-mail addresses (also spelled out)",
    "URL": "links to a profile or carrying a user name or credentials",
    "PHONE": "phone numbers",
    "IP": "IP and MAC addresses",
    "ADDRESS": "street addresses and postcodes",
    "CARD": "payment card numbers (Luhn-checked)",
    "IBAN": "bank account numbers (IBAN, mod-97 checked)",
    "ID": "national id, passport and similar numbers",
    "DOB": "dates of birth",
    "GPS": "GPS coordinates",
    "SECRET": "passwords, PINs, API tokens and private keys",
}

__all__ = [
    "COMMON_WORDS",
    "KINDS",
    "LABELS",
    "Pseudonyms",
    "Scrubber",
    "Span",
    "iban_ok",
    "luhn_ok",
    "name_variants",
    "trie_pattern",
]

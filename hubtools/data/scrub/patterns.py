"""Pattern recognizers: e-mails (plain and spelled out), links, handles, numbers with a checksum or a context.

Each `find_*` yields `Span`s of one kind. A shape alone is trusted only where it is specific (an e-mail, an IBAN
that passes mod-97, a card that passes Luhn, a UK National Insurance number); digits that could be anything
(9 digits, a date, two decimals) need the words around them: `SSN`, `born`, `coordinates`…
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from hubtools.data.scrub.spans import Span

# --- e-mails -------------------------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*[@＠](?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b"
)
_DOT = (
    r"(?:\s*(?:\.|\[\s*(?:dot|punkt|punto|point|\.)\s*\]|\(\s*(?:dot|punkt|punto|point|\.)\s*\)|\{\s*(?:dot|\.)\s*\}"
    r"|<\s*(?:dot|\.)\s*>)\s*|\s+(?:dot|DOT|Dot|punkt|punto|point|period)\s+|\s?-dot-\s?|_dot_)"
)
_PART = r"[A-Za-z0-9][A-Za-z0-9_%+-]*"
_TLDS = (
    r"com|net|org|edu|gov|mil|int|info|biz|io|co|me|ai|app|dev|xyz|online|site|email|mail|uk|de|fr|es|it|nl|be|ch"
    r"|at|se|no|dk|fi|pl|cz|pt|ie|ru|ua|jp|cn|kr|in|br|mx|ar|au|nz|ca|us|eu|tv|cc|ly|gg|tk|ro|gr|hu|tr|za|sg|hk"
)
_PROVIDERS = r"gmail|googlemail|yahoo|hotmail|outlook|live|icloud|proton|protonmail|gmx|aol|yandex|mailbox|zoho|web"
# Spelled-out addresses are searched from their "at": the domain after it, then the local part before it.
# The "at" alone, without the spaces around it: a regex that starts with `\s*` would be tried at every position.
_AT_SPELLED = re.compile(
    r"[@＠]|\[\s*(?:at|@|AT)\s*\]|\(\s*(?:at|@|AT|a)\s*\)|\{\s*(?:at|@|AT)\s*\}|<\s*(?:at|@|AT)\s*>"
    r"|(?<=\s)(?:at|AT|At|arroba|chez)(?=\s)|-at-|_at_"
)
_DOMAIN_AFTER = re.compile(rf"\s*(?:{_PART}(?:{_DOT}{_PART}){{0,3}}{_DOT}(?i:{_TLDS})\b|(?i:{_PROVIDERS})\b)")
_LOCAL_BEFORE = re.compile(rf"(?<![\w.@-])({_PART}(?:{_DOT}{_PART}){{0,6}})\s*\Z")
# Words that are the subject of "… at …" in prose ("look at this dot com site"), never the local part.
_NOT_LOCAL = frozenset(
    "look looking looked me him her it this that them us you home work school night first last arrive arrived "
    "stay stayed meet met be is are was were am".split()
)


def find_emails(text: str) -> Iterator[Span]:
    if "@" in text or "＠" in text:
        for match in _EMAIL.finditer(text):
            yield Span(match.start(), match.end(), "EMAIL")
    for at in _AT_SPELLED.finditer(text):
        domain = _DOMAIN_AFTER.match(text, at.end())
        if domain is None:
            continue
        window = max(0, at.start() - 120)
        local = _LOCAL_BEFORE.search(text[window : at.start()])
        if local and local.group(1).lower() not in _NOT_LOCAL:
            yield Span(window + local.start(), domain.end(), "EMAIL")


# --- links ---------------------------------------------------------------------------------------------------
_HOSTS = (
    r"twitter|x|instagram|facebook|fb|tiktok|github|gitlab|bitbucket|codeberg|sourceforge|reddit|linkedin|twitch"
    r"|youtube|snapchat|pinterest|tumblr|medium|discord|discordapp|t|threads|bsky|mastodon|vk|weibo|patreon|ko-fi"
    r"|buymeacoffee|deviantart|artstation|soundcloud|bandcamp|spotify|steamcommunity|huggingface|kaggle|npmjs"
    r"|pypi|keybase|linktr|substack|wattpad|archiveofourown|pixiv|behance|dribbble|flickr|vimeo|onlyfans|fansly"
    r"|quora|stackoverflow|letterboxd|goodreads|last|myanimelist|anilist|roblox|character|wa|telegram|cash|venmo"
    r"|paypal|calendly|about|carrd|itch|replit|codepen|glitch|ao3|tellonym|curiouscat|ask|line|kik|vsco|bereal"
)
_HOST_TLDS = r"com|tv|gg|me|ai|app|net|org|co|io|social|ee|fm|jp|ly|to|page|so|dev|ru|cn"
_PERSONAL_SUBDOMAINS = (
    ".tumblr.com", ".github.io", ".substack.com", ".blogspot.com", ".wordpress.com", ".carrd.co", ".neocities.org",
    ".itch.io", ".bandcamp.com", ".deviantart.com", ".gitlab.io", ".netlify.app", ".vercel.app", ".bsky.social",
)  # fmt: skip
_SUBDOMAINS = "|".join(re.escape(suffix[1:]) for suffix in _PERSONAL_SUBDOMAINS)
# Links with a slash (a scheme, `www.`, or a known host and a path), then `name.tumblr.com`-style ones.
_URL = re.compile(
    r"\b(?:https?://|ftp://|www\.)[^\s<>\"'`]+"
    rf"|(?<![\w.@/-])(?:[\w-]+\.)*(?i:{_HOSTS})\.(?i:{_HOST_TLDS})/[^\s<>\"'`]+",
    re.IGNORECASE,
)
_URL_SUBDOMAIN = re.compile(rf"(?<![\w.@/-])[\w-]{{2,40}}\.(?:{_SUBDOMAINS})(?:/[^\s<>\"'`]*)?", re.IGNORECASE)
_PROFILE = re.compile(
    rf"(?:^|[./])(?:{_HOSTS})\.(?:{_HOST_TLDS})(?::\d+)?/(?!(?:features|about|topics|explore|settings|login|signup"
    r"|pricing|marketplace|search|watch|results|help|terms|privacy|docs|blog|trending|hashtag|r|groups|events|jobs"
    r"|home|notifications|messages|i|intent|share|sharer|policies|legal|security|support)(?:[/?#]|$))[^/?#\s]+"
    r"|\.(?:tumblr\.com|github\.io|substack\.com|blogspot\.com|wordpress\.com|carrd\.co|neocities\.org|itch\.io"
    r"|bandcamp\.com|deviantart\.com|gitlab\.io|netlify\.app|vercel\.app|bsky\.social)",
    re.IGNORECASE,
)
_USER_PATH = re.compile(
    r"/(?:@[\w.-]+|~[\w.-]+|u/|user/|users/|profile|people/|member/|members/|in/|id/|author/|authors/|channel/|c/)"
    r"|[?&](?:user|username|uid|userid|user_id|email|login|name|member|author|profile)="
    r"|[?&](?:lat|lon|lng|ll|q|query|center)=[+-]?\d{1,3}\.\d|^[a-z]+://[^/\s@]+@",
    re.IGNORECASE,
)
_COORDS_IN = re.compile(r"-?\d{1,2}\.\d{3,}\s*,\s*-?\d{1,3}\.\d{3,}|@-?\d{1,2}\.\d{3,},-?\d{1,3}\.\d{3,}")


def find_urls(text: str, mentions_name: Callable[[str], bool] | None = None) -> Iterator[Span]:
    """Links that point at a person: profiles, user paths, credentials, coordinates, or a known name in them."""
    matches = list(_URL.finditer(text)) if "/" in text or "www." in text else []
    if "." in text:
        lowered = text.lower()
        if any(suffix in lowered for suffix in _PERSONAL_SUBDOMAINS):
            matches += _URL_SUBDOMAIN.finditer(text)
    for match in matches:
        url = match.group()
        personal = (
            _PROFILE.search(url)
            or _USER_PATH.search(url)
            or _COORDS_IN.search(url)
            or (mentions_name is not None and mentions_name(url.lower()))
        )
        if personal:
            end = match.end() - (len(url) - len(url.rstrip(".,;:!?)]")))  # sentence punctuation stays
            yield Span(match.start(), end, "URL")


# --- handles -------------------------------------------------------------------------------------------------
_AT_HANDLE = re.compile(r"(?<![\w.@/+-])@([A-Za-z0-9_](?:[\w.-]*\w)?)(?:@(?:[\w-]+\.)+[a-z]{2,})?(?![\w@(])")
_NOT_HANDLES = frozenset(
    "everyone here channel all property staticmethod classmethod dataclass override deprecated abstractmethod "
    "cached_property media import keyframes font-face supports charset page namespace layer apply tailwind "
    "interface end implementation synthesize param return returns throws see since author version todo "
    "app pytest mock patch api router get post put delete validator field".split()
)
_TAG = re.compile(r"(?<![\w#@])([A-Za-z][\w.]{1,31})#(\d{4})(?!\w)")
_NOT_TAG_NAMES = frozenset(
    "issue issues pr bug ticket room no nr number apt unit order item page step id ch chapter ep episode part "
    "vol rank top build case ref invoice task story pull commit row line table fig figure section".split()
)
_REDDIT = re.compile(r"(?<![\w/])/?u/[A-Za-z0-9_-]{3,20}\b")
# "my discord is lunarfox", "insta: @x", "add me on snap - x.y": a service name, then the handle.
_SERVICES = (
    r"discord|insta|instagram|ig|snap|snapchat|sc|tiktok|twitter|telegram|tg|kik|skype|steam|xbox|xbl|psn"
    r"|gamertag|ign|reddit|tumblr|twitch|yt|youtube|github|gitlab|bluesky|bsky|threads|mastodon|wechat"
    r"|roblox|battletag|battle\.net|pinterest|spotify|venmo|cashapp|paypal|ao3|wattpad|deviantart|tellonym"
    r"|whatsapp|username|user name|handle|nick|nickname|screen name|tag"
)
# The gate before the service-handle patterns: any word of a service's name ("user name" → user), but "name".
_SERVICE_WORDS = frozenset(_SERVICES.replace("\\.", ".").replace(" ", "|").split("|")) - {"name"}
_WORDS = re.compile(r"[a-z0-9]+")
_SERVICE_HANDLE = re.compile(
    rf"(?i:\b(?:{_SERVICES}))\b(?:\s+(?i:id|name|tag|handle|username|user|account|acc))*"
    r"(\s*(?:[:=\-–]|\s(?i:is|it's|its|me at|me on|at|me))(?:\s+(?i:is|it's|its))?)?"
    r"\s*(@?[A-Za-z0-9][\w.#-]{2,31})(?<![.-])"
)
_PLAIN_WORDS = frozenset(
    "private public down dead great full banned gone open closed same new old the my a an not broken blocked "
    "deleted here there below above in on also just mostly still really kinda pretty so very too and or but "
    "for with from me you him her them it this that is are was be been being fine cool good bad up off "
    "over weird acting lagging working available offline online silent quiet better worse best bigger easier "
    "faster slow free fun nice boring popular back glitchy laggy annoying amazing awesome terrible literally "
    "always never only probably basically actually down dm dms if when what where which who how why".split()
)


# "xXsniperXx on xbox", "add kat.nap on discord": the handle first, then the service.
_HANDLE_ON_SERVICE = re.compile(
    rf"(?<![\w@.#-])(@?[A-Za-z0-9][\w.#-]{{2,31}})(?<![.-])\s+(?:on|at|@|in)\s+(?i:{_SERVICES})\b"
)


def _made_up(handle: str) -> bool:
    """Whether a word looks coined as a handle: an `@`, digits, `_`, `.`, `#` or capitals inside (`xXsniperXx`)."""
    return handle.startswith("@") or any(c.isdigit() or c in "_.#" for c in handle) or handle[1:] != handle[1:].lower()


_CODE_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)


def find_handles(text: str) -> Iterator[Span]:
    if "@" in text:
        code = [m.span() for m in _CODE_FENCE.finditer(text)] if "```" in text else []
        for match in _AT_HANDLE.finditer(text):
            if any(start <= match.start() < end for start, end in code):
                continue  # decorators and annotations in a code block
            if match.group(1).lower() not in _NOT_HANDLES and not match.group(1).isdigit():
                yield Span(match.start(), match.end(), "HANDLE")
    if "#" in text:
        for match in _TAG.finditer(text):
            if match.group(1).lower() not in _NOT_TAG_NAMES:
                yield Span(match.start(), match.end(), "HANDLE")
    if "u/" in text:
        for match in _REDDIT.finditer(text):
            yield Span(match.start(), match.end(), "HANDLE")
    if _SERVICE_WORDS.isdisjoint(_WORDS.findall(text.lower())) and "battle.net" not in text.lower():
        return  # no service named: neither "my discord is x" nor "x on xbox"
    for match in _HANDLE_ON_SERVICE.finditer(text):
        if _made_up(match.group(1)):
            yield Span(match.start(1), match.end(1), "HANDLE")
    for match in _SERVICE_HANDLE.finditer(text):
        separator, handle = match.groups()
        word = handle.lstrip("@").lower()
        if word in _PLAIN_WORDS or not any(c.isalpha() for c in word):
            continue
        made_up = (
            handle.startswith("@")
            or any(c.isdigit() or c in "_.#" for c in handle)
            or (handle[1:] != handle[1:].lower())
        )
        if made_up or separator:
            yield Span(match.start(2), match.end(2), "HANDLE")

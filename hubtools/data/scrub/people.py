"""Names of third parties in free text ("my cousin Tomasz Wierzbicki came over"), without the dump's metadata.

Two signals, both cheap: words around a name that say a person follows ("my cousin", "a guy named", "Mr.",
"my name is"), and a gazetteer: the US Census first names (≈ 5,500) and surnames (≈ 88,800) shipped by the
`names` package (MIT), read once from its files, plus ≈ 500 common first names from elsewhere (`world_names`).
A run of capitalised words is a name when a cue precedes it, or when it starts with a known first name and
goes on with a surname-like word, or is an unknown word followed by a known surname, or by a word with a
surname ending after "with", "met", "told"… A known first name alone is taken only mid-sentence or before a verb.
Names of the conversation's character and of famous fictional characters stay (`keep`): chats with a bot
called Mira talk about Mira. docs/privacy.md compares this with spaCy's small English pipeline and names-dataset.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from importlib import resources

from hubtools.data.scrub.names import COMMON_WORDS, SENTENCE_END
from hubtools.data.scrub.spans import Span
from hubtools.data.scrub.world_names import WORLD_FIRST_NAMES

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
_LOWER = "a-zß-öø-ÿāăąćčďđēėęěğģīįıķĺļľłńņňōőœŕřśşšţťūůűųźżž"
_WORD = rf"(?:Mc|Mac|O['’]|D['’])?[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}{_LOWER}][{_LOWER}]+)*"
_PARTICLE = r"(?:van der|van den|van de|van|von der|von|de la|de los|del|de|da|di|du|dos|das|le|la|bin|ibn|al|el)"
_END = r"(?![\w@-]|['’][^\W\d_]{2})"  # "Kevin's" ends at the apostrophe
_RUN = re.compile(rf"(?<![\w@#/.'’-]){_WORD}(?:\s(?:{_PARTICLE}\s)?{_WORD}){{0,3}}{_END}")
_LOWER_WORD = re.compile(rf"(?<![\w@#/.'’-])[{_LOWER}]{{2,}}(?![\w@'’-])")
_KIN = (
    r"cousin|brother|sister|bro|sis|friend|bestie|bff|bf|gf|boyfriend|girlfriend|partner|husband|wife|spouse|fianc[ée]e?"
    r"|ex|mom|mum|mother|dad|father|mama|papa|parent|son|daughter|kid|child|baby|uncle|aunt|auntie|niece|nephew"
    r"|grandma|grandpa|grandmother|grandfather|granny|nana|grandson|granddaughter|boss|manager|coworker|co-worker"
    r"|colleague|teacher|professor|tutor|coach|neighbou?r|roommate|flatmate|housemate|classmate|landlord|landlady"
    r"|doctor|dentist|therapist|counsel(?:l)?or|lawyer|crush|date|mate|buddy|pal|stepdad|stepmom|stepmum|stepbrother"
    r"|stepsister|in-law|sister-in-law|brother-in-law|mother-in-law|father-in-law|twin|godmother|godfather|pastor"
    r"|priest|nurse|vet|babysitter|nanny|student|pupil|employee|client|customer|patient|supervisor|mentor|lecturer"
)
_CUE_BEFORE = re.compile(
    rf"(?i:\b(?:my|our|his|her|their|your|a|the)\s+(?:(?:best|old|little|big|younger|older|baby|twin|late|new|dear"
    rf"|ex|step|favou?rite|former|current|second|oldest|youngest|lovely|crazy)[- ]?)*(?:{_KIN})s?\b,?"
    r"|\b(?:named|called|name is|name's|names are|names were|known as|goes by|i'm|im|i am|this is|call me|signed"
    r"|sincerely|regards|cheers|love|xoxo|ask|tell|with|meet|met|told|asked|texted|called|dating|married|and)"
    r"|\b(?:mr|mrs|ms|mx|miss|dr|prof|sir|madam|mme|mlle|herr|frau|señor|señora|sr|sra|fr|rev|capt|officer"
    r"|detective|judge|aunt|uncle)\.?)\s*$"
)
_KIN_CUE = re.compile(
    rf"(?i:\b(?:my|our|his|her|their|your)\s+(?:(?:best|old|little|big|younger|older|baby|twin|late|new|dear|ex"
    rf"|step|favou?rite|former|current|oldest|youngest)[- ]?)*(?:{_KIN})s?\b,?\s)"
)
# A cue strong enough to take any capitalised word after it (not only a known first name).
_STRONG_CUE = re.compile(
    rf"(?i:\b(?:my|our|his|her|their|your)\s+(?:(?:best|old|little|big|younger|older|baby|twin|late|new|dear|ex"
    rf"|step|favou?rite|former|current|oldest|youngest)[- ]?)*(?:{_KIN})s?\b,?"
    r"|\b(?:named|name is|name's|known as|goes by|calls? me|called me|nicknamed|aka|a\.k\.a\.|signed|sincerely"
    r"|regards|xoxo)"
    r"|\b(?:mr|mrs|ms|mx|miss|dr|prof|mme|mlle|herr|frau|señor|señora|sra)\.?)\s*$"
)
# Capitalised words that are not names, even next to one: function words, days, months, places, titles.
NOT_NAMES = frozenset(
    """
    mr dr prof mx sr jr st i i'm i'll i've i'd a an the and but or so if then than that this these those there
    here what when where why
    how who which my your his her our their its it we you they he she me him them us yes no not oh ok okay hey hi
    hello dear thanks thank please sorry well now just also maybe really very too still even only same like
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december christmas easter halloween thanksgiving new year years day days week
    street road avenue lane drive park station university college school hospital church river lake mountain
    bridge square city county state island bay beach center centre museum library airport hotel restaurant cafe
    bar club mall market hall house office court tower castle palace garden gardens north south east west
    english french german spanish italian polish dutch russian chinese japanese korean american british irish
    god lord jesus christ allah buddha internet google discord netflix youtube twitter instagram facebook
    reddit tiktok spotify amazon apple microsoft windows linux android iphone chatgpt openai character ai
    bot assistant user human admin mod moderator professor doctor mister miss mrs ms sir madam captain king
    queen prince princess duke lady lord chapter part episode season volume book movie film show game level
    happy birthday merry good morning night evening afternoon love best regards cheers yours sincerely
    mom mum dad mother father grandma grandpa uncle aunt brother sister cousin friend boss teacher
    sun moon earth mars venus jupiter saturn mercury pluto neptune uranus milky way galaxy universe
    mount mt lake cape saint st fort port new san santa los las el la le ocean sea gulf desert valley canyon
    africa america asia europe australia antarctica arctic atlantic pacific indian mediterranean caribbean
    paris london berlin rome madrid lisbon vienna prague warsaw moscow tokyo beijing shanghai delhi mumbai cairo
    sydney melbourne toronto vancouver montreal chicago boston houston dallas denver seattle phoenix austin
    atlanta miami detroit york jersey orleans vegas angeles francisco diego washington dublin edinburgh glasgow
    manchester liverpool amsterdam brussels zurich geneva munich hamburg milan naples venice florence athens
    istanbul dubai singapore bangkok seoul manila jakarta lima bogota santiago havana nairobi lagos
    china japan india russia france germany spain italy brazil mexico canada egypt greece turkey israel iran
    iraq korea vietnam ireland scotland wales england britain poland ukraine sweden norway denmark finland
    himalayas alps andes everest kilimanjaro amazon nile thames seine danube rhine sahara
    rio janeiro buenos aires kuala lumpur sao são paulo hong kong tel aviv cape town abu dhabi salt lake
    republic kingdom empire union federation states nations party army navy church senate congress parliament
    georgia virginia carolina florence victoria austin jackson lincoln cleveland columbus madison savannah
    chelsea aurora dakota orlando kent jordan sierra raven cherry berry misty dusty rocky royal noble soon
    sung son man mac ma mi chi lan hung dong sang hai numbers manual brain
    macbook imac ipad ipod iphone airpods playstation nintendo xbox switch pro max ultra plus mini air galaxy
    pixel kindle alexa siri cortana tesla toyota honda ford ferrari porsche nike adidas gucci prada lego
    """.split()
)
# A capitalised word right after these is a thing, not a person ("the Sun", "a Jordan", "this Paris").
_DETERMINER_BEFORE = re.compile(r"(?i)\b(?:the|a|an|this|that|these|those|our|its)\s+$")
_FUNCTION_WORDS = frozenset(
    "i a an the and but or so if then than that this there here what when where why how who which my your his her "
    "our their its it we you they he she me him them us yes no not oh ok hey hi hello dear thanks please".split()
)
# Famous fictional characters and authors: names a chat with a bot mentions without naming anyone real. Whole
# phrases ("harry potter") match a run of words exactly; the few distinctive single names match any word of it.
FICTIONAL = frozenset(
    """
    harry potter, hermione granger, ron weasley, albus dumbledore, severus snape, draco malfoy, sirius black,
    sherlock holmes, john watson, frodo baggins, bilbo baggins, luke skywalker, leia organa, han solo,
    darth vader, obi-wan kenobi, kylo ren, tony stark, peter parker, bruce wayne, clark kent, diana prince,
    steve rogers, natasha romanoff, wanda maximoff, bucky barnes, elizabeth bennet, mr darcy, jane eyre,
    jay gatsby, atticus finch, holden caulfield, katniss everdeen, peeta mellark, edward cullen, bella swan,
    jacob black, naruto uzumaki, sasuke uchiha, kakashi hatake, levi ackerman, eren yeager, mikasa ackerman,
    gojo satoru, satoru gojo, itadori yuji, geralt of rivia, lara croft, ash ketchum, walter white,
    jesse pinkman, jon snow, daenerys targaryen, tyrion lannister, arya stark, sansa stark, mary poppins,
    willy wonka, hannibal lecter, james bond, jack sparrow, indiana jones, homer simpson, bart simpson,
    rick sanchez, morty smith, hercule poirot, miss marple, moby dick, big ben, don quixote, gregor samsa,
    george orwell, william shakespeare, jane austen, charles dickens, agatha christie, mark twain,
    ernest hemingway, leo tolstoy, franz kafka, edgar allan poe, j r r tolkien, santa claus
    """.replace("\n", " ").split(",")
)
FICTIONAL = frozenset(phrase.strip() for phrase in FICTIONAL)
FICTIONAL_WORDS = frozenset(
    """
    hermione dumbledore voldemort snape malfoy weasley sherlock moriarty frodo bilbo gandalf aragorn legolas
    gollum samwise sauron skywalker vader anakin kenobi yoda katniss naruto sasuke kakashi goku vegeta gojo
    sukuna itadori geralt yennefer pikachu ganondorf zelda shrek dracula frankenstein hamlet macbeth othello
    juliet romeo poirot tolkien shakespeare orwell dickens ishmael ahab quixote
    """.split()
)
_PERSON_VERB_BEFORE = re.compile(
    r"(?i)\b(?:with|met|meet|meeting|told|tell|asked|ask|texted|text|called|dating|married|marry|invited|visited"
    r"|saw|and|against|hugged|kissed|helped|thanked|blocked)\s+$"
)
# Endings that make an unknown word a surname in many languages (Petrov, Kowalski, Horvat-ić, Papadopoulos…).
_SURNAME_ENDING = re.compile(
    r"(?:ov|ova|ev|eva|sky|ski|ska|skaya|wicz|enko|chuk|ian|yan|escu|ović|ovic|vić|ić|oğlu|oglu|opoulos|akis|idis"
    r"|sson|ström|strom|qvist|kvist|aei|zadeh|ayo|emi|ola|ole|eye|kwo|ashvili|adze|berg|stein|mann|ner|ez|ès|eau)$"
)
# What a person does, right after a sentence-initial first name ("Jennifer said…", but "Rosemary and garlic…").
_PERSON_VERB_AFTER = re.compile(
    r" (?:said|says|told|tells|asked|asks|is|was|has|had|will|would|wants|wanted|thinks|thought|loves|loved|likes"
    r"|liked|hates|knows|knew|went|goes|came|comes|called|calls|texted|sent|gave|got|made|lives|lived|works|worked"
    r"|can|could|should|does|did|isn't|wasn't|doesn't|didn't|won't|keeps|kept|just|never|always|also|and I)\b"
)
_TITLE_BEFORE = re.compile(r"(?i)\b(mr|mrs|ms|miss|dr|professor|prof|captain|lord|lady|sir)\.?\s+$")
_TOP_FIRST_RANK = 1500  # a lone first name counts only among the most common ones (rarer ones are words too)


@functools.cache
def gazetteer() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(first names, common first names, surnames), lower-cased, from the `names` package's census files."""
    root = resources.files("names")
    first: set[str] = set()
    common: set[str] = set()
    for file in ("dist.female.first", "dist.male.first"):
        for line in root.joinpath(file).read_text().splitlines():
            name, _freq, _cumulative, rank = line.split()
            first.add(name.lower())
            if int(rank) <= _TOP_FIRST_RANK:
                common.add(name.lower())
    last = {line.split(maxsplit=1)[0].lower() for line in root.joinpath("dist.all.last").read_text().splitlines()}
    first |= WORLD_FIRST_NAMES
    common |= WORLD_FIRST_NAMES
    first -= COMMON_WORDS | NOT_NAMES
    common -= COMMON_WORDS | NOT_NAMES
    return frozenset(first), frozenset(common), frozenset(last)


class People:
    """Finds person names in free text; `keep` are names that must stay (the character's, say)."""

    def __init__(self, keep: Iterable[str] = ()) -> None:
        self.first, self.common_first, self.last = gazetteer()
        self.keep = FICTIONAL_WORDS | {word.lower() for name in keep for word in name.split() if len(word) >= 2}

    def find(self, text: str, keep: frozenset[str] = frozenset()) -> Iterator[Span]:
        """Spans of person names in `text`; words in `keep` (lower-cased) are never part of one."""
        for match in _RUN.finditer(text):
            yield from self._run(text, match, keep)
        if "my " in text.lower():
            for match in _KIN_CUE.finditer(text):
                yield from self._lower_run(text, match)

    def _run(self, text: str, match: re.Match, keep: frozenset[str]) -> Iterator[Span]:
        group: list[tuple[int, str]] = []
        for word in re.finditer(r"\S+", match.group()):  # split at words that are not names ("Read The Art")
            lowered = word.group().lower()
            surname = group and group[-1][1].lower() in self.first and lowered in self.last
            if lowered in NOT_NAMES and not (surname and lowered not in _FUNCTION_WORDS):  # "Stephen King"
                yield from self._words(text, group, keep)
                group = []
            else:
                group.append((word.start() + match.start(), word.group()))
        yield from self._words(text, group, keep)

    def _words(self, text: str, words: list[tuple[int, str]], keep: frozenset[str]) -> Iterator[Span]:
        # "Try Jane Austen", "Ask Jennifer Smith": a capitalised word before a first name is a sentence's verb.
        if len(words) > 1 and words[0][1].lower() not in self.first and words[1][1].lower() in self.first:
            opening = text[max(0, words[0][0] - 48) : words[0][0]]
            if not _cue_or_mid_sentence(text, words[0][0], opening) and not _STRONG_CUE.search(opening):
                words = words[1:]
        if not words or any(word.lower() in self.keep or word.lower() in keep for _, word in words):
            return
        start, end = words[0][0], words[-1][0] + len(words[-1][1])
        before = text[max(0, start - 48) : start]
        phrase = " ".join(word.lower().replace(".", "") for _, word in words)
        title = _TITLE_BEFORE.search(before)
        if phrase in FICTIONAL or (title and f"{title.group(1).lower()} {phrase}" in FICTIONAL):
            return  # "Harry Potter", "Mr. Darcy"
        lowered = [word.lower().replace("’", "'") for _, word in words]
        if _STRONG_CUE.search(before):
            yield Span(start, end, "NAME")
            return
        if _DETERMINER_BEFORE.search(before):
            return
        first, *rest = lowered
        surname = bool(rest) and len(rest[-1]) >= 3 and rest[-1] in self.last
        if (
            rest
            and (first in self.first or (surname and first not in COMMON_WORDS))
            and not (first in COMMON_WORDS and not _cue_or_mid_sentence(text, start, before))
        ):
            yield Span(start, end, "NAME")
        elif len(rest) == 1 and _SURNAME_ENDING.search(rest[0]) and _PERSON_VERB_BEFORE.search(before):
            yield Span(start, end, "NAME")  # "lunch with Oluwadamilare Bankole"
        elif not rest and len(first) >= 3 and first in self.common_first:
            # Mid-sentence, or starting one with a verb after it ("Jennifer said…", not "Jennifer?")
            if _cue_or_mid_sentence(text, start, before) or _PERSON_VERB_AFTER.match(text, end):
                yield Span(start, end, "NAME")

    def _lower_run(self, text: str, match: re.Match) -> Iterator[Span]:
        """ "my friend sarah jones": lower-case words right after a kin cue, when the gazetteer knows them."""
        words = list(_LOWER_WORD.finditer(text, match.end()))[:2]
        if not words or words[0].start() > match.end() + 2:
            return
        first = words[0].group()
        if first in COMMON_WORDS or first in NOT_NAMES:
            return
        second = words[1].group() if len(words) > 1 and words[1].start() == words[0].end() + 1 else ""
        if first not in self.first:
            return
        if second and second in self.last and second not in COMMON_WORDS and second not in NOT_NAMES:
            yield Span(words[0].start(), words[1].end(), "NAME")
        elif first in self.common_first:
            yield Span(words[0].start(), words[0].end(), "NAME")


def _cue_or_mid_sentence(text: str, start: int, before: str) -> bool:
    stripped = text[:start].rstrip(" \t")
    return bool(_CUE_BEFORE.search(before)) or (bool(stripped) and stripped[-1] not in SENTENCE_END)

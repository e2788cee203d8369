"""Mask personal data in support text with typed placeholders (pure: str in, str out).

``mask_text`` replaces e-mail addresses, @handles, IBANs, card numbers (Luhn-checked), order and booking
numbers, phone numbers, clear postcodes and people's names with ``[EMAIL]``, ``[HANDLE]``, ``[IBAN]``,
``[CARD]``, ``[ORDER]``, ``[PHONE]``, ``[POSTCODE]`` and ``[NAME]``. Dates, times, prices and flight numbers
stay as they are. Names are the ones the caller knows (the customer and agents of a conversation) and
those the text itself gives after a greeting or before a sign-off ("Hi Dana", "Thanks, Sam").
Phone numbers are told apart from other numbers by ``phonenumbers`` (Google's libphonenumber metadata).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import phonenumbers

NAME = "[NAME]"
EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
ORDER = "[ORDER]"
CARD = "[CARD]"
IBAN = "[IBAN]"
POSTCODE = "[POSTCODE]"
HANDLE = "[HANDLE]"
PLACEHOLDERS = (NAME, EMAIL, PHONE, ORDER, CARD, IBAN, POSTCODE, HANDLE)

PHONE_REGIONS = ("US", "GB", "NL", "BE", "DE", "FR", "IE", "CA", "AU")
"""Where a number written without a country code is tried as a national phone number."""

# --------------------------------------------------------------------------- e-mail addresses and handles

_EMAIL = re.compile(r"(?<![\w.+'%-])[\w.+'%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@.&/])@\w{1,30}(?!\w)|(?<=/)@\w{1,30}(?!\w)")

# --------------------------------------------------------------------------- IBANs and card numbers

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]+(?:[ -][0-9]+)*(?![0-9])")
_GROUP = re.compile(r"[0-9]+")


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check (card numbers do)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """Whether ``text`` (spaces allowed) is an IBAN with a good mod-97 check."""
    s = text.replace(" ", "")
    if not 15 <= len(s) <= 34 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def card_spans(text: str) -> list[tuple[int, int]]:
    """Where card numbers are: 13-19 ASCII digits, Luhn-valid, written as one run or as groups separated by
    single spaces or dashes. Within a longer run of groups, every stretch of whole groups is tried (longest
    first from each group), so a card number next to other digits is still found."""
    spans: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _GROUP.finditer(run.group())]
        i = 0
        while i < len(groups):
            found = None
            digits = ""
            best = None
            for j in range(i, len(groups)):
                digits += text[groups[j][0] : groups[j][1]]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_valid(digits):
                    best = j
            if best is not None:
                found = (groups[i][0], groups[best][1])
                spans.append(found)
                i = best + 1
            else:
                i += 1
    return spans


# --------------------------------------------------------------------------- order and booking numbers

_ORDER_WORDS = (
    r"order(?:\s*(?:number|no\.?|nr\.?|id|#))?|bestel(?:ling|nummer)(?:\s*(?:nummer|nr\.?))?|ordernummer"
    r"|bestellnummer|invoice(?:\s*(?:number|no\.?))?|factuur(?:nummer)?|rechnung(?:snummer)?"
    r"|tracking(?:\s*(?:number|no\.?|code|id))?|track\s*(?:&|and)\s*trace(?:\s*code)?|parcel(?:\s*number)?"
    r"|customer\s*(?:number|no\.?|id)|klantnummer|kundennummer|account\s*(?:number|no\.?)"
    r"|case(?:\s*(?:number|no\.?|id))?|ticket(?:\s*(?:number|no\.?|id))?|ref(?:erence)?(?:\s*(?:number|no\.?))?"
    r"|kenmerk|zaaknummer"
)
_BOOKING_WORDS = (
    r"booking(?:\s*(?:reference|ref\.?|number|no\.?|code))?|reservation(?:\s*(?:number|no\.?|code))?"
    r"|confirmation(?:\s*(?:number|no\.?|code))?|record\s*locator|pnr|boekingsnummer|reserveringsnummer"
)
_LEAD = r"\s*(?:[:#]\s*|is\s+|was\s+|nummer\s+|number\s+)?#?\s*"
# An order token has a digit; a booking code may be letters only (an airline PNR such as XKQTRM).
_ORDER = re.compile(
    rf"(?i:\b(?:{_ORDER_WORDS})){_LEAD}(?P<tok>[A-Za-z]{{0,6}}[-/]?[0-9][A-Za-z0-9/-]{{2,29}}(?<![-/]))(?![\w@])"
)
_BOOKING = re.compile(rf"(?i:\b(?:{_BOOKING_WORDS})){_LEAD}(?P<tok>[A-Z0-9]{{5,8}})(?![\w@])")
_HASH_NUMBER = re.compile(r"(?<![\w&])#[0-9]{4,}(?![\w])")

# --------------------------------------------------------------------------- phone numbers

_PHONE_CANDIDATE = re.compile(
    r"(?<![\w+.,/-])(?:\+|00)?\(?[0-9][0-9()]*(?:(?:[ .-]|\s?/\s?|(?<=\)))\(?[0-9]+\)?)*(?![\w]|[.,][0-9])"
)
_PHONE_WORDS = re.compile(
    r"(?i:\b(?:call|phone|tel|telephone|mobile|cell|mob|ring|whatsapp|sms|text|fax|number|nummer|bel|bellen"
    r"|telefoon|telefoonnummer|mobiel|telefon|handy|rufnummer)\b)[^\n\w]{0,4}(?:(?:me|us|on|at|is|op|at:)\s+){0,2}$"
)
_DATE_LIKE = re.compile(
    r"^(?:[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}|[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2}|[0-9]{4}-[0-9]{2}|"
    r"[0-9]{1,2}[./-][0-9]{1,2})(?:\s+[0-9]{1,2})?$"
)
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥₹]|\b(?:usd|eur|gbp|chf|aud|cad|nzd))\s*$", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(r"^\s*(?:[$€£¥%]|(?i:usd|eur|gbp|euros?|dollars?|pounds?|miles|points|km|kg)\b)")


def _is_phone(candidate: str, before: str, after: str, regions: Iterable[str]) -> bool:
    digits = re.sub(r"[^0-9]", "", candidate)
    if not 7 <= len(digits) <= 15:
        return False
    if _DATE_LIKE.match(candidate) or _CURRENCY_BEFORE.search(before) or _AMOUNT_AFTER.match(after):
        return False
    if candidate.startswith("+"):  # a plus, a country code and nine or more digits: nothing else looks like it
        return candidate[1:2] != "0" and len(digits) >= 9
    if _PHONE_WORDS.search(before[-40:]):
        return True
    text = "+" + candidate[2:] if candidate.startswith("00") else candidate
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _mask_phones(text: str, regions: Iterable[str]) -> str:
    regions = tuple(regions)
    out, pos = [], 0
    for m in _PHONE_CANDIDATE.finditer(text):
        cand = m.group().rstrip(" .-/(")
        end = m.start() + len(cand)
        if cand.endswith(")") and cand.count("(") < cand.count(")"):
            cand, end = cand[:-1], end - 1
        if _is_phone(cand, text[max(0, m.start() - 40) : m.start()], text[end : end + 12], regions):
            out.append(text[pos : m.start()])
            out.append(PHONE)
            pos = end
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- postcodes

_UK_POSTCODE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?[0-9][ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
_NL_POSTCODE = re.compile(r"(?<![\w.,:/-])[1-9][0-9]{3} ?(?!AM|PM|SA|SD|SS|UK|US|EU|OK)[A-Z]{2}(?![\w])")
_US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
_US_ZIP = re.compile(rf"(?<=\b(?:{'|'.join(_US_STATES)})\s)[0-9]{{5}}(?:-[0-9]{{4}})?(?![\w])")
_POSTCODE_WORD = re.compile(
    r"(?i:\b(?:post\s*code|postal\s*code|zip(?:\s*code)?|postleitzahl|plz)\b)\s*(?:[:#]\s*|is\s+)?"
    r"(?P<tok>[0-9]{4,5}(?:-[0-9]{4})?|[0-9]{4}\s?[A-Za-z]{2}|[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s?[0-9][A-Za-z]{2})"
    r"(?![\w])"
)

# --------------------------------------------------------------------------- names

_WORD = r"[^\W\d_][\w'’-]*"
_TITLE = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dhr|Mevr|Mw|Herr|Frau|Mme|Mlle|M)\.?\s+)?"
_GREETING = re.compile(
    r"(?i:\b(?:hi|hello|hey|hiya|heya|dear|good\s+(?:morning|afternoon|evening|day)|hoi|hallo|beste|geachte"
    r"|dag|goedemorgen|goedemiddag|goedenavond|liebe|lieber|sehr\s+geehrte[rn]?|guten\s+tag|bonjour|cher|chère))"
    rf"[ \t]*,?[ \t]+{_TITLE}(?P<name>{_WORD}(?:[ \t]+{_WORD})?)"
)
# After thanks or an apology a name is only taken when punctuation or the end follows ("Thanks Dana!").
_THANKS = re.compile(
    r"(?i:\b(?:thanks(?:\s+so\s+much)?|thank\s+you(?:\s+so\s+much)?|many\s+thanks|welcome|sorry|bedankt"
    r"|danke))"
    rf"[ \t]*,?[ \t]+{_TITLE}(?P<name>{_WORD}(?:[ \t]+{_WORD})?)(?=[ \t]*(?:[,.!?;:)]|$))",
    re.MULTILINE,
)
_SIGN_OFF = re.compile(
    r"(?i:\b(?:regards|kind\s+regards|best\s+regards|warm\s+regards|best\s+wishes|best|cheers|thanks|thank\s+you"
    r"|many\s+thanks|sincerely|yours\s+sincerely|yours|take\s+care|groet|groeten|met\s+vriendelijke\s+groet(?:en)?"
    r"|vriendelijke\s+groet(?:en)?|mvg|gr|mit\s+freundlichen\s+grüßen|viele\s+grüße|lg|cordialement))"
    rf"[ \t]*[,!.]?[ \t]*\n[ \t]*-*[ \t]*(?P<name>{_WORD}(?:[ \t]+{_WORD})?)[ \t]*$",
    re.MULTILINE,
)
_INTRO = re.compile(
    rf"(?i:\b(?:my\s+name\s+is|my\s+name's|mijn\s+naam\s+is|ich\s+heiße|je\s+m'appelle))[ \t]+"
    rf"(?P<name>{_WORD}(?:[ \t]+{_WORD})?)"
    rf"|(?i:\b(?:this\s+is|it's|it\s+is|ik\s+ben|ich\s+bin))[ \t]+"
    rf"(?P<name2>{_WORD}(?:[ \t]+{_WORD})?)(?=[ \t]*(?:(?i:from|with|of|here|van|bij|hier)\b|[,.!]))"
)
# A capital, then initials or a name, signed at the end of a line: "^Kelly", "*TMT", "-Sam".
_SIGNATURE_MARK = re.compile(r"(?:(?<=\s)|^)[\^*~-](?P<name>[^\W\d_][\w'’-]{1,20})[ \t]*$", re.MULTILINE)
_NOT_NAMES = frozenset(
    """
    a again all also and any anyone are as at back be but by can customer customers dear did do does even
    everybody everyone everything folks for friend friends from further good great guys happy have he hello help
    her here hey hi his how i if im in is it its just kind let lots many me more morning afternoon evening much
    my no not now of ok okay on once one or our please really regards she since so some sorry still support
    sure team thank thanks that the them then there these they this those to today too us very was we well what
    when where which who will with would yes yet you your all! sir madam madame mister team everyone agent agents
    staff service services customer care client again guest guests traveler travelers traveller travellers
    passenger passengers member members user users there! beste allen iedereen klant team! heer mevrouw dames
    heren damen herren kunde allerseits tout monde name email phone order card iban postcode handle
    mr mrs ms miss mx dr prof dhr mevr mw herr frau mme mlle about after before over there's that's it's
    i'm i’m i've i’ve i'll i’ll i'd i’d we're we’re we've we’ve we'll we’ll you're you’re let's let’s
    """.split()
)
_PARTICLES = frozenset("van von de der den del della di du da le la ten ter te het 't bin al el y".split())


def _capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


def _name_words(candidate: str) -> list[str]:
    """The leading words of ``candidate`` that look like a name (capitalised, not a common word)."""
    out = []
    for word in candidate.split():
        word = word.strip("'’-")
        if not _capitalised(word) or word.casefold() in _NOT_NAMES or word.upper() == word and len(word) > 3:
            break
        out.append(word)
    return out


def names_in_text(text: str) -> list[str]:
    """Names the text itself gives: after a greeting ("Hi Dana", "Dear Mr. Smith"), before a sign-off at the
    end of a line ("Thanks,\\nSam"), in an introduction ("my name is Lee"), or signed "^Kelly"."""
    found: list[str] = []
    for pattern in (_GREETING, _THANKS, _SIGN_OFF, _INTRO):
        for m in pattern.finditer(text):
            words = _name_words(next(v for v in m.groupdict().values() if v))
            if words:
                found.append(" ".join(words))
    for m in _SIGNATURE_MARK.finditer(text):
        word = m.group("name")
        if _capitalised(word) and word.casefold() not in _NOT_NAMES:
            found.append(word)
    return found


def _name_forms(names: Iterable[str]) -> set[str]:
    """Every form of the given names to mask: each full name and each part of it (particles and one-letter
    parts aside), capitalised as given and in capitals, in composed and decomposed Unicode."""
    forms: set[str] = set()
    for raw in names:
        name = " ".join(str(raw or "").replace("@", " ").split())
        if not name or "[" in name:
            continue
        parts = [p.strip(".,'’-") for p in name.split()]
        if len(name) >= 2 and any(ch.isalpha() for ch in name):
            forms.add(name)
        for part in parts:
            if len(part) < 2 or not any(ch.isalpha() for ch in part) or part.casefold() in _PARTICLES:
                continue
            if part.casefold() in _NOT_NAMES:
                continue
            cap = part[0].upper() + part[1:]
            forms.update({cap, part.upper()})
    out: set[str] = set()
    for form in forms:
        out.update({unicodedata.normalize("NFC", form), unicodedata.normalize("NFD", form)})
    return out


def _mask_names(text: str, names: Iterable[str]) -> str:
    forms = _name_forms([*names, *names_in_text(text)])
    if not forms:
        return text
    full = sorted((f for f in forms if " " in f), key=len, reverse=True)
    single = sorted((f for f in forms if " " not in f), key=len, reverse=True)
    if full:  # full names in any case ("DANA SMITH", "dana smith")
        text = re.sub(
            r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, f.split())) for f in full) + r")(?!\w)",
            NAME,
            text,
            flags=re.IGNORECASE,
        )
    if single:  # a single part as written with a capital ("Dana"), so "dana" the word is left alone
        text = re.sub(r"(?<!\w)(?:" + "|".join(map(re.escape, single)) + r")(?!\w)", NAME, text)
    return text


# --------------------------------------------------------------------------- the whole thing


def _sub_group(pattern: re.Pattern[str], placeholder: str, text: str) -> str:
    """Replace the named group ``tok`` of each match (the keyword before it stays); dates are left alone."""

    def repl(m: re.Match[str]) -> str:
        if _DATE_LIKE.match(m.group("tok")):
            return m.group()
        whole, start, end = m.group(), m.start("tok") - m.start(), m.end("tok") - m.start()
        return whole[:start] + placeholder + whole[end:]

    return pattern.sub(repl, text)


def _mask_ibans(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group()
        while len(s.replace(" ", "")) >= 15:
            if iban_valid(s):
                return IBAN + m.group()[len(s) :]
            s = s[:-1].rstrip()
        return m.group()

    return _IBAN.sub(repl, text)


def mask_cards(text: str) -> str:
    """Replace every card number (see :func:`card_spans`) with ``[CARD]``."""
    spans = card_spans(text)
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], CARD]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _steps(names: Iterable[str], regions: Iterable[str], handles: bool) -> list[Callable[[str], str]]:
    return [
        lambda t: _EMAIL.sub(EMAIL, t),
        (lambda t: _HANDLE.sub(HANDLE, t)) if handles else (lambda t: t),
        _mask_ibans,
        mask_cards,
        lambda t: _sub_group(_BOOKING, ORDER, _sub_group(_ORDER, ORDER, t)),
        lambda t: _HASH_NUMBER.sub(ORDER, t),
        lambda t: _mask_phones(t, regions),
        lambda t: _sub_group(_POSTCODE_WORD, POSTCODE, t),
        lambda t: _US_ZIP.sub(POSTCODE, _NL_POSTCODE.sub(POSTCODE, _UK_POSTCODE.sub(POSTCODE, t))),
        lambda t: _mask_names(t, names),
        mask_cards,
    ]


def mask_text(
    text: str,
    *,
    names: Iterable[str] = (),
    regions: Iterable[str] = PHONE_REGIONS,
    handles: bool = True,
) -> str:
    """``text`` with personal data replaced by typed placeholders (see the module docstring).

    ``names`` are people's names known from elsewhere (the conversation's customer and agents): each full
    name is masked in any case, each part of it where it is written with a capital. ``regions`` are where
    a number without a country code may be a phone number. Masking an already masked text changes
    nothing."""
    if not text:
        return text
    names = tuple(names)
    for _ in range(3):  # a second pass sees what the first uncovered (rare); stop once nothing changes
        masked = text
        for step in _steps(names, regions, handles):
            masked = step(masked)
        if masked == text:
            break
        text = masked
    return text

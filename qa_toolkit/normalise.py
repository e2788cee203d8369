"""Pure text and record steps shared by importers: times to UTC, HTML to text, quote and signature
stripping, agent initials on social channels, auto-reply detection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from qa_toolkit.types import Role

# --------------------------------------------------------------------------- times

_TWITTER_FORMAT = "%a %b %d %H:%M:%S %z %Y"


def parse_timestamp(value: object, *, tz: str = "UTC") -> datetime | None:
    """Parse ISO 8601, unix seconds or milliseconds (int, float or digit string), or Twitter's
    ``Tue Oct 31 22:10:47 +0000 2017`` into an aware UTC datetime. Empty values give None.

    Naive ISO values are read in ``tz``. Raises ValueError with the offending value otherwise.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return _from_unix(float(value))
    text = str(value).strip()
    if not text or text.lower() in {"null", "none", "nan", "nat"}:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _from_unix(float(text))
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            dt = datetime.strptime(text, _TWITTER_FORMAT)
        except ValueError:
            raise ValueError(f"not a timestamp: {text!r} (expected ISO 8601 or unix seconds)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    try:
        return dt.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp out of range: {text!r}") from None


def _from_unix(seconds: float) -> datetime:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"unix time out of range: {seconds!r}") from None


# --------------------------------------------------------------------------- HTML and quotes

_HTML_HINT = re.compile(r"<\s*(p|div|br|span|blockquote|html|body|table|a|b|i|strong|em|ul|ol|li)\b[^>]*>", re.I)


def looks_like_html(text: str) -> bool:
    """True when ``text`` contains common HTML block or inline tags."""
    return bool(_HTML_HINT.search(text))


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, with quoted history (Gmail/Outlook/blockquote) removed first."""
    if not html:
        return ""
    import quotequail
    from inscriptis import get_text

    top = html
    try:
        unwrapped = quotequail.unwrap_html(html)
    except Exception:  # quotequail raises on some malformed markup; fall back to the whole body
        unwrapped = None
    if unwrapped and unwrapped.get("html_top"):
        top = unwrapped["html_top"]
    text = get_text(top)
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", out)


@lru_cache(maxsize=8)
def _reply_parser(languages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=list(languages))


REPLY_LANGUAGES = ("en", "nl", "de", "fr")
_QUOTE_HINT = re.compile(
    r"(^>|^-{2,}\s*Original Message|^On .{4,200}wrote:|^Op .{4,200}schreef|^Am .{4,200}schrieb|"
    r"^Le .{4,200}a écrit|^From:\s|^Van:\s|^Von:\s|^De :|^Sent from my|^Verzonden vanaf|^Gesendet von|"
    r"^(Best|Kind|Warm)? ?regards|^Cheers|^Thanks,?$|^Met vriendelijke groet|^Mit freundlichen Grüßen|^--\s*$)",
    re.I | re.M,
)


def strip_reply(text: str, *, languages: tuple[str, ...] = REPLY_LANGUAGES) -> str:
    """The new part of an e-mail-style message: quoted history, reply headers and signatures removed.

    Uses mail-parser-reply; text with nothing that looks quoted or signed is returned unchanged.
    """
    if not text or not _QUOTE_HINT.search(text):
        return text.strip()
    try:
        mail = _reply_parser(languages).read(text=text)
    except Exception:  # the parser is a heuristic; never lose a message because of it
        return text.strip()
    if not mail.replies:
        return _cut_at_quote_header(text.strip())
    body = (mail.replies[0].body or "").strip()
    return _cut_at_quote_header(body) if body else text.strip()


# "On Mon, 3 Mar 2025 at 11:24, Acme <help@acme.example> wrote:" and its Dutch, German and French forms,
# possibly wrapped over two lines (Gmail wraps long attribution lines)
_QUOTE_HEADER = re.compile(
    r"^\s*(On|Op|Am|Le)\s[^\n]{0,200}?(\n[^\n]{0,200}?)?(wrote|schreef|schrieb|a\s+écrit)\s*[^\n]{0,120}:\s*$",
    re.M,
)


def _cut_at_quote_header(text: str) -> str:
    """Drop an attribution line and everything after it when the parser left one in."""
    m = _QUOTE_HEADER.search(text)
    if m and m.start() > 0 and re.search(r"\d", m.group(0)):
        return text[: m.start()].rstrip()
    return text


def clean_body(raw: str, *, html: bool | None = None, strip_quotes: bool = True) -> str:
    """Raw body (HTML or text) to clean text: HTML converted, quotes and signatures stripped."""
    if raw is None:
        return ""
    is_html = looks_like_html(raw) if html is None else html
    text = html_to_text(raw) if is_html else _tidy(raw)
    return strip_reply(text) if strip_quotes else text


# --------------------------------------------------------------------------- social agents

# the sign-off at the very end of a reply, as the models, the rules and the template miner remove it: initials or
# a name after ^, *, ~, / or a hyphen ("^JD", "- Sam"); one letter only right after ^, *, ~ or a hyphen ("^H",
# "-H"), never after a space, where it could be a list item or a gate ("Terminal - B", "* B")
SIGN_OFF_TAIL = re.compile(r"(?:\s|^)(?:[\^*~/-]\s?[A-Z][A-Za-z]{1,11}|[\^*~-][A-Z])\W{0,3}$")
SIGN_OFF_TAIL_LONGEST = 18  # characters a match of SIGN_OFF_TAIL can have: 1 + 1 + 1 + 1 + 11 + 3


def replace_sign_off(text: str, placeholder: str) -> str:
    """``SIGN_OFF_TAIL.sub(placeholder, text)``, looking only at the end of ``text``, where a match must be
    (a search from the start tries every position: about twice the time for a reply). One character more
    than the longest match: ``$`` also matches before a final newline."""
    found = SIGN_OFF_TAIL.search(text, max(0, len(text) - SIGN_OFF_TAIL_LONGEST - 1))
    return text if found is None else text[: found.start()] + placeholder + text[found.end() :]


# ^AB  *TMT  -KC  ~Mike  /JD  -Becky  ^cr  *KellenF at the very end of a post (after it maybe a link, an emoji,
# a dot or a thread counter such as "1/2")
_SIGNATURE = re.compile(r"(?:^|\s|[^\w\s])([\^*~/]|-|–)\s?([A-Za-z][A-Za-z]{0,11})[.!\s\W]{0,3}$")
_CONTINUATION = re.compile(r"(\s*(\.\.\.|…)?\s*\(?\d/\d\)?|\s*https?://\S+)+\s*$")
_SIGNATURE_STOP = {
    "DM", "DMs", "Thanks", "Thank", "Cheers", "Regards", "Team", "Help", "Support", "Please", "Hi", "Hello", "You",
    "Us", "It", "Me", "In", "On", "Up", "Out", "Here", "There", "Now", "Today", "Soon", "Again", "Done",
}  # fmt: skip


def agent_signature(text: str) -> str | None:
    """The initials or first name an agent signs a social post with (``^AB`` -> ``AB``), or None."""
    if not text:
        return None
    text = _CONTINUATION.sub("", text.rstrip())
    m = _SIGNATURE.search(text)
    if not m:
        return None
    marker, sig = m.group(1), m.group(2)
    if sig in _SIGNATURE_STOP or sig.lower() in {s.lower() for s in _SIGNATURE_STOP}:
        return None
    if marker in "^*~/":  # an unambiguous sign-off marker: initials in any case, or a name
        return sig if len(sig) <= 12 else None
    # after a dash: initials (AB, TMT) or a capitalised first name (-Becky), not ordinary words
    if sig.isupper() and 2 <= len(sig) <= 4:
        return sig
    if sig[0].isupper() and sig[1:].islower() and len(sig) >= 3:
        return sig
    return None


# --------------------------------------------------------------------------- auto-replies

AUTO_REPLY_PATTERNS = re.compile(
    r"(this is an? automat(ed|ic) (reply|response|message|e-?mail)|"
    r"auto(matic)?[- ]?(reply|response|responder)|"
    r"do not reply to this (e-?mail|message)|"
    r"(we|we've|we have) (have )?received your (e-?mail|message|request|enquiry|inquiry|ticket)|"
    r"thank(s| you) for (contacting|reaching out to|your (e-?mail|message))[^.!?]{0,60}"
    r"(we will|we'll|one of our)[^.!?]{0,80}(within|as soon as)|"
    r"(will|shall) (get back to you|respond|reply|answer)[^.!?]{0,40}within \d+ (working |business )?"
    r"(hours?|days?)|"
    r"(out of (the )?office)|"
    r"(dit is een automatisch|automatisch (gegenereerd|antwoord)|wij hebben uw (bericht|e-?mail) ontvangen|"
    r"binnen \d+ werkdagen)|"
    r"(dies ist eine automatische|automatische antwort|abwesenheitsnotiz)|"
    r"(ceci est une r[ée]ponse automatique|r[ée]ponse automatique))",
    re.I,
)


_AUTO_HINTS = (
    "automat",
    "auto-re",
    "autore",
    "do not reply",
    "received your",
    "within",
    "office",
    "ontvangen",
    "werkdag",
    "abwesen",
    "ponse",
)


def looks_automated(text: str) -> bool:
    """True when the wording is that of an auto-acknowledgement or auto-responder."""
    if not text:
        return False
    low = text.lower()
    return any(h in low for h in _AUTO_HINTS) and bool(AUTO_REPLY_PATTERNS.search(text))


# wording that says outright that the message itself is automatic (humans write "out of office hours" or
# "you will get an automatic reply", so neither counts)
_EXPLICIT_AUTO = re.compile(
    r"\bthis (is an?|message is an?|e-?mail is an?) automat|\bauto-?(reply|response|responder)\b|"
    r"\bautomated (response|message|reply|e-?mail)\b|\bdo not reply to this (e-?mail|message)|"
    r"\bi am (currently )?out of (the )?office\b|\bdit is een automatisch|\bdies ist eine automatische|"
    r"\bceci est une? (r[ée]ponse|message) automatique",
    re.I,
)


def mark_auto_replies(messages: list, *, max_delay: timedelta = timedelta(minutes=3)) -> None:
    """Set ``is_automated`` on agent messages whose wording is an auto-acknowledgement and that came
    within ``max_delay`` of the customer message before them (or have no time, when the wording
    says it outright). Only ever turns the flag on. Works on ``MessageIn`` objects in place."""
    last_customer_at = None
    for msg in messages:
        if msg.role is Role.customer:
            last_customer_at = msg.sent_at
            continue
        if msg.role is not Role.agent or msg.is_automated or msg.is_internal:
            continue
        if "is_automated" in msg.model_fields_set:  # the source said so explicitly (is_automated: false)
            continue
        quick = (
            msg.sent_at is not None
            and last_customer_at is not None
            and timedelta(0) <= msg.sent_at - last_customer_at <= max_delay
        )
        text = msg.text
        explicit = ("uto" in text or "UTO" in text or "reply" in text or "ffice" in text) and (
            _EXPLICIT_AUTO.search(text) is not None
        )
        if (quick or explicit) and looks_automated(text):
            msg.is_automated = True

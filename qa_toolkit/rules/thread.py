"""Thread helpers the rules share: turns as the labelling guide defines them, labels by message, specifics."""

from __future__ import annotations

from dataclasses import dataclass

from qa_toolkit.rules.base import LabelResult, RuleContext
from qa_toolkit.rules.text import hits, quote
from qa_toolkit.schema import MessageIn
from qa_toolkit.types import Role


@dataclass(frozen=True)
class Turn:
    """Consecutive customer messages, or consecutive human agent answers."""

    customer: bool
    messages: list[MessageIn]


def turns(ctx: RuleContext) -> list[Turn]:
    """Customer turns and agent turns (human answers only: bots, auto-replies, notes and system events
    neither answer nor break a customer turn), as in ``qa_toolkit.metrics``."""
    cached = ctx.cache.get("turns")
    if cached is None:
        cached = ctx.cache["turns"] = turns_of(ctx.conv.messages)
    return cached


def turns_of(messages: list[MessageIn]) -> list[Turn]:
    """The turns of these messages (see ``turns``)."""
    out: list[Turn] = []
    for msg in messages:
        if msg.is_internal or msg.is_automated:
            continue
        if msg.role is Role.customer:
            is_customer = True
        elif msg.role is Role.agent:
            is_customer = False
        else:
            continue
        if out and out[-1].customer is is_customer:
            out[-1].messages.append(msg)
        else:
            out.append(Turn(is_customer, [msg]))
    return out


def per_customer(ctx: RuleContext) -> dict[str, list[MessageIn]]:
    """When several customers write in one thread (told apart by author id, as in a public Twitter reply
    tree): each customer's view of it, their own messages with every non-customer message. Empty with fewer
    than two known customers; customers without an author id are left out."""
    authors = {m.author for m in ctx.conv.messages if m.role is Role.customer and m.author}
    if len(authors) < 2:
        return {}
    return {
        author: [m for m in ctx.conv.messages if m.role is not Role.customer or m.author == author]
        for author in sorted(authors)
    }


def answers(ctx: RuleContext) -> list[MessageIn]:
    """Every human agent answer (public, not automated)."""
    return [m for m in ctx.conv.messages if m.is_answer]


def customer_messages(ctx: RuleContext) -> list[MessageIn]:
    return [m for m in ctx.conv.messages if m.role is Role.customer and not m.is_internal]


def answered_turns(ctx: RuleContext) -> list[tuple[list[MessageIn], list[MessageIn]]]:
    """(customer turn, the agent turn that answered it) pairs, in order."""
    ts = turns(ctx)
    return [(t.messages, ts[i + 1].messages) for i, t in enumerate(ts[:-1]) if t.customer]


def label(ctx: RuleContext, message_id: str, name: str) -> LabelResult | None:
    """The classifier's label ``name`` (tone, personalisation, apology, resolution) of one reply, or None
    when the reply was not scored."""
    reply = ctx.replies.get(message_id) if ctx.replies else None
    return getattr(reply, name, None) if reply is not None else None


def specifics(ctx: RuleContext, msgs: list[MessageIn]) -> list[str]:
    """The specifics the customer gave in ``msgs`` (order and flight numbers, devices, dates, amounts ...)."""
    out: list[str] = []
    for msg in msgs:
        for hit in sorted(hits(ctx, msg).get("specific"), key=lambda h: -len(h.text)):
            text = hit.text.strip()
            low = text.lower()
            if text and not any(low in o.lower() for o in out):  # "#123456" covers "123456"
                out.append(text)
    return out


def quoted(text: str) -> str:
    """Evidence that quotes words (message ids are given bare)."""
    return f'"{quote(text, 60)}"'


# --------------------------------------------------------------------------- what a customer turn says

SHORT_TURN_WORDS = 10  # a closing "thanks" or an "ok, DMing you now" is short
ACK_WORDS = 15


@dataclass(frozen=True)
class CustomerReading:
    """What one customer turn says, from its wording (the rules lexicon): the kinds of need it expresses and
    how it closes. Unhappy words win over praise and thanks ("thanks for nothing")."""

    question: list[str]  # asks something: a "?" or a question opener ("how do I ...")
    unhappy: list[str]  # unhappy, complaining or escalating words
    request: list[str]  # asks for something to be done ("please", "can you")
    confirms: bool  # confirms a fix, or closes with a short or final thanks
    praise: list[str]  # compliments and thanks for something done well
    ack: list[str]  # accepts a hand-off: "DMing you now" in its last sentence, or a short "sure" / "ok"
    words: int

    @property
    def needs(self) -> bool:
        """The customer asks, complains or requests something (a reply that only acknowledges is then no answer)."""
        return bool(self.question or self.unhappy or self.request)


def read_customer(ctx: RuleContext, msgs: list[MessageIn]) -> CustomerReading:
    """Read a customer turn (one or more consecutive messages) for ``unresolved_end.v2`` and friends."""
    found = [hits(ctx, m) for m in msgs]
    words = sum(f.words for f in found)
    unhappy = [
        h.text
        for f in found
        for c in ("unhappy", "escalation_manager", "escalation_churn", "escalation_legal")
        for h in f.get(c)
    ]
    question = [h.text for f in found for h in f.get("question_opener")]
    question += ["?" for f in found if "?" in f.text]
    request = [h.text for f in found for h in f.get("request_cue") if h.text.lower() in _REQUEST_WORDS]
    praise = [h.text for f in found for h in f.get("praise")]
    confirmation = any(f.get("confirmation") for f in found)
    thanks = [h for f in found for h in f.get("thanks_close")]
    last = found[-1] if found else None
    closing = _closing(last.text) if last is not None else ""
    final_thanks = last is not None and any(h.start >= len(last.text) - len(closing) for h in last.get("thanks_close"))
    closes_with_thanks = bool(thanks) and (words <= SHORT_TURN_WORDS or final_thanks) and not question
    ack: list[str] = []
    if last is not None:
        ack = [h.text for h in last.get("handoff_ack") if h.start >= len(last.text) - len(closing)]
    if words <= ACK_WORDS:
        ack += [h.text for f in found for h in f.get("short_ack")]
    confirms = not unhappy and (confirmation or closes_with_thanks)
    return CustomerReading(
        question=list(dict.fromkeys(question)),
        unhappy=list(dict.fromkeys(unhappy)),
        request=list(dict.fromkeys(request)),
        confirms=confirms,
        praise=[] if unhappy else list(dict.fromkeys(praise)),
        ack=[] if unhappy else list(dict.fromkeys(ack)),
        words=words,
    )


_REQUEST_WORDS = frozenset({"please", "pls", "plz", "can you", "could you", "would you", "will you", "kindly"})


def _closing(text: str, sentences: int = 2) -> str:
    """The last ``sentences`` sentences of ``text`` (where a closing thanks or "DMing you now" sits)."""
    end = len(text.rstrip(" .!?\n"))
    for _ in range(sentences):
        cut = max(text.rfind(c, 0, end) for c in ".!?\n")
        if cut < 0:
            return text
        end = len(text[:cut].rstrip(" .!?\n"))
    return text[end:]

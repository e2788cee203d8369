"""Plain data classes the demo content is written in: scenarios, agents, styles and phrase pools."""

from __future__ import annotations

from dataclasses import dataclass, field

# An opening is the customer's first message; it may carry the answer written for exactly it:
# (text, exemplary answer, okay answer).
Opening = str | tuple[str, str, str]

DEFAULT_CHANNELS: tuple[tuple[str, float], ...] = (
    ("email", 0.44),
    ("chat", 0.30),
    ("twitter", 0.17),
    ("web_form", 0.06),
    ("phone", 0.03),
)


@dataclass(frozen=True)
class Scenario:
    """One kind of support case with everything the people in it may say.

    Templates use ``{slot}`` fields filled per conversation (see ``generator.make_slots``).
    ``info_slot`` names the slot the agent needs (an opening that contains it already gives it).
    """

    key: str
    team: str
    topic: str
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    needs: str
    info_slot: str | None
    openings: tuple[Opening, ...]
    provide: tuple[str, ...]
    ask: tuple[str, ...]
    dm_ask: tuple[str, ...]
    solve_best: tuple[str, ...]
    solve_ok: tuple[str, ...]
    step: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    pushback: tuple[str, ...] = ()
    thanks: tuple[str, ...] = ()
    later: tuple[str, ...] = ()
    angry: tuple[str, ...] = ()
    sorry: tuple[str, ...] = ()
    blame: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    items: tuple[str, ...] = ("homeware",)
    bot_article: str | None = None
    bot_can_solve: bool = False
    problem: bool = True
    weight: float = 1.0
    channels: tuple[tuple[str, float], ...] = DEFAULT_CHANNELS
    spike: float = 1.0
    saga: float = 1.0
    language: str = "en"
    auto_reply: str | None = None


@dataclass(frozen=True)
class Style:
    """How one agent writes in one language."""

    greet: tuple[str, ...]
    greet_anon: tuple[str, ...]
    chat_hello: tuple[str, ...]
    closers: tuple[str, ...]
    chat_closers: tuple[str, ...]
    after_thanks: tuple[str, ...]
    signoff: str


@dataclass(frozen=True)
class Agent:
    """A support agent: team, how good they tend to be, and how they write."""

    id: str
    name: str
    initials: str
    team: str
    skill: tuple[float, float, float]
    poor_kinds: tuple[tuple[str, float], ...]
    styles: dict[str, Style] = field(default_factory=dict)
    channel_weight: tuple[tuple[str, float], ...] = ()
    lead: bool = False
    speed: float = 1.0
    coached_from_week: int | None = None
    skill_after: tuple[float, float, float] | None = None
    weight: float = 1.0

    @property
    def first(self) -> str:
        """The agent's first name."""
        return self.name.split()[0]

    def skill_in_week(self, week: int) -> tuple[float, float, float]:
        """(exemplary, okay, poor) weights; coached agents get better from a given week."""
        if self.coached_from_week is not None and self.skill_after and week >= self.coached_from_week:
            return self.skill_after
        return self.skill

    def weight_for(self, channel: str) -> float:
        """How often this agent picks up conversations on ``channel``."""
        return self.weight * dict(self.channel_weight).get(channel, 1.0)


@dataclass(frozen=True)
class Phrases:
    """Scenario-independent things people say, in one language."""

    lang: str
    templated_sorry: tuple[str, ...]
    delay_sorry: tuple[str, ...]
    delay_sorry_named: tuple[str, ...]
    poor_greetings: tuple[str, ...]
    poor_generic: tuple[str, ...]
    poor_social: tuple[str, ...]
    poor_ask_again: tuple[str, ...]
    poor_curt: tuple[str, ...]
    poor_blame: tuple[str, ...]
    poor_passed: tuple[str, ...]
    generic_dm_move: tuple[str, ...]
    generic_dm_ask: tuple[str, ...]
    holding: tuple[str, ...]
    acks: tuple[str, ...]
    acks_named: tuple[str, ...]
    chase: tuple[str, ...]
    restate: tuple[str, ...]
    repeat: tuple[str, ...]
    escalate: tuple[str, ...]
    escalation_refusal: tuple[str, ...]
    leave: tuple[str, ...]
    thanks: tuple[str, ...]
    grudging_thanks: tuple[str, ...]
    lead_thanks: tuple[str, ...]
    pushback: tuple[str, ...]
    lead_intro: tuple[str, ...]
    handover_notes: tuple[str, ...]
    generic_notes: tuple[str, ...]
    after_leave_notes: tuple[str, ...]
    bot_greet: tuple[str, ...]
    bot_handoff: tuple[str, ...]
    bot_article_intro: tuple[str, ...]
    bot_reject: tuple[str, ...]
    bot_accept: tuple[str, ...]
    bot_goodbye: tuple[str, ...]
    auto_replies: tuple[str, ...]
    auto_replies_busy: tuple[str, ...]
    chat_nudges: tuple[str, ...]
    chat_step_ack: tuple[str, ...]
    chat_hold: tuple[str, ...]
    phone_followup: tuple[str, ...]
    phone_notes: tuple[str, ...]
    phone_notes_poor: tuple[str, ...]
    voicemail: str
    out_of_office: tuple[str, ...]
    csat_good: tuple[str, ...]
    csat_mid: tuple[str, ...]
    csat_bad: tuple[str, ...]
    social_closers: tuple[str, ...]
    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    currency: str
    decimal: str
    refund_days: str
    plan_price: str
    quote_header: str
    mobile_footer: tuple[str, ...]
    form_labels: tuple[str, str, str]

"""The demo's support team: twelve agents in three teams, each with a writing style and a quality tendency."""

from __future__ import annotations

from qa_toolkit.demo.model import Agent, Style

BILLING = "Billing & Accounts"
ORDERS = "Orders & Delivery"
TECH = "Tech Support"
TEAMS = (BILLING, ORDERS, TECH)

# poor reply kinds: generic, templated, ask_again, blame, curt
_DEFAULT_POOR = (("generic", 0.4), ("templated", 0.4), ("ask_again", 0.2))

AGENTS: tuple[Agent, ...] = (
    # ------------------------------------------------------------------ Billing & Accounts
    Agent(
        id="ag-priya-nair",
        name="Priya Nair",
        initials="PN",
        team=BILLING,
        lead=True,
        skill=(0.72, 0.25, 0.03),
        poor_kinds=_DEFAULT_POOR,
        weight=0.8,
        styles={
            "en": Style(
                greet=("Hi {first},", "Hello {first},"),
                greet_anon=("Hello,",),
                chat_hello=("Hi {first}, Priya here from the billing team. Thanks for waiting!",),
                closers=(
                    "If anything else comes up, just reply to this e-mail and it comes straight back to me.",
                    "I hope that helps. Any questions at all, just reply here.",
                    "Thanks for your patience while I looked into this.",
                ),
                chat_closers=("Is there anything else I can help with today?", "Anything else I can do?"),
                after_thanks=(
                    "You're very welcome, {first}. Have a lovely rest of your week.",
                    "My pleasure! Take care, {first}.",
                ),
                signoff="Warm regards,\nPriya Nair\nTeam Lead, Billing & Accounts\nKestrel Customer Care",
            )
        },
    ),
    Agent(
        id="ag-tom-becker",
        name="Tom Becker",
        initials="TB",
        team=BILLING,
        skill=(0.3, 0.57, 0.13),
        poor_kinds=(("generic", 0.5), ("templated", 0.3), ("curt", 0.2)),
        speed=0.8,
        styles={
            "en": Style(
                greet=("Hi {first},",),
                greet_anon=("Hi,", "Hello,"),
                chat_hello=("Hi {first}, Tom here.", "Hi, Tom here. Let's sort this out."),
                closers=("Thanks,", "Cheers."),
                chat_closers=("Anything else?",),
                after_thanks=("No problem.", "You're welcome."),
                signoff="Tom\nBilling & Accounts, Kestrel",
            )
        },
    ),
    Agent(
        id="ag-gareth-lyle",
        name="Gareth Lyle",
        initials="GL",
        team=BILLING,
        skill=(0.08, 0.4, 0.52),
        skill_after=(0.25, 0.55, 0.2),
        coached_from_week=8,
        poor_kinds=(("templated", 0.4), ("ask_again", 0.35), ("generic", 0.25)),
        speed=1.6,
        styles={
            "en": Style(
                greet=("Dear {first},", "Dear {first},"),
                greet_anon=("Dear Customer,",),
                chat_hello=("Good afternoon. My name is Gareth.", "Hello, Gareth speaking."),
                closers=(
                    "We apologise for any inconvenience caused.",
                    "Should you have any further queries, please do not hesitate to contact us.",
                ),
                chat_closers=("Is there anything else I can assist you with today?",),
                after_thanks=("You are welcome.", "Thank you for contacting Kestrel."),
                signoff="Yours sincerely,\nGareth Lyle\nCustomer Care Advisor\nKestrel",
            )
        },
    ),
    Agent(
        id="ag-sanne-visser",
        name="Sanne Visser",
        initials="SV",
        team=BILLING,
        skill=(0.5, 0.42, 0.08),
        poor_kinds=_DEFAULT_POOR,
        weight=0.7,
        styles={
            "en": Style(
                greet=("Hi {first},", "Hello {first},"),
                greet_anon=("Hello,",),
                chat_hello=("Hi {first}! Sanne here, I'll help you with this.",),
                closers=("Have a good day!", "Let me know if there's anything else."),
                chat_closers=("Can I help with anything else?",),
                after_thanks=("Glad that's sorted, {first}!", "You're welcome!"),
                signoff="Best wishes,\nSanne\nBilling & Accounts, Kestrel",
            ),
            "nl": Style(
                greet=("Hoi {first},", "Hallo {first},"),
                greet_anon=("Hallo,",),
                chat_hello=("Hoi {first}! Je spreekt met Sanne.",),
                closers=("Fijne dag nog!", "Laat het gerust weten als er nog iets is."),
                chat_closers=("Kan ik je verder nog ergens mee helpen?",),
                after_thanks=("Graag gedaan, {first}!", "Fijn dat het opgelost is!"),
                signoff="Met vriendelijke groet,\nSanne Visser\nBilling & Accounts, Kestrel",
            ),
        },
    ),
    # ------------------------------------------------------------------ Orders & Delivery
    Agent(
        id="ag-marcus-okafor",
        name="Marcus Okafor",
        initials="MO",
        team=ORDERS,
        lead=True,
        skill=(0.7, 0.27, 0.03),
        poor_kinds=_DEFAULT_POOR,
        weight=1.1,
        styles={
            "en": Style(
                greet=("Hi {first},", "Hello {first},"),
                greet_anon=("Hello there,",),
                chat_hello=(
                    "Hi {first}, it's Marcus from the delivery team. Thanks for hanging on.",
                    "Hey {first}, Marcus here.",
                ),
                closers=(
                    "I'll keep an eye on this until it's with you.",
                    "If anything doesn't go to plan, reply here and I'll pick it up personally.",
                    "Have a great evening.",
                ),
                chat_closers=("Anything else I can help with while I've got you?",),
                after_thanks=("Great to hear, {first}! Enjoy it.", "Glad we got there. Take care!"),
                signoff="All the best,\nMarcus Okafor\nTeam Lead, Orders & Delivery\nKestrel Customer Care",
            )
        },
    ),
    Agent(
        id="ag-lena-fischer",
        name="Lena Fischer",
        initials="LF",
        team=ORDERS,
        skill=(0.42, 0.45, 0.13),
        poor_kinds=(("generic", 0.5), ("templated", 0.4), ("ask_again", 0.1)),
        styles={
            "en": Style(
                greet=("Hi {first}!", "Hi {first},"),
                greet_anon=("Hi there!",),
                chat_hello=("Hi {first}! Lena here 😊", "Hiya {first}, Lena here!"),
                closers=("Have a lovely day! 😊", "Fingers crossed it's all smooth from here!"),
                chat_closers=("Anything else I can do for you? 😊",),
                after_thanks=("Yay, so glad! 😊", "You're welcome, {first}! Have a good one."),
                signoff="Lena\nOrders & Delivery, Kestrel",
            )
        },
    ),
    Agent(
        id="ag-derek-shaw",
        name="Derek Shaw",
        initials="DS",
        team=ORDERS,
        skill=(0.08, 0.37, 0.55),
        poor_kinds=(("curt", 0.4), ("blame", 0.4), ("generic", 0.2)),
        channel_weight=(("chat", 0.6),),
        speed=1.4,
        weight=1.1,
        styles={
            "en": Style(
                greet=("Hi {first},",),
                greet_anon=("Hi,", ""),
                chat_hello=("Hi.", "Hello."),
                closers=("Regards.",),
                chat_closers=("Anything else?",),
                after_thanks=("OK.", "No problem."),
                signoff="D. Shaw\nOrders & Delivery",
            )
        },
    ),
    Agent(
        id="ag-joris-de-wit",
        name="Joris de Wit",
        initials="JW",
        team=ORDERS,
        skill=(0.3, 0.57, 0.13),
        poor_kinds=_DEFAULT_POOR,
        weight=0.7,
        styles={
            "en": Style(
                greet=("Hi {first},",),
                greet_anon=("Hello,",),
                chat_hello=("Hi {first}, this is Joris.",),
                closers=("Kind regards from the delivery team.", "Good luck with it!"),
                chat_closers=("Anything else I can check for you?",),
                after_thanks=("You're welcome!",),
                signoff="Joris de Wit\nOrders & Delivery, Kestrel",
            ),
            "nl": Style(
                greet=("Hoi {first},", "Beste {first},"),
                greet_anon=("Hallo,",),
                chat_hello=("Hoi {first}, je spreekt met Joris.",),
                closers=("Groeten van het bezorgteam!", "Succes ermee!"),
                chat_closers=("Kan ik nog iets voor je nakijken?",),
                after_thanks=("Graag gedaan!", "Mooi zo, fijne dag {first}!"),
                signoff="Groet,\nJoris de Wit\nOrders & Delivery, Kestrel",
            ),
        },
    ),
    Agent(
        id="ag-aisha-rahman",
        name="Aisha Rahman",
        initials="AR",
        team=ORDERS,
        skill=(0.48, 0.44, 0.08),
        poor_kinds=(("generic", 0.6), ("templated", 0.4)),
        channel_weight=(("twitter", 2.5), ("email", 0.6)),
        speed=0.7,
        styles={
            "en": Style(
                greet=("Hi {first},",),
                greet_anon=("Hi!",),
                chat_hello=("Hi {first}! Aisha here, let's get this sorted.",),
                closers=("Have a great day!", "Speak soon!"),
                chat_closers=("Anything else I can help with?",),
                after_thanks=("Amazing, glad to hear it {first}! 🙌", "Anytime! Have a good one."),
                signoff="Aisha\nOrders & Delivery, Kestrel",
            )
        },
    ),
    # ------------------------------------------------------------------ Tech Support
    Agent(
        id="ag-ruth-adeyemi",
        name="Ruth Adeyemi",
        initials="RA",
        team=TECH,
        lead=True,
        skill=(0.66, 0.3, 0.04),
        poor_kinds=_DEFAULT_POOR,
        weight=0.8,
        styles={
            "en": Style(
                greet=("Hi {first},", "Hello {first},"),
                greet_anon=("Hello,",),
                chat_hello=("Hi {first}, I'm Ruth from Tech Support. Let's get this working.",),
                closers=(
                    "If it misbehaves again, reply with what you see on screen and I'll take it from there.",
                    "If anything else comes up, just reply here and I'll pick it up.",
                ),
                chat_closers=("Is there anything else acting up?",),
                after_thanks=("Brilliant, glad it's working, {first}!", "Great news. Enjoy!"),
                signoff="Best,\nRuth Adeyemi\nTeam Lead, Tech Support\nKestrel Customer Care",
            )
        },
    ),
    Agent(
        id="ag-kenji-sato",
        name="Kenji Sato",
        initials="KS",
        team=TECH,
        skill=(0.46, 0.46, 0.08),
        poor_kinds=(("generic", 0.5), ("ask_again", 0.5)),
        styles={
            "en": Style(
                greet=("Hello {first},",),
                greet_anon=("Hello,",),
                chat_hello=("Hello {first}, Kenji from Tech Support.",),
                closers=("Let me know the result.", "Please reply if the issue persists."),
                chat_closers=("Anything else?",),
                after_thanks=("Good to hear.", "You're welcome."),
                signoff="Regards,\nKenji Sato\nTech Support, Kestrel",
            )
        },
    ),
    Agent(
        id="ag-ben-carter",
        name="Ben Carter",
        initials="BC",
        team=TECH,
        skill=(0.14, 0.46, 0.4),
        poor_kinds=(("generic", 0.5), ("ask_again", 0.3), ("templated", 0.2)),
        speed=1.3,
        styles={
            "en": Style(
                greet=("Hi {first},",),
                greet_anon=("Hi there,", "Hello,"),
                chat_hello=("Hi, Ben here.", "Hello, you're through to Ben."),
                closers=("Hope this helps!", "Thanks for contacting Kestrel Tech Support."),
                chat_closers=("Anything else today?",),
                after_thanks=("No worries!", "Glad I could help."),
                signoff="Thanks,\nBen\nKestrel Tech Support",
            )
        },
    ),
)

AGENT_BY_ID = {agent.id: agent for agent in AGENTS}
LEADS = {agent.team: agent for agent in AGENTS if agent.lead}
DUTCH_AGENTS = tuple(agent for agent in AGENTS if "nl" in agent.styles)

BOT_ID, BOT_NAME = "bot-kes", "Kes (virtual assistant)"
AUTO_ID, AUTO_NAME = "kestrel-care", "Kestrel Customer Care"
BRAND_HANDLE = "@KestrelHelp"

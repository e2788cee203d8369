"""Dutch phrase pools for the demo corpus (a handful of conversations are in Dutch)."""

from __future__ import annotations

from qa_toolkit.demo.model import Phrases

NL = Phrases(
    lang="nl",
    templated_sorry=(
        "Excuses voor het ongemak.",
        "Onze excuses voor het ongemak.",
        "Excuses voor de overlast.",
        "Het spijt ons dat te horen.",
        "Sorry voor het ongemak.",
    ),
    delay_sorry=(
        "Sorry voor het late antwoord.",
        "Excuses dat het zo lang heeft geduurd voordat je antwoord kreeg.",
    ),
    delay_sorry_named=(
        "Sorry voor het late antwoord. Het was erg druk, maar je had eerder iets van ons moeten horen.",
        "Bedankt voor je geduld, en sorry dat je zo lang hebt moeten wachten.",
    ),
    poor_greetings=("Geachte klant,", "Beste klant,", "Hallo,"),
    poor_generic=(
        "Bedankt voor je bericht. Kijk voor veelgestelde vragen op help.kestrel.example.",
        "Raadpleeg onze algemene voorwaarden, artikel 7.",
        "We hebben je verzoek genoteerd. Neem niet opnieuw contact op over hetzelfde onderwerp, dat vertraagt "
        "de afhandeling.",
        "Vul het contactformulier op onze website in.",
    ),
    poor_social=(
        "Stuur ons een DM.",
        "Stuur ons je gegevens via DM, dan kijken we ernaar.",
        "Neem contact op met de klantenservice via de website.",
    ),
    poor_ask_again=(
        "Kun je je {needs} doorgeven?",
        "Wij hebben je {needs} nodig om je verder te helpen.",
        "Graag je {needs}, anders kunnen we niets voor je doen.",
    ),
    poor_curt=(
        "Daar kunnen wij niets aan doen.",
        "Dat is niet ons probleem.",
        "Zie ons vorige bericht.",
    ),
    poor_blame=(
        "Je hebt onze procedure niet gevolgd.",
        "Dit staat duidelijk op onze website.",
    ),
    poor_passed=(
        "Je vraag is doorgestuurd naar de betreffende afdeling.",
        "We nemen het mee en komen erop terug.",
    ),
    generic_dm_move=("Stuur ons even een DM, dan kijken we met je mee.",),
    generic_dm_ask=(
        "Stuur ons je {needs} via DM, dan kijken we met je mee.",
        "Wil je je {needs} in een DM sturen? Dan zoeken we het uit.",
    ),
    holding=(
        "Ik heb het vanochtend opnieuw nagevraagd en wacht nog op antwoord. Ik laat het je weten zodra ik iets hoor.",
        "Er is nog geen nieuws, helaas. Ik heb het als urgent gemarkeerd.",
        "Ik heb je bericht toegevoegd aan de zaak ({ref}). Ik kom uiterlijk {nextday} bij je terug.",
        "Ik heb het nogmaals aangekaart bij mijn teamleider.",
        "Het team vraagt nog wat extra tijd. Ik snap dat dat niet is wat je wilt horen.",
        "Nog steeds geen update, maar ik ben je niet vergeten.",
        "Ik heb de afdeling vandaag opnieuw gemaild en om een antwoord voor het eind van de dag gevraagd.",
        "Ik heb een tweede verzoek met hogere prioriteit aangemaakt, referentie {ref}.",
        "Ze zijn nog bezig met een laatste controle voordat ze iets kunnen bevestigen.",
        "Helaas nog geen nieuws. Ik zet een herinnering om het morgenochtend meteen na te vragen.",
    ),
    acks=("Bedankt.", "Dank je, helder.", "Top, bedankt."),
    acks_named=("Dank je, {first}.", "Bedankt voor je bericht, {first}."),
    chase=(
        "Is hier al nieuws over?",
        "Ik wacht nog steeds op antwoord.",
        "Hallo? Ik hoor niets meer.",
        "Het duurt nu echt te lang. Wat is de stand van zaken?",
        "Jullie zouden gisteren contact opnemen. Dat is niet gebeurd.",
        "Nog steeds niets ontvangen.",
        "Kan iemand mij gewoon vertellen wat er aan de hand is?",
        "En? Al iets gehoord?",
        "Dit duurt echt veel te lang.",
    ),
    restate=(
        "Dat is geen antwoord op mijn vraag.",
        "Heeft u mijn bericht wel gelezen?",
        "En wat gaan jullie er nu aan doen?",
    ),
    repeat=(
        "Dat heb ik al gestuurd, het staat in mijn eerste bericht: {info}.",
        "{info}. Zoals ik al zei.",
        "Nogmaals: {info}.",
    ),
    escalate=(
        "Ik wil graag een leidinggevende spreken.",
        "Kan iemand anders hiernaar kijken? Ik kom zo niet verder.",
        "Ik wil een officiële klacht indienen.",
    ),
    escalation_refusal=(
        "Een leidinggevende kan je ook niet verder helpen.",
        "Alle klachten worden door dit team afgehandeld.",
    ),
    leave=(
        "Laat maar zitten.",
        "Ik ga een klacht indienen bij de Geschillencommissie.",
        "Nooit meer Kestrel.",
        "Bedankt voor niets.",
    ),
    thanks=(
        "Duidelijk, dank je!",
        "Top, bedankt!",
        "Super, dank je wel voor de hulp.",
        "Fijn, bedankt voor het snelle antwoord.",
        "Helemaal goed, dank je {agent}!",
    ),
    grudging_thanks=(
        "Eindelijk. Bedankt.",
        "Oké, dank je. Had wel sneller gekund.",
    ),
    lead_thanks=("Dank je {agent}, fijn dat je het hebt overgenomen.",),
    pushback=("Dat heeft niet geholpen.", "Nog steeds niet opgelost.", "Dat zei de vorige collega ook al."),
    lead_intro=(
        "Hoi {first}, ik ben {agent}, teamleider van {team}. Ik heb het hele gesprek teruggelezen en het "
        "spijt me dat het zo lang heeft geduurd.",
        "Hallo {first}, {agent} hier, ik leid het team. Ik heb je zaak overgenomen en ga het vandaag voor je regelen.",
    ),
    handover_notes=(
        "Klant vraagt naar een leidinggevende. {lead}, kun jij deze overnemen?",
        "Escalatie naar {lead}: klant ontevreden na meerdere antwoorden.",
    ),
    generic_notes=(
        "Klant heeft al meerdere keren contact gehad hierover. Graag voorrang.",
        "Bestelgeschiedenis gecheckt: geen eerdere klachten.",
        "Gebeld, geen gehoor. Voicemail ingesproken.",
    ),
    after_leave_notes=("Klant ontevreden vertrokken. Terugbellen?",),
    bot_greet=(
        "Hoi! Ik ben Kes, de digitale assistent van Kestrel. Waarmee kan ik je helpen?",
        "Hallo 👋 Ik ben Kes. Vertel me wat er aan de hand is, dan zoek ik de juiste collega.",
    ),
    bot_handoff=(
        "Bedankt! Ik verbind je door met een collega van {team}. De wachttijd is ongeveer {wait} minuten.",
        "Ik zet je door naar een medewerker. Je bent nummer {queue} in de wachtrij.",
    ),
    bot_article_intro=("Misschien helpt dit artikel: {article}. Is je vraag hiermee beantwoord?",),
    bot_reject=("Nee.", "Nee, ik wil een medewerker spreken.", "Dat helpt niet."),
    bot_accept=("Ja, dat was het, dank je!", "Ja, opgelost."),
    bot_goodbye=("Fijn dat ik je kon helpen! Nog een fijne dag.",),
    auto_replies=(
        "Bedankt voor je e-mail. Wij hebben je bericht ontvangen en reageren binnen 2 werkdagen.",
        "Dit is een automatisch antwoord. We hebben je e-mail ontvangen (referentie {ref}) en reageren "
        "binnen 2 werkdagen.",
    ),
    auto_replies_busy=(
        "Bedankt voor je e-mail. Door drukte reageren wij binnen 5 werkdagen. Excuses voor het wachten.",
    ),
    chat_nudges=("hallo?", "is daar iemand?"),
    chat_step_ack=("Oké, dan wacht ik op de mail.", "Prima, vergeet het niet alsjeblieft."),
    chat_hold=("Momentje, ik kijk even voor je.", "Ik zoek het even op."),
    phone_followup=("Bedankt voor het telefoongesprek van net. Zoals beloofd hier een samenvatting.",),
    phone_notes=("Klant teruggebeld ({minutes} min). Opgelost aan de telefoon, samenvatting gemaild.",),
    phone_notes_poor=("Teruggebeld, geen gehoor.",),
    voicemail="Voicemail-transcriptie ({seconds} sec):",
    out_of_office=("Ik ben afwezig tot en met {nextday} en lees mijn e-mail niet.",),
    csat_good=(
        "{agent} was super behulpzaam.",
        "Snel en vriendelijk geholpen.",
        "Duidelijk antwoord, top!",
    ),
    csat_mid=("Uiteindelijk opgelost.", "Prima, maar duurde lang."),
    csat_bad=(
        "Moest alles drie keer uitleggen.",
        "Standaardantwoorden, niemand leest je mail.",
        "Nog steeds niet opgelost.",
    ),
    social_closers=("Laat maar weten als er nog iets is!", "Succes ermee!"),
    weekdays=("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    months=(
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    currency="€ ",
    decimal=",",
    refund_days="3 tot 5 werkdagen",
    plan_price="€ 8,99",
    quote_header="Op {when} schreef Kestrel Klantenservice <klantenservice@kestrel.example>:",
    mobile_footer=("Verzonden vanaf mijn iPhone",),
    form_labels=("Onderwerp", "Bestelnummer", "Bericht"),
)

"""Dutch scenarios for the demo corpus: lost and damaged parcels, double payments, refunds, a locked account."""

from __future__ import annotations

from qa_toolkit.demo.agents import BILLING, ORDERS
from qa_toolkit.demo.model import Scenario

_NL_CHANNELS = (("email", 0.55), ("chat", 0.3), ("twitter", 0.15))

PAKKET_KWIJT = Scenario(
    key="pakket_kwijt",
    team=ORDERS,
    topic="Waar is mijn bestelling?",
    tags=("orders", "delivery", "lost-parcel"),
    subjects=("Pakket niet ontvangen", "Waar is mijn bestelling {order}?", "Bestelling kwijt"),
    needs="bestelnummer",
    info_slot="order",
    items=("homeware", "kitchen"),
    language="nl",
    channels=_NL_CHANNELS,
    openings=(
        "Waar blijft mijn bestelling? {order}. Track & trace staat al sinds {day} stil.",
        "Hallo, volgens {courier} is mijn pakket gisteren bezorgd, maar ik heb niets ontvangen. Ik was de "
        "hele dag thuis. Bestelnummer {order}. Kunt u dit uitzoeken?",
        "Beste klantenservice, ik heb op {ordered} een {item} besteld, maar nog steeds niets ontvangen. Ik "
        "weet het bestelnummer niet meer uit mijn hoofd. Wat moet ik doen?",
        "Dit is nu de tweede keer dat een pakket van jullie kwijt is. Bestelling {order}. Ik ben er klaar mee.",
        "Al een week wachten op mijn {item}. Track & trace zegt niks. @KestrelHelp",
    ),
    provide=("Het bestelnummer is {order}.", "{order}, besteld op {ordered}."),
    ask=(
        "Kun je me het bestelnummer sturen? Dan start ik meteen een onderzoek bij {courier}.",
        "Wil je het bestelnummer doorgeven? Dan kijk ik waar het pakket is gebleven.",
    ),
    dm_ask=("Stuur ons je bestelnummer via DM, dan zoeken we het vandaag nog uit.",),
    solve_best=(
        "Ik heb bestelling {order} bekeken: {courier} heeft je pakket op {day} voor het laatst gescand in "
        "het depot en daarna niet meer. Ik ga ervan uit dat het kwijt is en heb vandaag een nieuwe {item} "
        "verstuurd, met track & trace {tracking}. Komt het oude pakket alsnog, dan kun je het gewoon weigeren.",
        "De GPS van de bezorger laat zien dat het pakket twee straten verderop is afgeleverd. Ik heb {amount} "
        "vandaag teruggestort op je rekening; je ziet het binnen {refund_days}. Heb je liever een nieuwe "
        "{item}? Laat het weten, dan stuur ik die meteen.",
    ),
    solve_ok=(
        "Er is een nieuwe {item} naar je onderweg.",
        "Het pakket is als vermist gemeld. Er is een nieuwe zending onderweg.",
        "Het bedrag van {amount} is teruggestort.",
    ),
    step=(
        "Ik heb een onderzoek gestart bij {courier} (referentie {ref}). Dat duurt maximaal twee werkdagen; "
        "ik laat je weten wat eruit komt.",
    ),
    update=(
        "{courier} kon het pakket niet vinden. Er is vandaag een nieuwe {item} verstuurd, track & trace {tracking}.",
    ),
    pushback=("Het nieuwe pakket is ook nog niet binnen.", "Ik heb nog steeds geen geld terug."),
    thanks=("Top, bedankt voor het regelen.",),
    later=("Het is binnen, dank je wel!",),
    angry=("Laat maar. Ik bestel wel ergens anders.",),
    sorry=("Wat vervelend dat je pakket zoek is, {first}.", "Sorry dat je {item} nog steeds niet is aangekomen."),
    blame=("Volgens {courier} is het pakket bezorgd. Vraag het even na bij de buren.",),
    notes=("GPS-locatie bezorging twee straten verder. Claim bij {courier} ingediend.",),
    bot_article="help.kestrel.example/nl/waar-is-mijn-bestelling",
    weight=1.3,
)

BESCHADIGD = Scenario(
    key="beschadigd",
    team=ORDERS,
    topic="Beschadigd artikel",
    tags=("orders", "damaged"),
    subjects=("Beschadigd product ontvangen", "{item} kapot aangekomen"),
    needs="bestelnummer",
    info_slot="order",
    items=("fragile", "kitchen"),
    language="nl",
    channels=_NL_CHANNELS,
    openings=(
        "Mijn {item} is kapot aangekomen. Bestelling {order}. Foto's in de bijlage.",
        "Hoi, vandaag mijn {item} ontvangen, maar er zit een flinke barst in. De doos zag er van buiten prima "
        "uit. Kan ik een nieuwe krijgen?",
        "Ik heb {amount} betaald voor een {item} en hij is gewoon beschadigd. Echt teleurstellend.",
    ),
    provide=("Bestelling {order}, foto's zitten in de bijlage.", "Het is {order}."),
    ask=("Kun je een paar foto's van de schade sturen, plus het bestelnummer? Dan regel ik direct een nieuwe.",),
    dm_ask=("Stuur ons een foto en je bestelnummer via DM, dan regelen we een nieuwe.",),
    solve_best=(
        "Bedankt voor de foto's. Dit is duidelijk tijdens het transport gebeurd. Ik heb een nieuwe {item} "
        "voor je klaargezet; die wordt {nextday} bezorgd en de bezorger neemt de kapotte meteen mee. Je hoeft "
        "dus niets in te pakken.",
        "Ik heb het volledige bedrag van {amount} teruggestort en er gaat toch een nieuwe {item} naar je toe, "
        "zodat je niet op je geld hoeft te wachten. De bezorger haalt de beschadigde {nextday} op.",
    ),
    solve_ok=("Er wordt een vervangend product verstuurd. De bezorger neemt het beschadigde artikel mee.",),
    step=(
        "Ik heb je foto's doorgestuurd naar onze kwaliteitsafdeling. Zij laten binnen een werkdag weten of "
        "het een reparatie of een nieuw exemplaar wordt.",
    ),
    update=("De kwaliteitsafdeling heeft een nieuw exemplaar goedgekeurd. Je {item} wordt {nextday} bezorgd.",),
    pushback=("Er is niemand geweest om de kapotte op te halen.",),
    thanks=("Fijn, dank je!",),
    later=("De nieuwe is heel aangekomen. Dank je!",),
    angry=("Ik stuur alles terug.",),
    sorry=("Wat balen dat je {item} beschadigd is aangekomen, {first}.", "Sorry dat onze verpakking tekortschoot."),
    blame=("Schade moet je direct bij de bezorger melden.",),
    notes=("Foto's tonen ingedeukte hoek: transportschade. Claim ingediend.",),
    weight=0.8,
)

DUBBEL_BETAALD = Scenario(
    key="dubbel_betaald",
    team=BILLING,
    topic="Betaling",
    tags=("billing", "double-charge"),
    subjects=("Dubbel afgeschreven", "Twee keer betaald voor bestelling {order}"),
    needs="bestelnummer",
    info_slot="order",
    items=("homeware", "kitchen", "electronics"),
    language="nl",
    channels=_NL_CHANNELS,
    openings=(
        "Ik ben twee keer {amount} kwijt voor één bestelling ({order}). Graag één keer terugstorten.",
        "Goedemiddag, op mijn bankafschrift zie ik twee betalingen van {amount} aan Kestrel op {day}. Ik heb "
        "maar één keer besteld. Kunt u dit nakijken?",
        "Dubbel afgeschreven!! Nu sta ik rood. Dit moet vandaag opgelost worden.",
    ),
    provide=("Bestelnummer {order}, beide betalingen op {day}.", "Het is {order}."),
    ask=("Kun je me het bestelnummer sturen en de datum van beide afschrijvingen? Dan zoek ik het meteen uit.",),
    dm_ask=("Stuur ons je bestelnummer via DM, dan kijken we vandaag nog naar beide betalingen.",),
    solve_best=(
        "Je hebt gelijk: de betaling voor bestelling {order} is op {day} twee keer verwerkt, doordat de "
        "betaalpagina vastliep. Ik heb de tweede betaling van {amount} zojuist teruggestort; je ziet het binnen "
        "{refund_days} terug. Heb je daardoor kosten bij je bank gehad? Stuur me het afschrift, dan vergoeden "
        "we die ook.",
        "Ik heb beide betalingen naast bestelling {order} gelegd: de tweede {amount} is een reservering die je "
        "bank automatisch vrijgeeft, meestal binnen 5 dagen. Ik heb onze betaalprovider gevraagd hem ook vanaf "
        "onze kant vrij te geven, dus misschien verdwijnt hij eerder. Je betaalt maar één keer.",
    ),
    solve_ok=(
        "De dubbele betaling van {amount} is teruggestort.",
        "Een van de betalingen is een reservering en verdwijnt binnen 5 werkdagen.",
    ),
    step=("Ik heb het doorgezet naar onze betalingsafdeling. Zij bevestigen binnen een werkdag.",),
    update=("De betalingsafdeling heeft {amount} teruggestort.",),
    pushback=("Het staat er nog steeds dubbel op.", "Mijn bank ziet geen terugbetaling."),
    thanks=("Super, bedankt.",),
    later=("Het geld staat er weer op. Dank je!",),
    angry=("Ik laat mijn bank het terughalen.",),
    sorry=("Sorry dat we dubbel hebben afgeschreven; dat was onze fout.", "Vervelend dat je nu rood staat, {first}."),
    blame=("Je hebt waarschijnlijk twee keer op betalen gedrukt.",),
    notes=("Dubbele capture door time-out op de betaalpagina. Terugbetaald.",),
    weight=1.0,
)

TERUGBETALING = Scenario(
    key="terugbetaling",
    team=BILLING,
    topic="Retour en terugbetaling",
    tags=("billing", "refund"),
    subjects=("Terugbetaling retour", "Nog geen geld terug voor {order}"),
    needs="bestelnummer",
    info_slot="order",
    items=("homeware", "kitchen", "electronics"),
    language="nl",
    channels=_NL_CHANNELS,
    openings=(
        "Ik heb mijn {item} op {ordered} teruggestuurd en nog steeds geen geld terug. Bestelling {order}.",
        "Hallo, jullie mailden op {day} dat mijn retour binnen is, maar ik heb de {amount} nog niet terug. "
        "Hoe lang duurt dat normaal?",
        "Drie weken geleden retour gestuurd. Nog steeds niks. Wanneer krijg ik mijn geld?",
    ),
    provide=("Bestelling {order}, retour verstuurd op {ordered}.", "Het is {order}."),
    ask=("Kun je me het bestelnummer of de track & trace van je retour sturen? Dan kijk ik waar je geld blijft.",),
    dm_ask=("Stuur ons je bestelnummer via DM, dan zoek ik uit waar je terugbetaling blijft.",),
    solve_best=(
        "Je {item} is op {day} bij ons retourcentrum aangekomen, maar de terugbetaling bleef hangen omdat de "
        "retour zonder bestelnummer was gescand. Ik heb hem nu handmatig verwerkt: {amount} gaat terug naar je "
        "rekening en staat er binnen {refund_days} op.",
        "Je terugbetaling van {amount} voor de {item} is op {day} verstuurd naar de rekening waarmee je betaalde. "
        "Banken doen er {refund_days} over; staat het er {nextday} nog niet op, laat het me dan weten, dan zoek "
        "ik het uit met de transactiereferentie.",
    ),
    solve_ok=("Je terugbetaling van {amount} is verwerkt.", "De terugbetaling is op {day} verstuurd."),
    step=(
        "Ik heb het retourcentrum gevraagd je pakket met voorrang te verwerken. Ik laat je uiterlijk "
        "{nextday} iets weten.",
    ),
    update=("Het retourcentrum heeft je retour verwerkt; {amount} is onderweg naar je rekening.",),
    pushback=("Nog steeds niets op mijn rekening.",),
    thanks=("Oké, dank je.",),
    later=("Het geld is binnen, bedankt!",),
    angry=("Ik ga een klacht indienen.",),
    sorry=("Sorry dat je zo lang op je geld moet wachten, {first}.",),
    blame=("Terugbetalingen duren tot 30 dagen. Neem pas daarna contact op.",),
    notes=("Retour gescand zonder bestelnummer, handmatig terugbetaald.",),
    weight=0.9,
)

ACCOUNT_GEBLOKKEERD = Scenario(
    key="account_geblokkeerd",
    team=BILLING,
    topic="Inloggen",
    tags=("account", "locked"),
    subjects=("Account geblokkeerd", "Kan niet inloggen"),
    needs="e-mailadres",
    info_slot="email",
    language="nl",
    channels=(("email", 0.6), ("chat", 0.4)),
    openings=(
        "Mijn account is geblokkeerd na drie keer een verkeerd wachtwoord. Mijn e-mailadres is {email}.",
        "Ik kan niet meer inloggen, er staat 'account tijdelijk geblokkeerd'. Wat nu?",
    ),
    provide=("Het is {email}.",),
    ask=("Met welk e-mailadres log je in? Dan kijk ik waarom het account geblokkeerd is.",),
    dm_ask=("Stuur ons je e-mailadres via DM, dan deblokkeren we je account.",),
    solve_best=(
        "Ik heb het beveiligingslog voor {email} bekeken: het account is op {day} geblokkeerd na vijf "
        "verkeerde wachtwoorden. Ik heb het gedeblokkeerd en een link gestuurd om een nieuw wachtwoord in te "
        "stellen; die is een uur geldig.",
        "Je account is weer vrijgegeven. Ik heb ook een nieuwe link gestuurd naar {email}, want de oude links "
        "verlopen na een uur. Zie je hem niet binnen tien minuten? Kijk dan even in je spamfolder.",
    ),
    solve_ok=("Je account is gedeblokkeerd. Stel een nieuw wachtwoord in.", "Er is een nieuwe link verstuurd."),
    pushback=("De link is al verlopen.",),
    thanks=("Het werkt weer, dank je!",),
    angry=("Laat maar.",),
    sorry=("Vervelend dat je niet kon inloggen, {first}.",),
    blame=("Na vijf verkeerde pogingen wordt een account geblokkeerd. Gebruik het juiste wachtwoord.",),
    notes=("Blokkade door vijf mislukte pogingen vanaf eigen IP-adres.",),
    weight=0.6,
)

SCENARIOS = (PAKKET_KWIJT, BESCHADIGD, DUBBEL_BETAALD, TERUGBETALING, ACCOUNT_GEBLOKKEERD)

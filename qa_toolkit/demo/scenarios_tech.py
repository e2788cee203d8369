"""Tech Support scenarios for the demo corpus: logins, app crashes, smart-home setup, warranty, questions."""

from __future__ import annotations

from qa_toolkit.demo.agents import TECH
from qa_toolkit.demo.model import Scenario

PASSWORD_RESET = Scenario(
    key="password_reset",
    team=TECH,
    topic="Login problem",
    tags=("account", "password"),
    subjects=("Password reset not working", "Can't reset my password", "Reset link expired"),
    needs="e-mail address",
    info_slot="email",
    items=("homeware",),
    openings=(
        "Password reset e-mail never arrives. Checked spam.",
        (
            "Hi, I've tried to reset my password three times today, but the reset link says 'this link has "
            "expired' every time, even when I click it straight away. I'm using an {device}. Any ideas?",
            "Sorry, that sounds maddening. It's a known bug: on the {device}, the link opens inside your mail "
            "app's own browser, which our reset page doesn't recognise, so it claims the link has expired. "
            "If you long-press the link and choose 'Open in browser', it works. I've sent you a fresh link so "
            "you can try it straight away.",
            "Please try opening the link in a different browser.",
        ),
        (
            "How do I reset my password in the app?",
            "In the app, tap 'Log in', then 'Forgot password?' under the password box, and enter your e-mail "
            "address. We'll send you a link; open it on the same phone and the app will let you choose a new "
            "password. The whole thing takes about a minute.",
            "Tap 'Forgot password?' on the login screen.",
        ),
        (
            "The reset link takes me to a blank white page. Have tried Chrome and Safari.",
            "Thanks for trying two browsers, that helped. The blank page is a bug in our reset page from last "
            "night's update, and it affects every browser, so it's not you. Our developers are fixing it now. "
            "In the meantime, the reset works in the Kestrel app: tap 'Forgot password?' on the login screen "
            "and it takes you through the same steps.",
            "Please try resetting your password in the app instead.",
        ),
        (
            "This is ridiculous. I've been trying to log in for an hour. The reset e-mail goes to my old "
            "address, which I can't access any more. How am I supposed to get into my account??",
            "An hour of that would drive anyone up the wall, sorry. I've checked your account details against "
            "your last order and changed your login e-mail to {email}, then sent a reset link there. Once "
            "you've set a new password, you're back in, and everything from now on goes to the new address.",
            "I've updated your e-mail address. Please reset your password.",
        ),
        "Is the Kestrel password reset broken? Tried 4 times, no e-mail. @KestrelHelp",
        "Hello, I can't remember my password, and when I click 'Forgot password' it asks for my e-mail, which "
        "I enter ({email}), but nothing happens. Please help, I need to check an order.",
    ),
    provide=("It's {email}.", "{email}. I'm on an {device}.", "My login e-mail is {email}."),
    ask=(
        "Could you tell me the e-mail address you log in with? I'll check whether our reset e-mails are reaching it.",
        "Which e-mail address are you using? And are you trying this in the app or on the website?",
        "Please provide your e-mail address.",
    ),
    dm_ask=("DM us the e-mail you log in with and I'll check the reset e-mails on our side.",),
    solve_best=(
        "Our e-mail log shows the reset messages to {email} are being blocked by your provider's spam "
        "filter, so they never reach even your spam folder. I've sent you a one-time reset link by text to "
        "the mobile number on your account instead. It's valid for 30 minutes.",
        "I've checked our e-mail log: reset e-mails to {email} were delayed by up to an hour yesterday, so "
        "the links had expired by the time they arrived. That's fixed now. I've sent you a fresh link that "
        "stays valid for 24 hours, so there's no rush.",
    ),
    solve_ok=(
        "I've sent a new password reset link to {email}.",
        "Please try the reset from the website instead of the app.",
        "The reset link is valid for one hour. Please use it straight away.",
    ),
    step=(
        "I've asked our engineers to check the reset e-mails for {email}, because our logs say they were "
        "sent. I'll come back to you today.",
    ),
    update=(
        "Our engineers found a delivery problem with one e-mail provider and fixed it. A new reset link is on "
        "its way to {email}.",
    ),
    pushback=("Still nothing in my inbox or spam.", "Tried again, still can't get in."),
    thanks=("That's done it, I'm in. Thank you!", "That worked, thanks!"),
    angry=("I'll just make a new account. Ridiculous.",),
    sorry=(
        "Sorry the password reset is giving you so much trouble.",
        "Sorry you're stuck outside your account, {first}.",
    ),
    blame=(
        "Please make sure you are entering the correct e-mail address.",
        "Reset links expire after one hour. You need to use them in time.",
    ),
    notes=(
        "Reset mails rejected by the recipient's server. Sent SMS reset instead.",
        "Expired-link bug in in-app browsers, ticket APP-2198.",
    ),
    bot_article="help.kestrel.example/reset-password",
    bot_can_solve=True,
    weight=1.0,
)

APP_CRASH = Scenario(
    key="app_crash",
    team=TECH,
    topic="App problem",
    tags=("app", "bug"),
    subjects=("App crashing", "Kestrel app keeps closing", "Bug report: app crash", "App won't open"),
    needs="phone model and app version",
    info_slot="device",
    items=("homeware", "kitchen", "electronics"),
    channels=(("email", 0.3), ("chat", 0.3), ("twitter", 0.3), ("web_form", 0.1)),
    openings=(
        (
            "App keeps crashing when I open the basket. {device}, latest version.",
            "Thanks for the detail, it pinned it down straight away. Version {version} has a bug on the "
            "{device} that crashes the basket when it contains a sale item. The fix is in version 4.13.0, "
            "which went live in the app store this morning, so if you update now it should be fine. If you "
            "need to order before then, the website works normally.",
            "This is a known issue and will be fixed in the next update.",
        ),
        "Since the last update the Kestrel app crashes every time I open it. I've deleted and reinstalled it "
        "twice. {device}, {os}.",
        "your app is broken",
        (
            "Hi, just to let you know, the app closes itself when I try to scan a barcode in a store. Happens "
            "every time. Not urgent, but thought you should know!",
            "Thanks for taking the time to tell us! It's a known bug: the scanner crashes when the app's "
            "camera permission is set to 'Ask every time'. If you change it to 'While using the app' in your "
            "phone's settings under Kestrel > Camera, the scanner works. The proper fix is in the next update.",
            "Thanks for letting us know. This will be fixed in the next update.",
        ),
        "I've been trying to order a {item} for 40 minutes and the app crashes at payment every single time. "
        "Absolutely fed up.",
        "Kestrel app crashing on launch since the update. {device}. Anyone else? @KestrelHelp",
        (
            "The app freezes on the 'My orders' screen on my {device}. I can still use the website, but it's annoying.",
            "It is annoying, sorry. The freeze happens on accounts with a long order history, because the app "
            "tries to load every order at once. Our developers have a fix in next week's update. Until then, "
            "the website shows the same list, as you've found, and the app is fine everywhere else.",
            "This is a known issue and will be fixed in the next update.",
        ),
        (
            "Bug report: tapping 'Track parcel' on an order from before {month} crashes the app instantly. "
            "{device}, app version {version}. Reproducible every time.",
            "Thanks for such a precise report. I've reproduced it on a test {device}: the crash happens when "
            "the app loads tracking for orders whose courier record has been archived. Our developers have a "
            "fix ready for next week. I've added your report to the bug (APP-2251), so you'll get a message "
            "when it's out.",
            "Thanks, this has been passed to our developers.",
        ),
    ),
    provide=(
        "{device}, {os}, app version {version}.",
        "It's a {device}. Version {version}, I think.",
        "{device} on {os}.",
    ),
    ask=(
        "Which phone are you using, and which app version? You'll find the version under Account > About. "
        "That'll help me match it to what our developers are seeing.",
        "Could you tell me your phone model and the app version? And does it happen on one particular screen?",
        "Please provide your device model and app version.",
    ),
    dm_ask=("Could you DM us your phone model and app version? We'll check it against the known issues.",),
    solve_best=(
        "The crash affects the {device} since the update to {version}. Our developers released a fix an hour "
        "ago in 4.13.1; if your app store doesn't show it yet, pull down on the Updates page to refresh. "
        "Reinstalling won't help until then, so there's no need to lose your saved basket over it.",
        "Clearing the app's cache (Settings > Apps > Kestrel > Storage > Clear cache) stops this crash on "
        "the {device} until the update is out next week. If you were in the middle of an order, tell me "
        "what was in your basket and I can place it for you at today's price and send you a payment link.",
    ),
    solve_ok=(
        "Please update the app to the latest version.",
        "Please uninstall and reinstall the app.",
        "This is a known issue and will be fixed in the next update.",
    ),
    step=(
        "I've passed your details to our app developers with a priority flag. I'll update you when they've "
        "looked at it.",
        "Could you try clearing the app's cache and let me know if it still crashes? That tells us whether "
        "it's the stored data or the app itself.",
    ),
    update=("Our developers released the fix in version 4.13.1. Please update and let me know if it still happens.",),
    pushback=("Still crashing, I'm afraid.", "Did that, same thing."),
    thanks=("Thanks, that's helpful.", "Good to know, thanks for explaining."),
    later=("Updated today and it's working now, thanks.",),
    angry=("Deleted the app. Not worth it.",),
    sorry=("Sorry the app is misbehaving on your {device}.", "Sorry about the crashes, {first}."),
    blame=(
        "Please make sure your phone's software is up to date. We do not support older devices.",
        "The app works fine on our devices.",
    ),
    notes=(
        "Crash matches APP-2240 (basket with sale item, v{version}).",
        "Reproduced on a test {device}. Logs attached to APP-2251.",
    ),
    bot_article="help.kestrel.example/app-troubleshooting",
    bot_can_solve=True,
    weight=1.0,
)

FEATURE_QUESTION = Scenario(
    key="feature_question",
    team=TECH,
    topic="Product question",
    tags=("question", "product"),
    subjects=("Question about the app", "Product question", "Compatibility question"),
    needs="question",
    info_slot=None,
    items=("smart",),
    problem=False,
    saga=0.0,
    openings=(
        (
            "Does the {item} work with Google Home?",
            "It does: the {item} works with Google Home. In the Google Home app, tap + > Set up device > "
            "Works with Google, search for Kestrel and sign in with your Kestrel account. Your {item} will "
            "then show up as a device you can control by voice.",
            "Yes, it works with Google Home.",
        ),
        (
            "Hi! Can I set up two homes in the Kestrel app? I've got a flat and a caravan and both have Kestrel plugs.",
            "You can! In the app go to Account > Homes > Add home, call it something like 'Caravan', and then "
            "move the plugs across under each device's settings. Each home gets its own schedules, so the "
            "caravan plugs won't follow your flat's routines.",
            "Yes, you can add more than one home under Account > Homes.",
        ),
        (
            "Is there a way to export my order history to a spreadsheet?",
            "There's no spreadsheet button in the app yet, but on the website you can go to Account > Privacy "
            "> Download my data, and you'll get a CSV of all your orders with dates and prices. I've also "
            "added your vote to the feature request for a proper export button.",
            "You can download your data under Account > Privacy.",
        ),
        (
            "Quick question: does the app have a dark mode? My eyes at night 😅",
            "It does 🌙 Go to Account > Settings > Appearance and pick Dark, or 'Match system' if you want it "
            "to follow your phone's setting at night.",
            "Yes, under Settings > Appearance.",
        ),
        (
            "Can I share my Kestrel account with my partner so we both see deliveries?",
            "Not as one shared login, but you can invite your partner as a household member: Account > "
            "Household > Invite. They'll get their own login and will see deliveries and tracking for all "
            "orders, but not your payment details.",
            "You can invite household members under Account > Household.",
        ),
        (
            "Is the {item} compatible with 5GHz wifi? The box doesn't say.",
            "The {item} connects on 2.4GHz only, which is common for smart-home devices because it reaches "
            "further through walls. Most routers broadcast both, so it will usually just work. If yours "
            "combines them under one name and setup fails, switch off 5GHz in the router settings just for "
            "the setup.",
            "It only supports 2.4GHz wifi.",
        ),
        (
            "Does the Kestrel Hub 2 support Matter? Thinking of buying one. @KestrelHelp",
            "It does: the Hub 2 got Matter support in the September firmware update, so it works with Apple "
            "Home, Google Home and Alexa. The original Hub doesn't support Matter, so make sure you pick the "
            "Hub 2.",
            "Yes, the Hub 2 supports Matter.",
        ),
        (
            "Before I buy: can the {item} run on a schedule when I'm away, or only when my phone is on the same wifi?",
            "Schedules are stored on the {item} itself, so they run even if your phone is off or miles away. "
            "You can also change them from anywhere, as long as the {item} is online on your home wifi.",
            "Yes, schedules work when you're away.",
        ),
        (
            "Will the Pulse robot vacuum cope with a thick rug? Ours is about 3cm deep.",
            "Mostly, yes: the Pulse climbs rugs up to 2cm easily and handles thicker ones on 'Max' power, but "
            "a deep 3cm rug can be hit and miss. If it gets stuck, draw a no-go zone around the rug in the "
            "app and it'll skip it.",
            "It can climb rugs up to 2cm.",
        ),
    ),
    provide=(),
    ask=(),
    dm_ask=(),
    solve_best=(
        "That menu moved in the latest version of the app. Make sure you're on 4.13 (App Store or Google "
        "Play > Kestrel > Update); after that it's behind the cog icon at the top right of the Account tab, "
        "and everything I mentioned is in there.",
    ),
    solve_ok=("Please update the app to the latest version; the option is in the Account tab.",),
    pushback=("I can't find that menu.", "That option isn't there on my version."),
    thanks=("Perfect, thanks!", "Great, that's what I hoped. Ordering one now.", "Ah, found it. Thanks!"),
    angry=("Never mind, I'll look it up myself.",),
    blame=("This information is available on our website.",),
    notes=("Added +1 to feature request FR-118.",),
    bot_article="help.kestrel.example/app-features",
    bot_can_solve=True,
    weight=0.9,
)

HUB_SETUP = Scenario(
    key="hub_setup",
    team=TECH,
    topic="Smart home setup",
    tags=("smart-home", "setup"),
    subjects=("{item} won't connect", "Setup problem", "Device offline"),
    needs="router model",
    info_slot="router",
    items=("smart",),
    openings=(
        "My {item} won't connect to the wifi. Setup fails at step 3 every time.",
        "Hi, I've just bought a {item} and I can't get it to pair with the app. The light flashes blue and "
        "then goes red. I've tried resetting it. Router is a {router}, if that matters.",
        "Spent my whole Sunday trying to set up the {item}. It does NOT work. I want a refund.",
        (
            "The {item} keeps going offline every evening around 7pm and comes back in the morning. Weird? "
            "Router is a {router}.",
            "The evening drop-outs line up with your router's automatic channel change at 7pm, which the "
            "{item} doesn't always follow. Fixing the wifi channel to 1, 6 or 11 in the {router} settings "
            "stops it. I've also pushed a firmware update to your {item} that reconnects faster if it does "
            "happen again.",
            "Please set a fixed wifi channel in your router settings.",
        ),
        "I'm not very technical. The app says 'device not found'. What does that mean?",
        "Third attempt at setting up my {item}. Red light of doom again. @KestrelHelp",
        (
            "Hello, since your firmware update yesterday my {item} ignores its schedules. It still works "
            "when I press the button in the app.",
            "Yesterday's firmware update reset the time zone on some devices, which is why the schedules "
            "stopped. I've fixed it from our side for your {item}; please open the app once so it syncs, and "
            "your schedules will run from tonight.",
            "Please restart the device; the schedules should work again after that.",
        ),
    ),
    provide=(
        "It's a {router}. The light goes red after about a minute.",
        "{router}. Red light, it stops at 'connecting to network'. Phone is on the same wifi.",
        "{router}, app version {version}.",
    ),
    ask=(
        "Which router do you have, and is your phone on the same wifi as the {item} during setup? That's the "
        "most common reason for a red light at this step.",
        "Could you tell me your router model, what colour the light on the {item} is now, and at which step "
        "the app stops?",
        "Please send your router model and app version.",
    ),
    dm_ask=("DM us your router model and what the light is doing, and we'll get it connected.",),
    solve_best=(
        "The red light at that step means the {item} can't see a 2.4GHz network. Your {router} combines 2.4 "
        "and 5GHz under one name, and the {item} sometimes tries the wrong one. In the router settings, turn "
        "on 'Separate bands', connect your phone to the 2.4GHz network and run setup again. It should go "
        "green within a minute.",
        "I've looked at the connection log for your {item}: it reached our servers but timed out during "
        "registration, because of a fault on our side during last night's maintenance. That's fixed now. "
        "Hold the button for 10 seconds until the light flashes blue and run setup once more; it'll go "
        "through this time.",
    ),
    solve_ok=(
        "Please reset the device and try again.",
        "Make sure your phone is connected to a 2.4GHz network during setup.",
        "Please move the device closer to the router and try again.",
    ),
    step=(
        "Could you try a factory reset? Hold the button for 10 seconds until it flashes blue, start setup "
        "again, and let me know what the light does.",
        "I've asked our engineers to check the connection log for your {item}. They'll look at it today.",
    ),
    update=(
        "Our engineers found your {item} was stuck on an old firmware version. They've pushed the update; "
        "please restart it and it'll connect.",
    ),
    pushback=(
        "Did that, still red.",
        "It connected for an hour and then went offline again.",
        "My router doesn't have a 'separate bands' setting.",
    ),
    thanks=("Green light! Finally. Thank you!", "That worked, thanks!"),
    angry=("Boxing it up and sending it back.",),
    sorry=("Sorry the {item} is being so stubborn.", "Sorry the setup is giving you trouble, {first}."),
    blame=("The problem is your router, not our device.", "Please follow the setup guide exactly."),
    notes=(
        "Connection log shows timeouts at registration, same as last night's outage.",
        "Customer's router combines bands; known issue with this model.",
    ),
    bot_article="help.kestrel.example/setup-troubleshooting",
    bot_can_solve=True,
    weight=0.9,
)

WARRANTY_CLAIM = Scenario(
    key="warranty_claim",
    team=TECH,
    topic="Warranty and repairs",
    tags=("warranty", "repair"),
    subjects=("Warranty claim", "{item} stopped working", "Faulty {item} - warranty"),
    needs="order number",
    info_slot="order",
    items=("appliances",),
    saga=1.4,
    openings=(
        "My {item} stopped working after 8 months. It's under warranty, right? Order {order}.",
        "Hi, the {item} I bought last year has developed a fault: it turns itself off after a few minutes. I "
        "think it's still within the two-year warranty. What do I need to do to claim?",
        "Your {item} died after 14 months. Not impressed for {amount}. What are you going to do about it?",
        "Hello, I have a {item} that was a gift, so I don't have the receipt. It has stopped working. Can I "
        "still use the warranty?",
        "Warranty claim: {item}, bought in {month} last year, order {order}. Fault: won't power on. Already "
        "tried a different plug and cable.",
        "2 years warranty, they said. {item} broke at 13 months and now I'm being bounced between "
        "departments. @KestrelHelp",
        "My {item} makes a horrible rattling noise now. Is that covered, or is it wear and tear?",
    ),
    provide=(
        "Order {order}, bought in {month} last year.",
        "It's {order}. The fault started on {day}.",
        "{order}. It was {amount}.",
    ),
    ask=(
        "Could you send me the order number, or the e-mail address it was ordered with if it was a gift? "
        "I'll check the purchase date and get the claim going.",
        "Can you send the order number and a short video of the fault? Then I can approve the claim quickly.",
        "Please provide proof of purchase.",
    ),
    dm_ask=("DM us the order number and a short description of the fault and we'll start a warranty claim.",),
    solve_best=(
        "I've checked order {order}: your {item} is well within the two-year warranty, and what you describe "
        "is a known fault on that batch, so there's no need for more troubleshooting. I've approved a "
        "replacement. {courier} will deliver the new one on {nextday} and take the faulty one away at the "
        "same time; no box needed.",
        "The {item} is within warranty, so I've booked a free repair collection for {nextday}. Repairs take "
        "about 7 working days, and if it can't be repaired you'll get a brand-new {item} instead. You'll get "
        "an e-mail with the collection window the evening before.",
        "That isn't normal wear for a {item} of that age, so it's covered. I've started warranty claim {ref} "
        "and e-mailed you a prepaid label. Once it reaches our repair centre, you'll get a repaired or new "
        "unit back within 10 working days.",
    ),
    solve_ok=(
        "Your warranty claim has been approved. A returns label has been sent to your e-mail.",
        "Please return the item using the label provided and we will repair or replace it.",
        "The item is covered under warranty. A replacement will be sent.",
    ),
    step=(
        "I've sent your claim to our repair partner to confirm it's covered. They reply within 2 working days.",
        "Could you try a factory reset (hold the power button for 15 seconds) and let me know if the fault is "
        "still there? If it is, I'll approve the claim straight away.",
    ),
    update=("The repair partner approved your claim, and a new {item} is on its way. Tracking {tracking}.",),
    pushback=("I haven't heard anything since.", "Nobody has been in touch about a collection."),
    thanks=("Great, thank you. I'll have it ready.", "Thanks, that's a relief."),
    angry=("Won't be buying anything from Kestrel again.",),
    sorry=(
        "Sorry your {item} has given up on you.",
        "Sorry to hear the {item} has developed a fault.",
    ),
    blame=("The warranty does not cover misuse.", "You need to contact the manufacturer for warranty claims."),
    notes=(
        "Within warranty; approved replacement without repair (repeat fault on this batch).",
        "Repair partner ticket {ref}.",
    ),
    bot_article="help.kestrel.example/warranty",
    weight=0.9,
)

SECURITY_REPORT = Scenario(
    key="security_report",
    team=TECH,
    topic="Website problem",
    tags=("security", "bug-report"),
    subjects=("Possible security problem on your website",),
    needs="page address",
    info_slot=None,
    problem=False,
    saga=0.0,
    weight=0.0,
    openings=(
        (
            "Hi, I think your delivery notes box has a bug. I typed <script>alert(1)</script> into the "
            "delivery instructions as a joke and the order confirmation page showed a pop-up. Is that a "
            "security problem?",
            "Thank you for reporting this so carefully. I've passed it straight to our security team "
            "(reference {ref}) with your exact steps. They've confirmed it and are fixing the delivery notes "
            "box today so it treats what you type as plain text. If you spot anything like this again, "
            "security@kestrel.example is the quickest route.",
            "Thanks, I've passed this on to our security team.",
        ),
        (
            "Your review form accepts anything. I left a review with <img src=x onerror=alert(1)> in it and "
            "the product page now shows a broken image. You might want to look at that before someone less "
            "friendly does.",
            "Thank you for flagging this responsibly. Our security team (reference {ref}) have removed the "
            "review and are fixing the form so it no longer runs anything typed into it. We don't need "
            "anything else from you, but if you notice something similar, security@kestrel.example is the "
            "quickest route.",
            "Thanks, the review has been removed.",
        ),
    ),
    provide=(),
    ask=(),
    dm_ask=(),
    solve_best=(),
    solve_ok=(),
    thanks=("Good to hear, thanks for taking it seriously.",),
    notes=("Security report forwarded to the security team, {ref}. Do not discuss details on public channels.",),
)

SCENARIOS = (PASSWORD_RESET, APP_CRASH, FEATURE_QUESTION, HUB_SETUP, WARRANTY_CLAIM)

"""Orders & Delivery scenarios for the demo corpus: wrong, lost, damaged and misdelivered parcels."""

from __future__ import annotations

from qa_toolkit.demo.agents import ORDERS
from qa_toolkit.demo.model import Scenario

_ORDER_ASK_PROVIDE = (
    "It's {order}.",
    "Order number is {order}, placed on {ordered}.",
    "Sure: {order}.",
    "Found the e-mail: {order}.",
)

WRONG_ITEM = Scenario(
    key="wrong_item",
    team=ORDERS,
    topic="Wrong item received",
    tags=("orders", "wrong-item"),
    subjects=("Wrong item received", "Order {order} - wrong product", "Incorrect item in my delivery"),
    needs="order number",
    info_slot="order",
    items=("homeware", "kitchen"),
    openings=(
        "Order {order} arrived today but it's not what I ordered. I ordered the {item} and got a {item2}.",
        "Wrong item delivered. I ordered a {item}, not a {item2}.",
        "Hi there, I hope you can help. My parcel came this morning and when I opened it there was a {item2} "
        "inside instead of the {item} I ordered on {ordered}. The packing slip says {item}, so I think it's "
        "just been picked wrong. What do I need to do? Thanks so much.",
        "Are you actually kidding me? I paid {amount} for a {item} and you've sent me a {item2}. I needed it "
        "for this weekend. Order {order}. Sort it out.",
        "So I ordered a {item} as a birthday present for my sister (her birthday is on Saturday, which is why "
        "I paid for next-day delivery) and the box turned up today, which was great, but when I opened it "
        "up it was a {item2}. Which is nice, I suppose, but not what I ordered and not what she wants! I "
        "still have all the packaging. Should I send it back first, or can you send the right one out "
        "now? The order is {order}.",
        "Hello, I've received a {item2} instead of my {item}. Could you let me know how to swap it? Many thanks.",
        "Got the wrong thing in order {order}. Label on the box says {item}, inside is a {item2}. Do I need "
        "to return it?",
        "Ordered a {item}, received a {item2} 🙃 who's picking these orders? @KestrelHelp",
    ),
    provide=(
        *_ORDER_ASK_PROVIDE,
        "{order}. The slip inside the box says {item}, but it's definitely a {item2}.",
    ),
    ask=(
        "Could you send me your order number? Then I can check what was picked and get the right {item} on its way.",
        "Could you send me the order number and, if it's easy, a quick photo of the label on the box? That "
        "helps our warehouse work out where the mix-up happened.",
        "Can you tell me the order number please? Then I'll arrange the swap.",
    ),
    dm_ask=(
        "DM us your order number and I'll get the right one sent out today.",
        "Pop your order number in a DM and we'll swap it for the {item} you ordered.",
    ),
    solve_best=(
        "I've checked order {order} and you're right: the {item} was picked from the wrong shelf. I've sent "
        "a replacement {item} by next-day delivery, so it should be with you tomorrow, and I've e-mailed you "
        "a free returns label for the {item2}. There's no rush to send it back; any time in the next 30 "
        "days is fine.",
        "I can see the mix-up on our side: the {item2} sits right next to the {item} in the warehouse. A "
        "replacement {item} is booked for delivery on {nextday} with {courier}, and the driver will collect "
        "the {item2} at the same time, so you don't need to print or pack anything. Just pop it back in its "
        "box.",
        "I've looked at {order} and arranged a replacement {item} with priority dispatch today. I've also "
        "upgraded the delivery to next day at no cost, so it arrives on {nextday}. Keep the {item2} in its "
        "box and hand it to the driver when they come.",
    ),
    solve_ok=(
        "A replacement {item} has been sent out. Please return the {item2} using the label in the box.",
        "We've arranged a replacement for order {order}. It will arrive in 3-5 working days. Please return "
        "the incorrect item within 30 days.",
        "I've sent the correct item. The returns label for the wrong one is in your account under Orders > Returns.",
    ),
    step=(
        "I've asked the warehouse to check stock of the {item} before I send a replacement. I'll update you "
        "by {nextday}.",
        "I've raised a swap request ({ref}). The warehouse team will confirm the dispatch date, normally "
        "within 24 hours.",
    ),
    update=(
        "Good news: the warehouse found the {item} and it's going out today with {courier}. Tracking number "
        "{tracking}. The returns label for the {item2} is attached.",
        "The replacement {item} for order {order} has been dispatched and should arrive on {nextday}.",
    ),
    pushback=(
        "The replacement arrived and it's ANOTHER {item2}. You're joking.",
        "I still haven't had a dispatch e-mail for the replacement.",
    ),
    thanks=("Brilliant, she'll never know. Thanks!", "Great, thanks for sorting it so fast."),
    later=("The right one turned up this morning, thank you!",),
    angry=("I'll just return the lot and get a refund. Not worth the hassle.",),
    sorry=(
        "Sorry you received the wrong item, {first}.",
        "I'm sorry we sent you a {item2} instead of the {item}.",
        "Sorry about the mix-up with your order; that one's on us.",
    ),
    blame=(
        "You should have checked the item with the driver before accepting the parcel.",
        "Wrong items must be reported within 48 hours of delivery. You are outside that window.",
    ),
    notes=(
        "Warehouse bins for {item} and {item2} are next to each other again. Reported to ops.",
        "Sent the replacement without waiting for the return; customer has a deadline.",
    ),
    bot_article="help.kestrel.example/wrong-item",
    weight=1.0,
)

PARCEL_LOST = Scenario(
    key="parcel_lost",
    team=ORDERS,
    topic="Where is my order?",
    tags=("orders", "delivery", "lost-parcel"),
    subjects=("Where is my order?", "Parcel not received - {order}", "Missing delivery", "Order {order}"),
    needs="order number",
    info_slot="order",
    items=("homeware", "kitchen", "electronics", "furniture"),
    openings=(
        "Where is my order?? {order}. Tracking hasn't moved since {day}.",
        "Hi, my order {order} was supposed to arrive on {day}, but the {courier} tracking has said 'in "
        "transit' for five days now. Is it lost? Thanks",
        (
            "Tracking says my parcel was delivered at 14:02 today. It wasn't. I was home all day. Nobody "
            "knocked. Nothing in the porch, nothing with the neighbours. {order}.",
            "Thanks for checking the porch and the neighbours already; that saves us a step. The driver's GPS "
            "for order {order} shows the parcel was left about 400 metres from your address, so it went to "
            "the wrong house. I've refunded {amount} to your card ending {last4} today, and you'll see it "
            "within {refund_days}. If you'd rather have a replacement than the refund, reply here and I'll "
            "send one out the same day.",
            "The driver's GPS shows a different location. I have refunded {amount} for order {order}.",
        ),
        "Hello, I'm writing about my {item} order. I'm not sure if it is lost. The website said delivery by "
        "{day} but I haven't received anything and I don't know who to ask about it. I don't have the "
        "order number in front of me, sorry.",
        (
            "OK, so this is getting silly. I ordered a {item} on {ordered}, got the 'out for delivery' e-mail "
            "on {day}, then an e-mail saying 'we missed you', then nothing. The {courier} site says "
            "'exception, contact sender'. Well, I'm the sender's customer, so I'm contacting you! Do I need "
            "to rebook something? Is it coming? I work from home most days, so I'm baffled how they missed me.",
            "Sorry for the runaround. The 'exception' on the tracking means the driver marked your address "
            "as 'no access', which can't be right if you were at home. You don't need to rebook anything: "
            "I've asked {courier} to deliver your {item} on {nextday} and added your phone number to the "
            "parcel, so the driver will call you if they can't find the door.",
            "The courier could not deliver the parcel. It has been rebooked for {nextday}.",
        ),
        "My parcel has gone missing. Order {order}, {courier} tracking {tracking}. Can you please investigate?",
        "Day 6 of waiting for my {item} from @KestrelHelp. Tracking frozen. Anyone home?",
        "Second time this month a parcel from you has vanished. Order {order}. What is going on with {courier}?",
    ),
    provide=(
        "The order number is {order}.",
        "{order}, tracking {tracking}.",
        "Found the e-mail: {order}. Ordered on {ordered}.",
        "It's {order}.",
    ),
    ask=(
        "Could you send me the order number? Then I can open a trace with {courier} straight away.",
        "Can you share your order number and the postcode it was going to? I'll check where {courier} last scanned it.",
        "Could you tell me the order number please, so I can look at the tracking?",
    ),
    dm_ask=(
        "DM us your order number and I'll open a trace with {courier} today.",
        "Send us the order number by DM and I'll find out where it's got to.",
    ),
    solve_best=(
        "I've looked at order {order}: {courier} last scanned your parcel at their depot on {day}, and it "
        "hasn't moved since, so I'm treating it as lost. Rather than make you wait for their investigation, "
        "I've sent a new {item} by tracked next-day delivery (new tracking {tracking}). If the first parcel "
        "does turn up, just refuse it or let us know and we'll collect it.",
        "I've checked order {order} with {courier}: your parcel was sent to the wrong depot and has been "
        "sitting there since {day}. It's now on a van and will be with you on {nextday}. I've refunded the "
        "delivery charge for the wait, and if it doesn't arrive on {nextday}, I'll send a replacement the same "
        "day without you having to ask.",
        "I've been on the phone with {courier}: your parcel was damaged in their sorting centre and they've "
        "written it off. A replacement {item} left our warehouse this afternoon and will arrive on "
        "{nextday}. I've also refunded your delivery charge.",
    ),
    solve_ok=(
        "The parcel has been marked as lost. We have sent a replacement, which should arrive in 3-5 working days.",
        "I've issued a refund of {amount} for order {order}. It will show in {refund_days}.",
        "{courier} have confirmed the parcel is lost. A replacement has been ordered.",
    ),
    step=(
        "I've opened a trace with {courier} (reference {ref}). They take up to 48 hours to investigate, and "
        "I'll update you as soon as I hear back.",
        "I've asked {courier} to check with the driver. If they can't locate it by {nextday}, we'll send a "
        "replacement.",
        "{courier} need 2 working days to search their depot. I've put in a reminder to chase them on {nextday}.",
    ),
    update=(
        "Update on your parcel: {courier} couldn't find it, so I've sent a replacement {item} today. "
        "Tracking {tracking}.",
        "{courier} have come back to me: the parcel was left with a neighbour at number 12 by mistake. It's "
        "been collected and will be redelivered to you tomorrow.",
        "The trace came back negative, so I've refunded {amount} to your card ending {last4}.",
    ),
    pushback=(
        "Nothing has turned up, and no refund either.",
        "{courier} say it's your job to investigate, not theirs. So who is actually doing something?",
        "I've checked again. Nothing here and no e-mail from anyone.",
    ),
    thanks=("OK, thanks for looking into it.",),
    later=("It's arrived! Thanks for chasing.", "Refund's come through, thank you."),
    angry=("I'm going to do a chargeback. This is theft.",),
    sorry=(
        "Sorry your parcel has gone missing, {first}.",
        "I'm really sorry your {item} hasn't arrived.",
        "Sorry the tracking has left you guessing; that's so frustrating.",
    ),
    blame=(
        "We can only go by the courier's tracking. Please check with your neighbours before contacting us.",
        "Delivery issues are the courier's responsibility. Please contact {courier} directly.",
    ),
    notes=(
        "Driver GPS shows drop 400m from address. Courier claim opened.",
        "Third lost parcel on this postcode this month. Flagged to logistics.",
        "{courier} trace {ref} opened, chase on {nextday}.",
    ),
    bot_article="help.kestrel.example/where-is-my-order",
    bot_can_solve=True,
    weight=1.5,
    spike=3.0,
    saga=1.5,
)

DAMAGED_ITEM = Scenario(
    key="damaged_item",
    team=ORDERS,
    topic="Damaged item",
    tags=("orders", "damaged"),
    subjects=("Damaged item", "{item} arrived broken", "Order {order} - damaged on arrival", "Complaint"),
    needs="order number",
    info_slot="order",
    items=("fragile", "kitchen"),
    openings=(
        "My {item} arrived smashed. Order {order}. Photos attached.",
        "Hi, the {item} I ordered was delivered yesterday and unfortunately one corner is snapped clean off. "
        "The box looked fine from the outside, so I think it happened at packing. Order {order}. Is a "
        "replacement possible? Thank you.",
        "Opened the box and the {item} is cracked all the way down one side. Absolutely gutted, I've waited "
        "three weeks for this.",
        "hi my {item} came damaged what do i do",
        "I'm writing to complain about the state my {item} arrived in. The box was crushed, the item is "
        "scratched and dented, and frankly it looks like it's been dropped off a lorry. I paid {amount} for "
        "this. I expect a full replacement, not a voucher. Order {order}.",
        (
            "Quick one: the {item} from order {order} has a big scratch across the top. Is it a replacement "
            "or a partial refund? I could live with it for a discount, to be honest.",
            "Sorry about the scratch. Since you're happy to keep the {item}, I've refunded 30% of the price "
            "to your card ending {last4}; you'll see it within {refund_days}. If the scratch ends up "
            "bothering you more than you expect, you can still swap it within 30 days: just reply here.",
            "We can offer a 20% refund if you keep the item.",
        ),
        "Paid {amount} for a {item} and it arrived in bits 😡 @KestrelHelp",
        (
            "Hello, I'm sorry to bother you. My mum ordered a {item} and it arrived with a crack in it. She's "
            "82 and not great with computers, so I'm writing for her. She's quite upset, as it was a treat for "
            "herself. What's the best way to sort this out?",
            "You're not bothering us at all, and thank you for writing on your mum's behalf. Please tell her "
            "I'm sorry her {item} arrived cracked. I don't want her to have to do anything: a new {item} will "
            "be delivered on {nextday}, and the driver will carry the damaged one away, so there's nothing for "
            "her to pack or lift. I've also added a note asking the driver to knock and give her time to get "
            "to the door.",
            "A replacement will be sent and the courier will collect the damaged item.",
        ),
    ),
    provide=(
        "Order {order}. I've attached three photos of the damage.",
        "It's {order}. Photos attached, the crack is on the left.",
        "{order}, delivered on {day}. Pictures of the box and the item attached.",
    ),
    ask=(
        "Could you send me a couple of photos of the damage and the outside of the box, plus the order "
        "number? Then I'll sort out a replacement right away.",
        "Could you reply with the order number and a photo of the damage? I'll get it sorted from there.",
        "Please send photos of the item and packaging along with your order number.",
    ),
    dm_ask=(
        "Could you DM us a photo and the order number? We'll get a replacement moving today.",
        "Send us a DM with a photo of the damage and your order number and we'll put it right.",
    ),
    solve_best=(
        "Thanks for the photos: that's a nasty crack and it definitely happened in transit. I've sent a "
        "replacement {item} by next-day delivery, and {courier} will collect the damaged one at the same "
        "time, so you don't need to pack it up. I've also added a £10 credit to your account for the hassle.",
        "I've had a look at the photos and I'm glad you didn't try to use it. A new {item} is booked for "
        "delivery on {nextday} between 7am and 7pm; the driver will take the broken one away. Nothing else "
        "for you to do.",
        "I'm so sorry the {item} arrived like that after the wait. I've refunded the full {amount} to your "
        "card ending {last4} and sent a replacement anyway, so you're not out of pocket while you wait. The "
        "courier will collect the damaged one on {nextday}.",
    ),
    solve_ok=(
        "A replacement has been arranged and will be delivered in 3-5 working days. The courier will "
        "collect the damaged item.",
        "We have processed a replacement for order {order}. Please keep the damaged item in its packaging "
        "for collection.",
        "I've issued a refund of {amount}. You don't need to return the damaged item.",
    ),
    step=(
        "I've sent your photos to our quality team to decide between repair and replacement. They usually "
        "reply within a working day.",
        "I've requested a collection of the damaged {item}; once {courier} confirm the date I'll book the replacement.",
    ),
    update=(
        "The quality team approved a full replacement. Your new {item} ships today; tracking {tracking}.",
        "Collection is booked for {nextday}, and the replacement {item} will come on the same van.",
    ),
    pushback=(
        "Nobody came to collect the broken one, and nothing new has arrived.",
        "I haven't had a single e-mail confirming any of this.",
    ),
    thanks=("Thank you, that's a relief.", "Thanks, that's really kind."),
    later=("New one arrived in perfect condition. Thank you!",),
    angry=("I'm returning everything. Won't be buying furniture from you again.",),
    sorry=(
        "I'm so sorry your {item} arrived damaged.",
        "Sorry the {item} turned up broken, {first}; that's not the unboxing you were waiting for.",
        "Sorry our packaging let you down.",
    ),
    blame=(
        "Damage must be reported to the driver on delivery. As you signed for the parcel, we cannot accept a claim.",
        "The item was packed correctly when it left our warehouse.",
    ),
    notes=(
        "Photos show a crushed corner: courier damage. Claim submitted.",
        "Second damaged {item} this week. Asked packing to add corner protectors.",
    ),
    bot_article="help.kestrel.example/damaged-items",
    weight=1.2,
)

ADDRESS_CHANGE = Scenario(
    key="address_change",
    team=ORDERS,
    topic="Change delivery address",
    tags=("orders", "address-change"),
    subjects=("Change delivery address", "Wrong address on order {order}", "Can I redirect my parcel?"),
    needs="order number",
    info_slot="order",
    items=("homeware", "kitchen", "electronics"),
    problem=False,
    saga=0.4,
    openings=(
        "Hi, I've just placed order {order} and realised it's going to my old address. Can you change it to "
        "{newaddress}? Thanks!",
        "Need to change the delivery address on {order} ASAP. New address: {newaddress}.",
        "I moved house last week and stupidly forgot to update my account before ordering. The order is for "
        "a {item}. Can it still be redirected?",
        "Hello. Is it possible to change the delivery address after ordering? I would like my parcel to go "
        "to my work address instead: {newaddress}.",
        "URGENT: wrong address on my order. Please stop it going to {address}!!",
        "Can I change the address on an order that's already dispatched? @KestrelHelp",
        "Morning! Bit of a weird one. I ordered a {item} on {ordered} to my flat ({address}), but I'm "
        "actually going to be at my parents' all next week looking after their dog, so I'd rather it went "
        "there: {newaddress}. Order {order}. If it's too late, no worries, I'll get my neighbour to take it in.",
    ),
    provide=(
        "{order}. New address is {newaddress}.",
        "It's {order}, going to {address} at the moment. Should go to {newaddress}.",
        "Order {order}, and the new address is {newaddress}.",
    ),
    ask=(
        "Could you send me the order number and the full new address, including postcode? If it hasn't left "
        "the warehouse yet I can change it straight away.",
        "Which order is it? Send me the order number and I'll check whether it has been dispatched.",
        "Please confirm the order number and the new address.",
    ),
    dm_ask=(
        "DM us the order number and the new address and I'll see if we can catch it before it ships.",
        "If you DM us your order number, I'll check whether it's still at the warehouse.",
    ),
    solve_best=(
        "Good timing: order {order} hadn't been picked yet, so I've changed the delivery address to "
        "{newaddress}. You'll get a new confirmation e-mail in the next few minutes showing the updated "
        "address. The delivery date stays the same.",
        "Your {item} had already left the warehouse, so I couldn't edit the order itself, but I've asked "
        "{courier} to redirect it to {newaddress}. They've confirmed the change and the tracking page shows "
        "it now. It may arrive a day later, on {nextday}.",
        "Done: {order} will now go to {newaddress}. I've also updated the default address on your account so "
        "future orders go there too; let me know if you'd rather I changed that back.",
    ),
    solve_ok=(
        "The delivery address for order {order} has been updated.",
        "I've changed the address. You'll receive an updated confirmation.",
        "The parcel has been redirected to the new address.",
    ),
    step=(
        "The order is being packed right now, so I've asked the warehouse to hold it. I'll confirm within "
        "the hour whether the change went through.",
        "I've sent a redirect request to {courier}. They usually confirm within a few hours.",
    ),
    update=(
        "The warehouse caught it in time: {order} will go to {newaddress}.",
        "{courier} have confirmed the redirect to {newaddress}. Delivery is now on {nextday}.",
    ),
    pushback=(
        "The tracking still shows the old address.",
        "I haven't had any confirmation e-mail.",
    ),
    thanks=("Perfect, thank you! Saved me a trip.", "Lovely, thanks for catching it in time."),
    angry=("So it's gone to my old flat and I'll never see it. Great.",),
    sorry=(
        "Sorry the address change didn't go through the first time.",
        "Sorry this has been more complicated than it should be, {first}.",
    ),
    blame=(
        "You are responsible for entering the correct address at checkout.",
        "Addresses cannot be changed after ordering. This is in our terms.",
    ),
    notes=(
        "Redirect requested via courier portal.",
        "Customer's account still had old address as default; updated with their OK.",
    ),
    bot_article="help.kestrel.example/change-address",
    weight=0.8,
)

DELIVERY_SLOT = Scenario(
    key="delivery_slot",
    team=ORDERS,
    topic="Delivery time",
    tags=("orders", "delivery", "two-person-delivery"),
    subjects=("Delivery slot", "Reschedule delivery for order {order}", "Missed delivery today"),
    needs="order number",
    info_slot="order",
    items=("furniture",),
    problem=False,
    spike=2.5,
    openings=(
        (
            "The delivery slot you gave me for my {item} is {slot} on {day}. I'm at work then. Can I change it? "
            "Order {order}.",
            "Of course. I've moved the delivery of your {item} to {newslot}, which I hope works better around "
            "work. You'll get a text with a one-hour window on the morning of delivery, and the drivers call "
            "30 minutes before they arrive.",
            "Your delivery has been rebooked for {newslot}.",
        ),
        (
            "Your driver was supposed to come between {slot} today. I took the day off. Nobody came. Nobody "
            "called. Order {order}.",
            "I'm really sorry you took a day off for a delivery that never came. I've checked with our "
            "delivery team: the van broke down at lunchtime and the rest of the route was cancelled, and nobody "
            "let you know, which they should have. Your {item} is now first on the route for {nextday}, {slot}, "
            "and I've refunded your delivery charge.",
            "Apologies for any inconvenience. Your delivery has been rebooked for {nextday}.",
        ),
        (
            "Hi, can I choose a specific delivery slot for a {item}? I'd prefer a Saturday if possible. Order {order}.",
            "You can: Saturday slots are available for two-person deliveries, so I've booked {newslot} for "
            "order {order}. The confirmation e-mail is on its way, and you'll get a one-hour window by text "
            "the evening before.",
            "Delivery slots are assigned automatically, but I have added a note asking for a Saturday.",
        ),
        (
            "Please can I move the delivery for order {order} to {newslot}? Thank you.",
            "Done: your {item} will now arrive on {newslot}. You'll get a text with a one-hour window that "
            "morning, and you can change it again from the link in that text if plans change.",
            "The new slot is {newslot}. You will get a text on the day.",
        ),
        (
            "I've had three texts today, each with a different delivery window. First {slot}, then 'later "
            "today', now tomorrow. Which is it? I'm trying to plan childcare around this. Order {order}.",
            "Sorry for the mixed messages; I can see why that's maddening when you're arranging childcare. The "
            "first two texts went out before the route was finalised and shouldn't have been sent. The "
            "correct booking is {nextday}, {slot}, and I've switched off the automatic updates for your order, "
            "so the only other message you'll get is the driver's call 30 minutes before.",
            "Your delivery is booked for {nextday}, {slot}.",
        ),
        (
            "Just checking my {item} is still coming today? I haven't had the usual text with a time slot. {order}",
            "It is: your {item} is on today's route. The van is running about an hour behind, which is why "
            "the text hasn't gone out yet; you should get a one-hour window by noon.",
            "Yes, your delivery is still planned for today.",
        ),
        "Took a day off work for a {item} delivery. 6pm, no van, no call. Cheers @KestrelHelp",
    ),
    provide=("Order {order}.", "It's {order}, the {item}.", "{order}, and {newslot} would be ideal."),
    ask=(
        "Which order is this for? Send me the order number and tell me which days suit you, and I'll find a slot.",
        "Could you send the order number? I'll check the two-person delivery calendar for you.",
        "Please provide your order number.",
    ),
    dm_ask=(
        "DM us your order number and a couple of days that suit you; I'll rebook it.",
        "DM us the order number and I'll find out what happened to the van today.",
    ),
    solve_best=(
        "I've checked with our delivery team: the van broke down and the rest of the route was cancelled, and "
        "nobody told you, which they should have. Your {item} is now first on the route for {nextday}, "
        "{slot}, and I've refunded your delivery charge.",
        "I've booked your {item} in for {newslot}, and I've asked the planners to put you first on the route "
        "so you're not waiting around all day. You'll get a one-hour window by text the evening before.",
    ),
    solve_ok=(
        "Your delivery has been rebooked for {newslot}.",
        "The new slot is {newslot}. You will get a text on the day.",
    ),
    step=(
        "I've asked the delivery team what happened with the driver. They'll give me an answer by the end of the day.",
        "I've requested {newslot}; the transport planners confirm slots each afternoon, so I'll let you know by 5pm.",
    ),
    update=(
        "The planners confirmed {newslot} for your {item}.",
        "The driver's route was cancelled because of a breakdown. You're rebooked for {nextday}, {slot}.",
    ),
    pushback=(
        "I haven't had a text or an e-mail confirming anything.",
        "They didn't come AGAIN.",
    ),
    thanks=("Perfect, that works. Thanks.", "Great, thanks for sorting the slot."),
    angry=("I'm not taking another day off. Cancel the order.",),
    sorry=("Sorry the rebooking hasn't gone smoothly.", "Sorry you've had to chase us about this, {first}."),
    blame=(
        "Delivery windows are estimates. We cannot guarantee a time.",
        "You should have been in for the full day, as stated in the confirmation.",
    ),
    notes=(
        "Route 14 cancelled due to van breakdown, 9 customers affected.",
        "Booked slot manually, planners aware.",
    ),
    bot_article="help.kestrel.example/two-person-delivery",
    weight=0.8,
)

WRONG_ADDRESS = Scenario(
    key="wrong_address",
    team=ORDERS,
    topic="Delivered to the wrong address",
    tags=("orders", "delivery", "misdelivery"),
    subjects=("Parcel delivered to wrong address", "Not my door!", "Order {order} delivered to someone else"),
    needs="order number",
    info_slot="order",
    items=("homeware", "kitchen", "electronics"),
    spike=2.0,
    openings=(
        "Your courier delivered my parcel to the wrong address. The photo on the tracking page is of a door "
        "that isn't mine. Order {order}.",
        "My {item} has been delivered to a completely different street. I've seen the photo proof. It's not my house!",
        "Hi, tracking for {order} says 'delivered, left in porch', but the photo shows a blue door and mine "
        "is white. I've knocked on a few doors on my road but no luck. Can you help?",
        "Parcel went to the wrong address. Again. Second time with {courier}.",
        "Hello, I think my neighbour may have my parcel, but they're away for two weeks. Not sure what to do. "
        "Order number {order}.",
        "Your driver just left my {item} at number 41. I live at 14. 🙄 @KestrelHelp",
        "So the delivery photo is of someone else's front door. I don't even know which street that is. I "
        "paid {amount} for this {item} and now it's sitting on a stranger's step.",
    ),
    provide=_ORDER_ASK_PROVIDE,
    ask=(
        "Could you send me the order number? I'll get the driver's GPS location from {courier}.",
        "Can you send the order number and tell me what your front door looks like? It helps {courier} "
        "work out where it went.",
        "Please send the order number.",
    ),
    dm_ask=(
        "DM us your order number and I'll get the exact drop location from {courier}.",
        "Send us the order number in a DM and we'll track it down.",
    ),
    solve_best=(
        "I've checked the driver's GPS for order {order}: the parcel was left about two streets away. "
        "{courier} are going back to collect it today and will redeliver it to you tomorrow morning. If they "
        "can't get it back, I'll send a replacement {item} straight away, so either way you'll have it by "
        "{nextday}.",
        "Rather than wait for {courier} to recover it, I've sent you a new {item} by next-day delivery with a "
        "'signature required' note, so it can't be left anywhere. I've also reported the driver's mistake to "
        "{courier} so it doesn't happen again on your road.",
    ),
    solve_ok=(
        "{courier} will collect the parcel from the wrong address and redeliver it.",
        "We have sent a replacement. Please allow 3-5 working days.",
    ),
    step=(
        "I've raised a misdelivery claim with {courier} ({ref}). They aim to recover parcels within 48 hours.",
        "I've asked {courier} for the exact drop location, and I'll let you know what they say.",
    ),
    update=(
        "{courier} got your parcel back from the other address, and it'll be delivered tomorrow.",
        "{courier} couldn't recover the parcel, so a replacement {item} is on its way: tracking {tracking}.",
    ),
    pushback=(
        "{courier} say they have no record of any of this.",
        "Still nothing, and the tracking still says delivered.",
    ),
    thanks=("Thanks, fingers crossed this time.",),
    later=("Got it back! Thanks for chasing them.", "It's arrived, thanks for sorting it."),
    angry=("I've reported the driver to {courier} myself. You clearly don't care.",),
    sorry=(
        "Sorry your parcel went to the wrong address.",
        "Sorry the driver left your {item} at the wrong house, {first}.",
    ),
    blame=(
        "Please check with your neighbours before contacting us.",
        "The courier has proof of delivery, so we consider this order delivered.",
    ),
    notes=("GPS drop point two streets away. Misdelivery claim raised.", "Same driver as last week's case."),
    bot_article="help.kestrel.example/delivered-not-received",
    weight=0.9,
)

SCENARIOS = (WRONG_ITEM, PARCEL_LOST, DAMAGED_ITEM, ADDRESS_CHANGE, DELIVERY_SLOT, WRONG_ADDRESS)

"""Billing & Accounts scenarios for the demo corpus: payments, refunds, membership, invoices and accounts."""

from __future__ import annotations

from qa_toolkit.demo.agents import BILLING
from qa_toolkit.demo.model import Scenario

_EMAIL_CHANNELS = (("email", 0.6), ("web_form", 0.25), ("chat", 0.1), ("phone", 0.05))

DOUBLE_CHARGE = Scenario(
    key="double_charge",
    team=BILLING,
    topic="Payment problem",
    tags=("billing", "double-charge"),
    subjects=("Charged twice", "Double payment for order {order}", "Duplicate charge on my card"),
    needs="order number",
    info_slot="order",
    items=("homeware", "kitchen", "electronics", "furniture"),
    openings=(
        "You've charged me twice for order {order}. Two payments of {amount} on my card ending {last4}. "
        "Please refund one.",
        "double charged. {amount} x2. fix it",
        "Hello, I noticed two identical payments of {amount} on my bank statement this morning for a single "
        "{item}. I only placed one order. Could you look into it please?",
        (
            "I'm honestly furious. I've just been charged {amount} TWICE for the same order and now I'm "
            "overdrawn. My bank are charging me fees because of YOUR mistake. Order {order}. I want this "
            "fixed today and I want the bank fees covered.",
            "You're right to be angry, and I'm sorry: you were charged twice for order {order} because our "
            "checkout timed out and retried, which is our fault, not yours. I've refunded {amount} to your "
            "card ending {last4} today, and we'll cover the overdraft fees: send me a screenshot of the fee "
            "on your statement and I'll refund it the same day.",
            "We apologise for the inconvenience caused. The duplicate payment has been refunded. We are unable "
            "to refund bank charges.",
        ),
        "Hi! Probably nothing, but my banking app shows {amount} taken twice by Kestrel on {day}. The "
        "checkout page froze when I paid, so I pressed the button again. Could that be it? I only got one "
        "confirmation e-mail. Order {order}.",
        "Two payments came out for one order. How do I get my money back?",
        "Just been charged twice for the same order. Who do I talk to? @KestrelHelp",
        (
            "Is it normal to see a pending payment AND a completed payment for the same order? Both are "
            "{amount}. Order {order}.",
            "Good question, and you won't be charged twice. Only one payment for order {order} was taken; the "
            "pending {amount} is an authorisation that your bank releases automatically, usually within 5 "
            "days. I've also asked our payment provider to release it from our side, so it may disappear "
            "sooner.",
            "The pending payment will drop off within 5-7 working days.",
        ),
    ),
    provide=(
        "Order {order}, card ending {last4}. Both payments on {day}.",
        "It's {order}. Screenshot of the statement attached.",
        "{order}. Both charges were {amount}.",
    ),
    ask=(
        "Could you send me the order number and the last four digits of the card? I'll match the payments "
        "against our records.",
        "Can you send me the date of both charges and the order number? I'll check them with our payments team.",
        "Please provide the order number and a screenshot of the transactions.",
    ),
    dm_ask=(
        "DM us the order number and the last four digits of the card (never the full number!) and I'll "
        "check the payments.",
        "Please DM us your order number and we'll check both payments today.",
    ),
    solve_best=(
        "I've checked order {order}, and you're right: the payment went through twice on {day}, {amount} "
        "each time, because the checkout timed out and retried. I've refunded the second payment to your "
        "card ending {last4} just now; you should see it within {refund_days}. If your bank charges you any "
        "fees because of this, send me the statement and I'll refund those too.",
        "I've matched both payments to order {order}: the second {amount} came from a retry after the payment "
        "page froze. I've refunded it to your card ending {last4}; the refund e-mail is on its way, and your "
        "bank will show it within {refund_days}.",
        "You were charged twice, and that's our fault, not yours: our payment page had a fault on {day} that "
        "hit a number of customers. I've refunded {amount} to your card ending {last4} today and added a £5 "
        "credit to your account for the trouble.",
    ),
    solve_ok=(
        "The duplicate payment of {amount} has been refunded. Please allow {refund_days}.",
        "One of the payments is a pending authorisation and will drop off within 5-7 working days.",
        "I've refunded the second charge for order {order}.",
    ),
    step=(
        "I've passed this to our payments team with both transaction references. They confirm refunds "
        "within one working day, and I'll let you know when it's done.",
        "I've asked our payment provider to check the second transaction. I'll come back to you by {nextday}.",
    ),
    update=(
        "Payments have confirmed the duplicate charge and refunded {amount} to your card ending {last4}.",
        "Our payments team say the second charge was an authorisation that has now been released. It should "
        "vanish from your statement within a day or two.",
    ),
    pushback=(
        "The second payment is still showing on my account.",
        "My bank says nothing has been refunded.",
    ),
    thanks=("Great, thanks for explaining.", "OK, thank you for sorting it."),
    later=("Refund's there, thanks very much.",),
    angry=("I've raised a dispute with my bank. Don't bother replying.",),
    sorry=(
        "I'm sorry we charged you twice; that was our mistake.",
        "Sorry about the double payment, {first}.",
        "Sorry you've had {amount} taken twice.",
    ),
    blame=(
        "Pressing the pay button twice causes duplicate payments. Please only press it once.",
        "Please contact your bank, as we do not control pending transactions.",
    ),
    notes=(
        "Checkout timeout on {day} caused double captures. Known issue, payments team aware.",
        "Refunded the duplicate in the payment portal; customer notified.",
    ),
    bot_article="help.kestrel.example/charged-twice",
    weight=1.1,
)

REFUND_STATUS = Scenario(
    key="refund_status",
    team=BILLING,
    topic="Returns and refunds",
    tags=("billing", "refund"),
    subjects=("Refund status", "Where is my refund?", "Refund for order {order}", "Returned item, no refund"),
    needs="order number",
    info_slot="order",
    items=("homeware", "kitchen", "electronics", "furniture"),
    saga=1.6,
    openings=(
        "I returned my {item} on {ordered} and still haven't had my refund. Order {order}.",
        "Where is my refund??",
        "Hi, you e-mailed on {day} to say my return had been received, but the {amount} hasn't come back to "
        "my account yet. How long does it usually take? Order {order}. Thanks.",
        "It's now been three weeks since I sent back the {item}. Three weeks. I have the {courier} receipt. I "
        "have the tracking showing you received it. I don't have my money. Why?",
        (
            "Hello, I'm a bit confused. I returned two things from order {order} but only got a refund for "
            "one of them. The refund for the {item} is missing.",
            "You're right, and sorry for the confusion. The two items came back in separate boxes, and only "
            "one box was matched to order {order}. I've found the second one and refunded the missing "
            "{amount} for the {item} today; you'll get a confirmation e-mail shortly.",
            "The missing refund of {amount} has now been processed.",
        ),
        (
            "I sent back a {item} a while ago (early {month}, I think?) because it didn't fit in the space I "
            "had, and I was told the refund would take about 5 days. I've been checking my account and I "
            "don't think it's come, but to be honest I also changed banks in between, so maybe it went to my "
            "old card? I don't have the order number, but my e-mail is {email}.",
            "I found it through your e-mail address: the refund of {amount} for the {item} was issued on "
            "{day}, to the card you paid with. Even if that account is closed, your old bank still receives "
            "it and has to pass it on to you, usually within 10 working days. If it hasn't reached you by "
            "{nextday}, reply here and I'll arrange a bank transfer instead, so you're not stuck between banks.",
            "Your refund was issued to the original payment card. Please contact your bank.",
        ),
        "Still waiting for my refund from @KestrelHelp. 19 days and counting.",
        "Can you confirm whether my refund for {order} has been processed?",
    ),
    provide=(
        "Order {order}, returned via {courier} on {ordered}.",
        "It's {order}. Return tracking {tracking}.",
        "{order}. Refund should be {amount}.",
    ),
    ask=(
        "Could you send me the order number or the return tracking number? Then I can see exactly where "
        "your refund is.",
        "Which order was this for? Send me the order number and I'll check the return.",
        "Please send the order number and the return receipt.",
    ),
    dm_ask=(
        "DM us the order number and I'll check where the refund has got to.",
        "If you DM us the order number, I'll look at the return and refund today.",
    ),
    solve_best=(
        "I've looked at order {order}: your {item} reached our returns centre on {day}, but the refund got "
        "stuck because the return was scanned without an order reference. I've processed it manually just "
        "now: {amount} back to your card ending {last4}. Banks usually take {refund_days} to show it.",
        "Your refund of {amount} for the {item} was issued on {day} to your card ending {last4}, so it's on "
        "its way from our side. Banks take {refund_days}; if it hasn't appeared by {nextday}, message me "
        "here and I'll chase it with our payments team using the exact transaction reference.",
        "Your {item} arrived back at our returns centre on {day}, but it sat in the inspection queue for far "
        "longer than it should have. I've approved it myself just now, and {amount} is on its way to your "
        "card ending {last4}. You'll get a confirmation e-mail within the hour.",
    ),
    solve_ok=(
        "Your refund of {amount} has been processed and will show in {refund_days}.",
        "The refund for order {order} was issued on {day}.",
        "Refunds take up to 14 days after we receive the return. Yours has now been processed.",
    ),
    step=(
        "The returns centre has your parcel but hasn't inspected it yet. I've asked them to prioritise it "
        "and will update you by {nextday}.",
        "I've raised a query with our finance team ({ref}) to find out why the refund hasn't gone through.",
    ),
    update=(
        "Finance have processed your refund of {amount} today.",
        "The returns centre inspected your {item} this morning, and the refund of {amount} is on its way.",
    ),
    pushback=(
        "Still nothing in my account.",
        "You said 5 days. It's been 10.",
        "My bank says there's no incoming refund at all.",
    ),
    thanks=("Thanks for finally getting to the bottom of it.",),
    later=("Money's back, thank you!", "It's arrived. Thanks for sorting it out."),
    angry=("I've reported you to Trading Standards.",),
    sorry=(
        "Sorry your refund has taken so long.",
        "I'm sorry you've been left waiting for your money, {first}.",
        "Sorry the refund for your {item} got stuck.",
    ),
    blame=(
        "Refunds take up to 30 days. Please wait until then before contacting us.",
        "Your return was not packed according to our returns policy, which delayed the refund.",
    ),
    notes=(
        "Return scanned without order ref, manual refund done.",
        "Customer chasing for the third time. Refund confirmed in payment portal.",
    ),
    bot_article="help.kestrel.example/refund-times",
    bot_can_solve=True,
    weight=1.3,
)

SUBSCRIPTION_CANCEL = Scenario(
    key="subscription_cancel",
    team=BILLING,
    topic="Kestrel Plus membership",
    tags=("billing", "membership", "cancellation"),
    subjects=("Cancel {plan}", "Cancel my membership", "Charged after cancelling", "Membership renewal"),
    needs="account e-mail address",
    info_slot="email",
    items=("homeware", "kitchen"),
    problem=False,
    openings=(
        "Please cancel my {plan} membership. I don't use it.",
        "How do I cancel {plan}? I can't find the option anywhere in the app. Account e-mail is {email}.",
        (
            "I cancelled my {plan} last month and you've just taken another {plan_price}. I want that back and "
            "I want it cancelled properly this time. {email}",
            "I can see your cancellation from last month: it was saved but never went through, because of a "
            "fault in our system. I'm sorry, that's on us. I've cancelled {plan} properly now and refunded the "
            "{plan_price} to your card ending {last4}; you'll get two e-mails at {email} confirming both.",
            "The membership has now been cancelled and the last payment refunded.",
        ),
        (
            "Hi there, I signed up for the free {plan} trial when I bought my {item} and I've just noticed "
            "it's turned into a paid membership. I didn't realise it would renew automatically. Could you "
            "cancel it, and is there any chance of a refund for this month? I haven't used it. My e-mail is "
            "{email}.",
            "I've cancelled {plan}, and because you haven't used any of the benefits since the trial ended, "
            "I've refunded this month's {plan_price} in full; the refund e-mail is on its way to {email}. Sorry "
            "the renewal caught you out: we do send a reminder before a trial ends, but it's easy to miss.",
            "I've cancelled the subscription. Refunds are not available for partial months.",
        ),
        "cancel my subscription please",
        "How is it this hard to cancel {plan}? 20 minutes in the app and no cancel button. @KestrelHelp",
        (
            "Your website says I can cancel {plan} any time. The cancel page just loops me back to 'Are you "
            "sure?'. Yes, I'm sure. Please cancel it. {email}",
            "You're right, the cancel page is broken in the current version, and I'm sorry it sent you round "
            "in circles. I've cancelled {plan} for you on our side, and the confirmation e-mail will come from "
            "membership@kestrel.example in the next few minutes. You keep free delivery until {renewal}, the "
            "end of the period you've paid for.",
            "Your {plan} membership has been cancelled.",
        ),
    ),
    provide=("It's {email}.", "Account e-mail is {email}.", "{email}, same as this one."),
    ask=(
        "Could you confirm the e-mail address on your account? I'll cancel it as soon as I've found it.",
        "Which e-mail address is the membership under? Then I can cancel it for you right away.",
        "Please confirm your account e-mail address.",
    ),
    dm_ask=(
        "DM us the e-mail on your account and I'll cancel it for you.",
        "Send us a DM with your account e-mail and I'll cancel it and check for any refund.",
    ),
    solve_best=(
        "I've cancelled your {plan} membership on {email}; you'll get a confirmation e-mail in a moment. As "
        "you haven't used any {plan} benefits since it renewed, I've also refunded this month's {plan_price} "
        "to your card ending {last4}.",
        "Done: {plan} is cancelled and won't renew. You can still use free delivery until {renewal}, which "
        "is the end of the period you've paid for. For the future, it's under Account > Membership > Manage "
        "in the app; I know it's hard to find, and I've passed that on to our app team.",
    ),
    solve_ok=(
        "Your {plan} membership has been cancelled.",
        "I've cancelled the subscription. It will not renew.",
        "{plan} is cancelled. Refunds are not available for partial months, but you keep the benefits until {renewal}.",
    ),
    step=(
        "I've passed your refund request to our membership team. They decide within two working days, and "
        "I'll let you know.",
        "I've asked our app team to check why the cancel page loops. In the meantime, I've put a stop on the "
        "next renewal.",
    ),
    update=(
        "The membership team approved the refund: {plan_price} is on its way to your card ending {last4}.",
        "The cancellation is confirmed, and your next renewal won't be charged.",
    ),
    pushback=("The app still says my membership is active.", "I never got a confirmation e-mail."),
    thanks=("Thank you, that was painless in the end.", "Great, thank you."),
    angry=("This is a subscription trap. I'll be telling everyone.",),
    sorry=("Sorry cancelling has turned into such a hassle, {first}.", "Sorry this wasn't sorted the first time."),
    blame=(
        "The terms clearly state that the free trial converts to a paid membership.",
        "You should have cancelled before the renewal date.",
    ),
    notes=("Cancel flow loops in app v{version}: known bug APP-2231.", "Goodwill refund of one month approved."),
    bot_article="help.kestrel.example/cancel-kestrel-plus",
    bot_can_solve=True,
    weight=1.0,
)

INVOICE_VAT = Scenario(
    key="invoice_vat",
    team=BILLING,
    topic="Invoice request",
    tags=("billing", "invoice", "business"),
    subjects=("VAT invoice request", "Invoice for order {order}", "Incorrect company name on invoice"),
    needs="order number",
    info_slot="order",
    items=("furniture", "electronics"),
    problem=False,
    saga=0.6,
    channels=(("email", 0.7), ("web_form", 0.15), ("chat", 0.15)),
    openings=(
        "Please send a VAT invoice for order {order}. Company name: {company}.",
        "Hi, I bought a {item} for my business and need a proper VAT invoice with our company name and VAT "
        "number on it. The receipt in my account only shows a total. Order {order}. Thanks in advance.",
        "The invoice for {order} has the wrong company name and no VAT number. Our accountant won't accept "
        "it. Can you reissue it to {company}?",
        (
            "Hello, where can I download invoices? I need them for my expenses claim.",
            "You'll find every invoice in your account under Orders > Invoices; each one has a 'Download PDF' "
            "button. If your expenses system needs a company name or VAT number on them, send me the details "
            "and I'll reissue them for you.",
            "Invoices can be downloaded from your account under Orders > Invoices.",
        ),
        (
            "I've asked for a VAT invoice twice now. Is it really that difficult?",
            "I'm sorry you've had to ask more than once. Your earlier requests went to a finance mailbox that "
            "wasn't being checked, and that's now been fixed. I've attached the VAT invoice for order {order} "
            "with the VAT shown separately. If it needs a company name or VAT number on it, reply with them "
            "and I'll reissue it within the hour.",
            "Please find the VAT invoice attached.",
        ),
        (
            "Quick question: does invoice {invoice} include VAT? It just says 'Total'. Our finance team is asking.",
            "It does: the total on {invoice} includes VAT at 20%. I've attached a version that shows the net "
            "amount and the VAT on separate lines, which is what most finance teams need.",
            "Yes, the total includes VAT.",
        ),
        "Good morning, I am the office manager at {company}. We ordered several items last month, including "
        "a {item}, and I need one combined invoice for all of them if possible, addressed to our accounts "
        "department. Please let me know what information you need.",
    ),
    provide=(
        "Order {order}, company {company}, VAT number {vatno}.",
        "{order}. Invoice should be made out to {company}, VAT number {vatno}.",
        "Order number is {order}.",
    ),
    ask=(
        "Could you send me the order number, the company name and your VAT number exactly as they should "
        "appear? I'll reissue the invoice today.",
        "Which order is it for? And what company details should go on the invoice?",
        "Please send the order number and company details.",
    ),
    dm_ask=("DM us the order number and company details and I'll e-mail you a VAT invoice.",),
    solve_best=(
        "I've reissued invoice {invoice} for order {order} to {company}, with your VAT number and the VAT "
        "shown separately (20%). It's attached here and also in your account under Orders > "
        "Invoices, so your accountant can download it again any time.",
        "You can download invoices from your account under Orders > Invoices, but those only show your name. "
        "I've created a VAT invoice addressed to {company}, accounts department, and attached it here. For "
        "future business orders, if you add the company and VAT number at checkout, the invoice will "
        "include them automatically.",
    ),
    solve_ok=(
        "Please find the VAT invoice attached.",
        "Invoices can be downloaded from your account under Orders > Invoices.",
        "The invoice has been reissued with the company name.",
    ),
    step=(
        "I've asked our finance team to issue a VAT invoice with your company details. They do these within "
        "two working days.",
        "Combined invoices have to be made by finance. I've sent them the order numbers and will forward "
        "the invoice when it's ready.",
    ),
    update=(
        "Finance have issued the VAT invoice for {company}. It's attached.",
        "Here's the combined invoice for {company}, with VAT shown per item.",
    ),
    pushback=(
        "That still isn't what our accountant needs: it has to show our company name and VAT number.",
        "There was no attachment.",
    ),
    thanks=("That's exactly what our accountant needed. Thanks!", "Perfect, thank you."),
    angry=("I'll use the bank statement then. Useless.",),
    sorry=(
        "Sorry the invoice came through without your VAT number.",
        "Sorry you've had to ask for this more than once.",
    ),
    blame=("Company details must be entered at checkout. We cannot change invoices afterwards.",),
    notes=("Reissued invoice via finance portal; customer is a business account.",),
    bot_article="help.kestrel.example/invoices",
    bot_can_solve=True,
    weight=0.7,
)

PROMO_CODE = Scenario(
    key="promo_code",
    team=BILLING,
    topic="Discount code",
    tags=("billing", "promo-code"),
    subjects=("Discount code not working", "Promo code {code}", "Forgot to use my code"),
    needs="discount code",
    info_slot="code",
    items=("homeware", "kitchen", "electronics"),
    problem=False,
    saga=0.5,
    openings=(
        "Code {code} isn't working. Says 'not valid'.",
        (
            "Hi, I've got a {code} voucher from your newsletter, but when I enter it at checkout it says it's "
            "expired, even though the e-mail says it's valid until the end of the month. Is there a problem "
            "with it?",
            "There was, and sorry about that: {code} was set to expire a week early by mistake. I've fixed "
            "it, so it'll work at checkout now, and it's valid until the end of the month, as the e-mail said.",
            "The code has been reactivated. Please try again.",
        ),
        (
            "I placed order {order} yesterday and forgot to use my discount code. Can you apply it now?",
            "I can't add a code to an order after it's placed, but I've refunded the amount you would have "
            "saved on order {order} to your card ending {last4}, so you end up paying the same. You'll see it "
            "within {refund_days}.",
            "Discount codes cannot be added after an order is placed.",
        ),
        "Your promo code doesn't work. Typical bait and switch.",
        (
            "The {code} code took 15% off everything except the {item}, which is the only thing I actually "
            "wanted. The e-mail doesn't say anything about exclusions!",
            "You're right, it doesn't, and it should have. {code} only applies to full-price items, and the "
            "{item} is already reduced, which is why the discount didn't show. As the e-mail didn't say so, "
            "I've given you the 15% anyway, as a refund of the difference to your card ending {last4}.",
            "Promo codes cannot be applied to sale items.",
        ),
        "Is the {code} code still working? Mine says invalid 😕 @KestrelHelp",
        (
            "Hello, a friend sent me a referral code, but I can't see where to put it in the app. I'm on an {device}.",
            "Referral codes go in at the very end of checkout: tap 'Add a code or gift card' under the payment "
            "options, just above the Pay button. On the {device} you have to scroll down a little to see it. "
            "The discount shows straight away once the code is accepted.",
            "Referral codes can be entered at checkout.",
        ),
    ),
    provide=("The code is {code}.", "It's {code}, from the e-mail on {day}.", "{code}. Order {order}."),
    ask=(
        "Which code are you trying to use? If you send it to me, I'll check what's going on.",
        "Could you send me the code and tell me what's in your basket? Some codes have exclusions, and I'll "
        "check which one applies.",
        "Please send the code.",
    ),
    dm_ask=("DM us the code and I'll check it for you.", "Send us the code in a DM and we'll see what's up."),
    solve_best=(
        "I've checked {code}: it was switched off by mistake when our autumn sale started. Sorry about that. "
        "It's back on now and will work at checkout until the end of the month. If you'd already paid "
        "without it, tell me the order number and I'll refund the difference.",
        "{code} is valid, but it only works on the website, not in the app's express checkout, and that isn't "
        "explained anywhere, which it should be. If you add the items to your basket on the website and enter "
        "the code there, the discount will show.",
    ),
    solve_ok=(
        "The code has been reactivated. Please try again.",
        "Please try the code on our website instead of the app.",
    ),
    step=("I've reported the code to our marketing team, who set these up. They'll check it this afternoon.",),
    update=("Marketing have fixed {code}. It should work at checkout now.",),
    pushback=("Still says invalid.", "Still not working, I'm afraid."),
    thanks=("That worked, thanks!", "Lovely, thank you."),
    angry=("Not worth it. I'll buy it somewhere else.",),
    sorry=("Sorry the {code} code let you down at checkout.", "Sorry, that code should have worked."),
    blame=(
        "Promo codes are subject to terms and conditions, which you should read before using them.",
        "You must enter the code before placing the order.",
    ),
    notes=("{code} end date set wrong in the promo tool; fixed.", "Manual discount refund approved, under £20."),
    bot_article="help.kestrel.example/discount-codes",
    bot_can_solve=True,
    weight=0.8,
)

ACCOUNT_LOCKED = Scenario(
    key="account_locked",
    team=BILLING,
    topic="Account and login",
    tags=("account", "locked"),
    subjects=("Account locked", "Can't log in - account locked", "Security lock on my account"),
    needs="account e-mail address",
    info_slot="email",
    items=("homeware",),
    openings=(
        "My account is locked. Tried my password three times and now it won't let me in at all.",
        "Hi, I'm getting 'account temporarily locked for security reasons' when I try to log in. It's been "
        "like that since {day}. My e-mail is {email}. Can you unlock it? Thank you.",
        (
            "Why is my account locked?? I have an order arriving tomorrow and I can't see the tracking. My "
            "e-mail is {email}.",
            "Sorry you've been locked out just when you need to check your delivery. The account locked itself "
            "after five wrong passwords; I've unlocked it and sent a reset link to {email}. In the meantime, "
            "your order is on the van for tomorrow, and the tracking link is in your dispatch e-mail.",
            "Your account has been unlocked. Please reset your password.",
        ),
        (
            "I got an e-mail saying someone tried to log in to my account from another country, and now my "
            "account is locked. I'm worried someone has my password. What should I do?",
            "You did the right thing by getting in touch, and I'm sorry for the worry. The login attempt came "
            "from an unfamiliar device abroad, and our system locked the account to protect it, so nobody got "
            "in. I've unlocked it and signed out all other devices. Please set a new password with the link "
            "I've just e-mailed you, and I'd recommend turning on two-step verification under Account > "
            "Security.",
            "The account is unlocked. For security, please change your password.",
        ),
        "Locked out. {email}. Please unlock.",
        "Locked out of my Kestrel account for 2 days. The support form needs me to log in. Classic. @KestrelHelp",
        "Hello. I am not very good with computers. My account is locked and the website says to contact you. "
        "My e-mail address is {email}. My grandson set it up for me.",
    ),
    provide=("It's {email}.", "Account e-mail: {email}.", "{email}. Last login was on {day}."),
    ask=(
        "Could you confirm the e-mail address on your account? I'll check the security log and unlock it.",
        "Which e-mail address do you log in with? I'll take a look at why it was locked.",
        "Please provide your account e-mail address.",
    ),
    dm_ask=("DM us the e-mail address on your account and I'll unlock it.",),
    solve_best=(
        "I've checked the security log for {email}: the account locked after five wrong passwords on {day}. "
        "I've unlocked it and sent a password reset link to {email}, valid for one hour. Once you've set a "
        "new password you can log in as normal, and your order tracking will be there.",
        "Your account is unlocked. I've also sent a fresh password reset e-mail to {email}, because the old "
        "links expire after an hour. If it doesn't arrive within 10 minutes, please check the spam folder, "
        "and reply here if it's not there either.",
    ),
    solve_ok=(
        "Your account has been unlocked. Please reset your password.",
        "The account is unlocked now.",
        "I've unlocked your account. For security, please change your password.",
    ),
    step=(
        "Because the lock was triggered by a suspicious login, I've passed it to our security team, who "
        "have to verify your identity first. They'll e-mail you from security@kestrel.example within 24 "
        "hours.",
    ),
    update=("Security have verified your identity and unlocked the account. You can log in with a new password now.",),
    pushback=("It's locked again.", "I never got the reset e-mail."),
    thanks=("That worked, thanks! I'm in.", "All working. Thank you for being so patient with me."),
    angry=("I'll just use a different shop then.",),
    sorry=("Sorry you've been locked out, {first}.", "Sorry you've had trouble getting into your account."),
    blame=(
        "Accounts lock after five failed attempts. Please make sure you use the correct password.",
        "You should not share your password.",
    ),
    notes=(
        "Lock triggered by 5 failed attempts from the customer's own IP, not suspicious.",
        "Suspicious login from a new country; security team informed.",
    ),
    bot_article="help.kestrel.example/account-locked",
    bot_can_solve=True,
    weight=0.8,
)

DATA_REQUEST = Scenario(
    key="data_request",
    team=BILLING,
    topic="Privacy and data",
    tags=("account", "privacy", "gdpr"),
    subjects=("Subject access request", "Data request", "Please delete my data", "GDPR request"),
    needs="account e-mail address",
    info_slot="email",
    items=("homeware",),
    problem=False,
    saga=0.8,
    channels=_EMAIL_CHANNELS,
    auto_reply="Thanks for your e-mail. We will answer within 28 working days.",
    openings=(
        "Under GDPR I request a copy of all personal data you hold about me. Account: {email}.",
        (
            "Hi, I'd like to download the data you have on me, like my order history and anything else. Is "
            "there a way to do that myself?",
            "There is: on the website, go to Account > Privacy > Download my data, and within about 10 minutes "
            "you'll get an e-mail with a file of your orders, addresses and preferences. If you'd also like "
            "everything else we hold, such as chats and e-mails with us, reply here and I'll log a full request.",
            "You can download your data under Account > Privacy.",
        ),
        (
            "Please delete my account and all my data. I don't want any more marketing e-mails either.",
            "I've deleted your account and personal data as you asked, apart from the order records we must "
            "keep for six years for tax purposes. You've also been taken off all marketing lists, effective "
            "immediately. You'll get one final confirmation e-mail, and nothing after that.",
            "Your account has been scheduled for deletion.",
        ),
        (
            "I submitted a subject access request on {ordered} and have heard nothing. You have one month to "
            "respond by law. Please confirm it's being dealt with.",
            "I'm sorry you've had no reply. Your request from {ordered} was logged but assigned to the wrong "
            "queue, which is why nothing happened. That's not acceptable, and I've moved it to the top of the "
            "privacy team's list. We'll still meet the legal deadline, and you'll receive the export by "
            "{nextday}. Your reference is {ref}.",
            "Your request is being processed and will be answered within the legal deadline.",
        ),
        (
            "Hello, what data do you keep when I use the Kestrel app? Location? Contacts? I'd like a full copy "
            "of whatever you have.",
            "The app keeps your orders, addresses and saved baskets and, only if you allow it, your location "
            "while you use the store finder. It never reads your contacts. I've logged a full data export for "
            "you (reference {ref}), and you'll get a secure download link by e-mail within a week.",
            "Details are in our privacy policy. Your request has been forwarded to our data protection team.",
        ),
        "Data request: please send me everything you have on {email}, including call recordings and chat logs.",
    ),
    provide=("The account e-mail is {email}.", "{email}. Full name {name}.", "It's {email}."),
    ask=(
        "To protect your data, I need to check it's really you before we send anything. Could you confirm "
        "the e-mail address on your account and your last order number?",
        "Could you confirm which e-mail address your account uses? Then I'll log the request with our privacy team.",
        "Please confirm the e-mail address on the account.",
    ),
    dm_ask=(
        "For privacy reasons we can't handle data requests here, but DM us your account e-mail and "
        "we'll log it with our privacy team.",
    ),
    solve_best=(
        "I've logged your data request for {email} with our privacy team today (reference {ref}). By law we "
        "have one month to respond, but exports usually take about a week. You'll get a secure download "
        "link by e-mail with your orders, addresses, chats and e-mails with us, and marketing preferences. "
        "You can also download your order history yourself at any time under Account > Privacy.",
        "I've sent your request for {email} straight to our privacy team with a priority flag (reference "
        "{ref}), and checked that they have everything they need. Expect a secure download link within a "
        "week; it's valid for 7 days once it arrives.",
    ),
    solve_ok=(
        "Your request has been forwarded to our data protection team. They will respond within one month.",
        "You can download your data under Account > Privacy.",
        "Your account has been scheduled for deletion.",
    ),
    step=(
        "I've passed your request to our privacy team (reference {ref}). They'll verify your identity and "
        "then send the export.",
    ),
    update=("The privacy team have sent your data export to {email}. The link is valid for 7 days.",),
    pushback=("I haven't received anything yet.", "I'm still getting marketing e-mails."),
    thanks=("Thanks for dealing with this properly.",),
    later=("Received the export, thank you.",),
    angry=("I'll be raising this with the ICO.",),
    sorry=(
        "Sorry your request wasn't dealt with sooner.",
        "I'm sorry you haven't heard back about your data request; it got stuck with us.",
    ),
    blame=("Data requests must be submitted through the online form. E-mails are not accepted.",),
    notes=("SAR logged in privacy tracker, {ref}. Statutory deadline noted.", "Identity checked via order number."),
    weight=0.5,
)

SCENARIOS = (
    DOUBLE_CHARGE,
    REFUND_STATUS,
    SUBSCRIPTION_CANCEL,
    INVOICE_VAT,
    PROMO_CODE,
    ACCOUNT_LOCKED,
    DATA_REQUEST,
)

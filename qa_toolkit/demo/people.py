"""Fictional customers, products, couriers and places the demo conversations are filled with."""

from __future__ import annotations

FIRST_NAMES_EN = (
    "Dana", "Olivia", "Sam", "Jordan", "Aaliyah", "Ravi", "Chloe", "Tomasz", "Fatima", "Connor",
    "Mei", "Isaac", "Harriet", "Nadia", "Owen", "Zara", "Kwame", "Ellie", "Patrick", "Sofia",
    "Liam", "Grace", "Hamza", "Rosie", "Theo", "Imogen", "Yusuf", "Megan", "Callum", "Anya",
    "Dominic", "Lucy", "Femi", "Hannah", "Rory", "Amelia", "Jack", "Leah", "Arjun", "Bethany",
    "Niall", "Sienna", "Caleb", "Freya", "Mohammed", "Alice", "Declan", "Keira", "Stefan", "Jasmine",
    "Gavin", "Priyanka", "Lewis", "Tara", "Victor", "Martha", "Elliot", "Bianca", "Hugo", "Ruby",
    "Samir", "Iris", "Ciaran", "Jade", "Wesley", "Poppy", "Andre", "Layla", "Felix", "Nora",
    "Gemma", "Malcolm", "Esther", "Joel", "Tanya", "Graham", "Orla", "Marek", "Holly", "Desmond",
)  # fmt: skip

LAST_NAMES_EN = (
    "Reyes", "Whitfield", "Okonkwo", "Brennan", "Haddad", "Lindqvist", "Moreau", "Castillo",
    "Pemberton", "Achebe", "Kowalski", "Delacroix", "Fairweather", "Thornbury", "Mahmoud", "Calloway",
    "Ashworth", "Nakamura", "Ferreira", "Gallagher", "Ibarra", "Hollis", "Petrova", "Mensah",
    "Quinlan", "Rowntree", "Sandoval", "Tennant", "Varga", "Winslow", "Yilmaz", "Abernathy",
    "Blackwood", "Chandra", "Dunmore", "Ellery", "Fontaine", "Greaves", "Hartigan", "Iqbal",
    "Jessop", "Kaur", "Lomax", "Marchetti", "Novak", "Oyelaran", "Prescott", "Radcliffe",
    "Sokolova", "Trevino", "Underwood", "Vance", "Wakefield", "Osei", "Bramley", "Cartwright",
    "Doyle", "Emery", "Finch", "Gordon-Hale", "Ingram", "Jovanovic", "Kimura", "Langley",
    "Mistry", "Nolan", "O'Hara", "Pryce", "Rahim", "Sutcliffe", "Tremaine", "Valdez",
)  # fmt: skip

FIRST_NAMES_NL = (
    "Daan", "Femke", "Joost", "Lotte", "Bram", "Eline", "Ruben", "Maaike", "Thijs", "Noor",
    "Sven", "Anouk", "Wouter", "Floor", "Pieter", "Merel", "Jeroen", "Fleur", "Koen", "Ilse",
)  # fmt: skip

LAST_NAMES_NL = (
    "de Vries", "Jansen", "Bakker", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
    "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "van Leeuwen", "Kok", "Verhoeven", "Postma",
)  # fmt: skip

QUIRKY_HANDLES = (
    "tea_and_toast", "nightowl_dev", "plantmum_92", "cyclingdad", "bookwormbee", "rainyday_runner",
    "crumb_and_co", "pixelpotter", "sundaysofa", "kettleonagain", "lostinthepost_", "gardenshedlife",
    "notacat_really", "midweekmango", "doglady_d", "beansontoastx", "fixerupper_uk", "coldbrewkid",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")

# name, price (GBP); Dutch conversations reuse the names with prices in euros
ITEMS: dict[str, tuple[tuple[str, float], ...]] = {
    "furniture": (
        ("Ashby three-seater sofa", 649.00),
        ("Marlow oak side table", 119.00),
        ("Fenwick bookcase", 179.00),
        ("Corrie bedside table", 89.00),
        ("Elden office chair", 229.00),
        ("Hatherley dining table", 499.00),
    ),
    "homeware": (
        ("Nordlys floor lamp", 89.99),
        ("Halden dinner set", 74.50),
        ("Tamsin linen duvet cover", 59.00),
        ("Wren wall mirror", 95.00),
        ("Pemberly rug", 139.00),
        ("Brook glass carafe set", 28.99),
    ),
    "kitchen": (
        ("Corra kettle", 39.99),
        ("Vesta stand mixer", 249.00),
        ("Ardent air fryer", 119.99),
        ("Loxley knife block", 64.00),
        ("Solace coffee grinder", 54.99),
        ("Brisa toaster", 44.99),
    ),
    "electronics": (
        ("Aria wireless headphones", 149.00),
        ("Echoform soundbar", 199.00),
        ("Pulse robot vacuum", 299.00),
        ("Lumo bedside speaker", 79.00),
        ("Vesta stand mixer", 249.00),
        ("Ardent air fryer", 119.99),
    ),
    "fragile": (
        ("Nordlys floor lamp", 89.99),
        ("Halden dinner set", 74.50),
        ("Wren wall mirror", 95.00),
        ("Brook glass carafe set", 28.99),
        ("Marlow oak side table", 119.00),
        ("Fenwick bookcase", 179.00),
    ),
    "appliances": (
        ("Pulse robot vacuum", 299.00),
        ("Vesta stand mixer", 249.00),
        ("Ardent air fryer", 119.99),
        ("Solace coffee grinder", 54.99),
        ("Echoform soundbar", 199.00),
        ("Corra kettle", 39.99),
    ),
    "smart": (
        ("Kestrel Hub 2", 129.00),
        ("Lumen smart bulb 4-pack", 44.99),
        ("Kestrel Doorbell Cam", 99.00),
        ("Kestrel smart plug 2-pack", 29.99),
        ("Kestrel thermostat", 159.00),
    ),
}

ITEMS_NL = {
    "Ashby three-seater sofa": "Ashby driezitsbank",
    "Nordlys floor lamp": "Nordlys vloerlamp",
    "Corra kettle": "Corra waterkoker",
    "Halden dinner set": "Halden servies",
    "Wren wall mirror": "Wren wandspiegel",
    "Marlow oak side table": "Marlow eiken bijzettafel",
    "Fenwick bookcase": "Fenwick boekenkast",
    "Vesta stand mixer": "Vesta keukenmachine",
    "Ardent air fryer": "Ardent airfryer",
    "Brisa toaster": "Brisa broodrooster",
    "Brook glass carafe set": "Brook karaffenset",
    "Tamsin linen duvet cover": "Tamsin linnen dekbedovertrek",
    "Pemberly rug": "Pemberly vloerkleed",
    "Loxley knife block": "Loxley messenblok",
    "Solace coffee grinder": "Solace koffiemolen",
    "Aria wireless headphones": "Aria draadloze koptelefoon",
    "Pulse robot vacuum": "Pulse robotstofzuiger",
    "Corrie bedside table": "Corrie nachtkastje",
    "Elden office chair": "Elden bureaustoel",
    "Hatherley dining table": "Hatherley eettafel",
    "Lumo bedside speaker": "Lumo speaker",
}

COURIERS = ("ParcelPoint", "Swiftline", "HomeRun Logistics")
COURIER_PREFIX = {"ParcelPoint": "PP", "Swiftline": "SW", "HomeRun Logistics": "HR"}
PROMO_CODES = ("AUTUMN15", "WELCOME10", "HUBDEAL20", "FREESHIP", "KESTREL25", "COSYHOME")
DEVICES = (
    ("iPhone 13", "iOS 18.1"),
    ("iPhone 15 Pro", "iOS 18.1"),
    ("iPhone SE", "iOS 17.6"),
    ("Pixel 7a", "Android 15"),
    ("Galaxy S23", "Android 14"),
    ("Galaxy A54", "Android 14"),
    ("iPad Air", "iPadOS 18.0"),
    ("OnePlus 11", "Android 14"),
    ("Moto G84", "Android 14"),
)
APP_VERSIONS = ("4.12.0", "4.12.1", "4.11.3")
ROUTERS = ("BT Smart Hub 2", "Virgin Hub 5", "Sky Broadband Hub", "TP-Link Archer AX55", "EE Smart Hub")
STREETS = (
    "Mill Lane", "Orchard Road", "Kingfisher Way", "Station Street", "Rosemary Close", "Beacon Hill",
    "Willow Crescent", "Foundry Row", "Hawthorn Avenue", "Quarry Lane", "Chapel Street", "Meadow View",
)  # fmt: skip
TOWNS = (
    ("Kelbridge", "KB"), ("Ashcombe", "AC"), ("Wexley", "WX"), ("Thornham", "TH"), ("Hollingford", "HF"),
    ("Marston Vale", "MV"),
)  # fmt: skip
SLOTS = ("7am–11am", "10am–2pm", "12pm–4pm", "3pm–7pm")
COMPANY_SUFFIXES = ("Design Ltd", "& Partners", "Studio Ltd", "Consulting", "Architects LLP", "Dental Care")

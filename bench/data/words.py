"""Word lists the benchmarks' data generators draw from: names, trades, streets, cities.

Every list keeps its order (a generator's seed picks by index), so the same seed gives the same data
as before the lists moved here; a benchmark's list that is a slice of another is written as one.
"""

# --- names, trades, places (candidate lookup; the others take slices) ---------------------------

# Roughly by frequency: a Zipf weight by rank makes "Müller" common and the tail rare.
SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller",
    "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
    "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher",
    "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt",
    "Haas", "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl",
    "Engel", "Horn", "Busch", "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff",
    "Pfeiffer", "Ernst", "Hesse", "Wendt", "Kunz", "Ott", "Haase", "Schütz", "Dörr", "Kramer",
    "Brinkmann", "Gerlach", "Rieger", "Lindner", "Kolb", "Blume", "Nowak", "Kowalski",
    "Wiśniewski", "Lewandowski", "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk",  # noqa: RUF001
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "García", "Fernández",
    "González", "Rodríguez", "Martínez", "Dubois", "Lefèvre", "Moreau", "Laurent", "Nielsen",
    "Jensen", "Hansen", "Andersson", "Johansson", "Karlsson", "Virtanen", "Novák", "Dvořák",
    "Horváth", "Nagy", "Popescu", "Papadopoulos", "Smith", "Jones", "Brown", "Taylor",
    "Williams", "O'Connor", "Van der Berg", "de Jong", "Janssen", "Peeters", "Nguyen", "Tran",
    "Ivanov", "Petrov", "Kovačević", "Schwab", "Fritz", "Thiel", "Hermann", "Marx", "Wirth",
    "Raab", "Eckert", "Heinz", "Reuter", "Beyer", "Stahl", "Götz", "Kirchner", "Nickel",
    "Bock", "Seifert", "Ludewig", "Brenner", "Sander", "Wagenknecht", "Oswald", "Kessler",
    "Schrader", "Wenzel", "Jahn", "Mertens", "Sievers", "Behrens", "Petersen", "Jansen",
    "Hinrichs", "Wilke", "Hübner", "Lenz", "Runge", "Kruse", "Michels", "Stark", "Böttcher",
    "Heller", "Maurer", "Ebert", "Adam", "Vetter", "Pietsch", "Schilling", "Unger", "Brückner",
    "Thomsen", "Kurz", "Hauser", "Fiedler", "Rupp", "Seitz", "Marquardt", "Strauß", "Mayr",
)  # fmt: skip
# Synthetic surnames for the long tail ("Bergkamp", "Feldhaus", "Eichhorst").
SURNAME_HEADS = (
    "Acker", "Alt", "Berg", "Brink", "Dahl", "Eich", "Eck", "Feld", "Fried", "Gold", "Grün",
    "Hage", "Heid", "Hof", "Holz", "Horst", "Kirch", "Lind", "Mühl", "Neu", "Ost", "Rosen",
    "Sand", "Schön", "Stein", "Sonn", "Wald", "Wester", "Wies", "Wind", "Lau", "Kamp", "Brock",
    "Falk", "Hell", "Kling", "Mark", "Ruh", "Tann", "Bruch",
)  # fmt: skip
SURNAME_TAILS = (
    "mann", "er", "hoff", "haus", "meier", "brink", "kamp", "stedt", "berg", "rath", "bach",
    "feld", "hagen", "horst", "kötter", "müller", "schmidt", "beck", "wald", "reuther", "inger",
    "ling", "hardt", "eder", "huber",
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Lea", "Paul", "Hannah", "Leon",
    "Emilia", "Finn", "Clara", "Elias", "Johanna", "Noah", "Katharina", "Tim", "Laura", "Jan",
    "Thomas", "Michael", "Andreas", "Stefan", "Christian", "Sabine", "Petra", "Monika",
    "Ursula", "Klaus", "Jürgen", "Hans", "Peter", "Wolfgang", "Gabriele", "Birgit", "Heike",
    "Frank", "Uwe", "Dieter", "Jörg", "Björn", "Sören", "Günter", "Renée", "André", "José",
    "Zoë", "Mehmet", "Ayşe", "Fatma", "Ali", "Piotr", "Agnieszka", "Giovanni", "Francesca",
    "María", "Luis", "Olga", "Dmitri", "Lars", "Ingrid", "Matthias", "Tobias", "Julia",
    "Christina", "Martina", "Karin", "Helga", "Manfred", "Bernd", "Ralf", "Sven", "Nadine",
    "Sandra", "Nicole", "Daniela", "Melanie", "Kerstin", "Alexander", "Maximilian", "Benedikt",
    "Friederike", "Hans-Peter", "Karl-Heinz", "Anne-Marie", "Marie-Luise",
)  # fmt: skip
# After a surname or place: "Müller Haustechnik".
TRADES = (
    "Haustechnik", "Elektrotechnik", "Sanitärtechnik", "Heizungsbau", "Kältetechnik",
    "Klimatechnik", "Metallbau", "Stahlbau", "Holzbau", "Dachtechnik", "Gebäudereinigung",
    "Gebäudeservice", "Facility Management", "Immobilien", "Hausverwaltung", "Logistik",
    "Transporte", "Spedition", "Umzüge", "Bauunternehmung", "Tiefbau", "Gartenbau",
    "Garten- und Landschaftsbau", "Fensterbau", "Treppenbau", "Messtechnik", "Medizintechnik",
    "Automation", "Antriebstechnik", "Fördertechnik", "Aufzüge", "Brandschutz",
    "Sicherheitstechnik", "Energietechnik", "Solartechnik", "Bürotechnik", "IT-Service",
    "Systemhaus", "Steuerberatung", "Ingenieurgesellschaft", "Vermessung", "Consulting",
    "Beteiligungen", "Verwaltungsgesellschaft", "Handelsgesellschaft", "Industrieservice",
    "Kanalservice", "Entsorgung", "Recycling", "Reinigungsservice", "Pflegedienst", "Catering",
    "Lebensmittel", "Getränke", "Feinkost", "Textilpflege", "Druck & Medien", "Werbetechnik",
    "Kfz-Technik", "Fahrzeugbau", "Landtechnik", "Baustoffe", "Fliesen", "Parkett",
    "Bodenbeläge", "Raumausstattung", "Möbelwerkstätten", "Haushaltsgeräte", "Anlagenbau",
    "Maschinenbau", "Werkzeugbau", "Kunststofftechnik",
)  # fmt: skip
# Before a surname or place: "Elektro Schulz", "Autohaus Dortmund".
TRADE_PREFIXES = (
    "Elektro", "Sanitär", "Heizung & Sanitär", "Bäckerei", "Metzgerei", "Konditorei",
    "Autohaus", "Reifen", "Malerbetrieb", "Dachdeckerei", "Zimmerei", "Schreinerei", "Tischlerei",
    "Glaserei", "Schlosserei", "Gärtnerei", "Blumen", "Optik", "Hörgeräte", "Sanitätshaus",
    "Apotheke", "Physiotherapie", "Zahnarztpraxis Dr.", "Praxis Dr.", "Hotel", "Gasthof",
    "Landgasthof", "Restaurant", "Café", "Fahrschule", "Friseursalon", "Kosmetikstudio",
    "Fitnessstudio", "Kanzlei", "Steuerbüro", "Architekturbüro", "Ingenieurbüro", "Immobilien",
    "Versicherungsbüro", "Reisebüro", "Getränke", "Fliesen", "Holzbau", "Baugeschäft",
    "Bauunternehmen", "Pflegedienst", "Hausmeisterservice", "Kfz-Werkstatt",
)  # fmt: skip
PLACES = (
    "Rhein-Ruhr", "Rhein-Main", "Rhein-Neckar", "Ruhrgebiet", "Niederrhein", "Nordsee",
    "Ostsee", "Allgäu", "Schwarzwald", "Bodensee", "Münsterland", "Sauerland", "Siegerland",
    "Eifel", "Hunsrück", "Taunus", "Harz", "Spreewald", "Erzgebirge", "Vogtland", "Oberpfalz",
    "Franken", "Ostwestfalen", "Emsland", "Lausitz", "Altmark", "Uckermark", "Nord", "Süd",
    "West", "Ost", "Mitte",
)  # fmt: skip
CITIES = (
    "Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Düsseldorf",
    "Dortmund", "Essen", "Leipzig", "Bremen", "Dresden", "Hannover", "Nürnberg", "Duisburg",
    "Bochum", "Wuppertal", "Bielefeld", "Bonn", "Münster", "Mannheim", "Karlsruhe", "Augsburg",
    "Wiesbaden", "Mönchengladbach", "Gelsenkirchen", "Aachen", "Braunschweig", "Kiel",
    "Chemnitz", "Halle (Saale)", "Magdeburg", "Freiburg im Breisgau", "Krefeld", "Mainz",
    "Lübeck", "Erfurt", "Oberhausen", "Rostock", "Kassel", "Hagen", "Potsdam", "Saarbrücken",
    "Hamm", "Ludwigshafen am Rhein", "Oldenburg", "Osnabrück", "Leverkusen", "Heidelberg",
    "Darmstadt", "Solingen", "Regensburg", "Herne", "Paderborn", "Neuss", "Ingolstadt",
    "Offenbach am Main", "Fürth", "Würzburg", "Ulm", "Heilbronn", "Pforzheim", "Wolfsburg",
    "Göttingen", "Bottrop", "Reutlingen", "Koblenz", "Bremerhaven", "Recklinghausen",
    "Erlangen", "Bergisch Gladbach", "Trier", "Jena", "Remscheid", "Moers", "Siegen",
    "Hildesheim", "Salzgitter", "Cottbus", "Gütersloh", "Kaiserslautern", "Witten", "Hanau",
    "Schwerin", "Gera", "Esslingen am Neckar", "Iserlohn", "Ludwigsburg", "Düren", "Zwickau",
    "Flensburg", "Ratingen", "Lünen", "Villingen-Schwenningen", "Konstanz", "Marl", "Worms",
    "Velbert", "Minden", "Dorsten", "Neumünster",
)  # fmt: skip
INTL_ADJECTIVES = (
    "Global", "Nordic", "Alpine", "Euro", "Atlas", "Vector", "Nova", "Prime", "Delta", "Apex",
    "Summit", "Blue", "Green", "Bright", "Smart", "United", "Pacific", "Atlantic",
    "Continental", "Premier", "Silver", "Golden", "Quantum", "Stellar", "Pioneer", "Horizon",
    "Crystal", "Falcon", "Phoenix", "Orion", "Vertex", "Zenith", "Polar", "Urban", "Central",
    "Royal", "Iberia", "Baltic", "Danube", "Aurora", "Meridian", "Cobalt", "Northstar",
    "Evergreen", "Bluewater", "Clearview", "Redstone", "Ironbridge", "Westfield", "Eastgate",
)  # fmt: skip
INTL_NOUNS = (
    "Solutions", "Logistics", "Systems", "Services", "Technologies", "Consulting", "Partners",
    "Holdings", "Group", "Industries", "Trading", "Software", "Networks", "Medical", "Energy",
    "Foods", "Pharma", "Robotics", "Analytics", "Dynamics", "Engineering", "Automation",
    "Facilities", "Properties", "Retail", "Hospitality", "Healthcare", "Labs", "Ventures",
    "Capital", "Electronics", "Materials", "Packaging", "Mobility", "Freight", "Maritime",
    "Aviation", "Security", "Digital", "Media", "Medical Supply",
)  # fmt: skip
FANTASY_HEADS = (
    "Tec", "Inter", "Medi", "Therm", "Aqua", "Elektr", "Sani", "Bau", "Lo", "Trans", "Ver",
    "Pro", "Uni", "Kom", "Dat", "Sys", "Nor", "Sud", "Vita", "Terra", "Ind", "Hydr", "Klima",
    "Lux", "Flex",
)  # fmt: skip
FANTASY_TAILS = (
    "nova", "tec", "plan", "con", "tronic", "log", "med", "san", "therm", "tex", "data", "form",
    "sys", "net", "line", "care", "tra", "bau", "werk", "service", "ix", "on", "ona", "as",
)  # fmt: skip
LEGAL_DE = (
    ("GmbH", 40), ("GmbH & Co. KG", 15), ("UG (haftungsbeschränkt)", 5), ("AG", 4), ("KG", 5),
    ("OHG", 3), ("e.K.", 6), ("GbR", 4), ("mbH", 2), ("e.V.", 1), ("eG", 1), ("SE", 1), ("", 13),
)  # fmt: skip
LEGAL_INTL = (
    ("Ltd.", 8), ("Limited", 3), ("Inc.", 5), ("LLC", 4), ("plc", 1), ("S.A.", 3), ("SARL", 2),
    ("S.r.l.", 2), ("S.p.A.", 1), ("B.V.", 3), ("N.V.", 1), ("AB", 2), ("Oy", 1), ("ApS", 1),
    ("A/S", 1), ("Kft.", 1), ("GmbH", 6), ("AG", 2), ("", 6),
)  # fmt: skip
STREET_HEADS = (
    "Haupt", "Bahnhof", "Schul", "Garten", "Dorf", "Berg", "Linden", "Birken", "Eichen",
    "Mühlen", "Kirch", "Wald", "Ring", "Feld", "Wiesen", "Goethe", "Schiller", "Mozart",
    "Beethoven", "Industrie", "Friedhof", "Sonnen", "Rosen", "Buchen", "Tannen", "Ahorn",
    "Kastanien", "Post", "Markt", "Brunnen", "Bach", "See", "Burg", "Schloss", "Park", "Jahn",
    "Kant", "Heine", "Uhland", "Lessing", "Hafen", "Friedrich", "Wilhelm", "Luisen", "Kaiser",
    "Bismarck", "Blumen", "Drossel", "Amsel", "Finken", "Lerchen", "Hohe", "Neue", "Alte",
    "Mittel", "Raiffeisen", "Gewerbe", "Handwerker", "Brücken", "Hansa", "Kettwiger",
    "Rüttenscheider", "Dürener", "Kölner", "Berliner", "Hamburger", "Münchner", "Frankfurter",
)  # fmt: skip
# (suffix, weight); multi-word heads like "Kettwiger" take " Straße".
STREET_TAILS = (
    ("straße", 50), ("weg", 15), ("allee", 5), ("platz", 4), ("ring", 5), ("gasse", 3),
    ("damm", 2), ("ufer", 1), ("steig", 1), ("pfad", 1),
)  # fmt: skip
MULTIWORD_STREET_HEADS = frozenset(
    {"Kettwiger", "Rüttenscheider", "Dürener", "Kölner", "Berliner", "Hamburger", "Münchner"}
    | {"Frankfurter"}
)
STREET_OTHER = (
    "Am Markt", "An der Kirche", "Im Gewerbepark", "Zur Mühle", "Am Bahnhof", "Auf dem Berg",
    "In der Aue", "Am Stadtpark", "Unter den Linden", "Zum Hafen", "Am Sportplatz", "Im Winkel",
)  # fmt: skip
PROVIDERS = ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.com", "posteo.de")
SYLLABLES = (
    "ka", "lo", "ri", "ve", "ta", "no", "mi", "sa", "de", "ra", "ni", "to", "be", "li", "ma",
    "ko", "ze", "pa", "fi", "go", "xa", "vi", "ro", "lu", "te", "ba", "do", "me", "su", "ne",
    "tri", "kon", "ver", "lin", "tex", "mar", "sol", "dat", "var", "nor", "tec", "vis", "bel",
    "cor", "dor", "fer", "gal", "ham", "ion", "jan", "kel", "lex", "mun", "nex", "ox", "pur",
)  # fmt: skip


# --- the matching-quality population: German master data with its cities' postal codes -----

# A German population's surnames in frequency order, then a few of other origins.
LAST_NAMES_DE = (
    *SURNAMES[:100],
    "Y\u0131lmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Nowak", "Kowalski", "Nguyen",
    "Popescu", "Petrović", "Wójcik",
)  # fmt: skip
FIRST_NAMES_DE = (
    "Anna", "Peter", "Maria", "Michael", "Thomas", "Ursula", "Andreas", "Monika", "Stefan",
    "Petra", "Christian", "Sabine", "Wolfgang", "Claudia", "Klaus", "Susanne", "Jürgen", "Andrea",
    "Frank", "Julia", "Uwe", "Katharina", "Markus", "Laura", "Bernd", "Lea", "Matthias", "Sophie",
    "Jan", "Hannah", "Martin", "Emma", "Daniel", "Mia", "Tobias", "Lena", "Sebastian", "Sarah",
    "Florian", "Christina", "Jörg", "Stefanie", "Lukas", "Nicole", "Jonas", "Birgit", "Leon",
    "Heike", "Felix", "Karin", "Paul", "Renate", "Tim", "Gabriele", "Niklas", "Ingrid", "Hans",
    "Helga", "Dieter", "Elke", "Ralf", "Jana", "Sven", "Paula", "Holger", "Daniela", "Dirk",
    "Michaela", "Björn", "Christiane", "Jens", "Martina", "Oliver", "Carla", "Maximilian",
    "Hanna", "Mehmet", "Ayşe", "Ahmet", "Fatma", "Murat", "Zeynep", "Piotr", "Katarzyna",
    "Michał", "Małgorzata", "Thi Lan", "Ion",
)  # fmt: skip
TRADES_DE = (
    "Haustechnik", "Elektrotechnik", "Elektro", "Sanitär", "Heizung und Sanitär", "Kältetechnik",
    "Klimatechnik", "Gebäudereinigung", "Dachdeckerei", "Malerbetrieb", "Tischlerei",
    "Schreinerei", "Bäckerei", "Metzgerei", "Autohaus", "Kfz-Werkstatt", "Reifenservice",
    "Bauunternehmung", "Garten- und Landschaftsbau", "Hausverwaltung", "Immobilien", "Spedition",
    "Transporte", "Medizintechnik", "Pflegedienst", "Physiotherapie", "Steuerberatung",
    "Druckerei", "Metallbau", "Stahlbau", "Aufzugstechnik", "Brandschutz", "Sicherheitstechnik",
    "Getränkehandel", "Optik", "Hörgeräte", "Fliesen", "Glaserei", "Rollladenbau", "Zahntechnik",
)  # fmt: skip
REGIONS_DE = (
    "Rhein-Ruhr", "Westfalen", "Niederrhein", "Rheinland", "Emscher", "Nordsee", "Ostsee",
    "Schwaben", "Franken", "Oberbayern", "Sauerland", "Münsterland", "Harz", "Taunus", "Spree",
    "Elbe", "Weser", "Allgäu", "Bodensee", "Eifel",
)  # fmt: skip
BRANDS = (
    "Novatec", "Primus", "Optima", "Delta", "Secura", "Thermoplus", "AquaTec", "BauFix",
    "CleanStar", "LogiTrans", "MediCare", "Vitalis", "Elektra", "Kompass", "Zenit", "Orbis",
    "Fortis", "Terra", "Lumen", "Ventus", "Polaris", "Atlas", "Nexus", "Pro-Tec", "Multi-Service",
)  # fmt: skip
PHARMACY_NAMES = ("Adler", "Löwen", "Stern", "Sonnen", "Rosen", "Hirsch", "Engel", "Linden",
                  "Markt", "Bahnhof", "Park", "Rathaus", "Schloss", "Central",
                  "Einhorn")  # fmt: skip
STREETS_DE = (
    "Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Goethestraße", "Kirchstraße",
    "Gartenstraße", "Schulstraße", "Lindenstraße", "Bergstraße", "Industriestraße",
    "Hachestraße", "Kettwiger Straße", "Rüttenscheider Straße", "Alfred-Krupp-Straße",
    "Friedrich-Ebert-Straße", "Konrad-Adenauer-Straße", "Kaiser-Wilhelm-Straße",
    "Schloßstraße", "Mühlenweg", "Birkenweg", "Am Stadtpark", "Am Markt", "An der Ruhr",
    "Im Gewerbepark", "Lindenallee", "Marktplatz", "Europaplatz", "Theodor-Heuss-Ring",
    "Gewerbering", "Hafenstraße", "Kantstraße", "Ringstraße", "Wilhelmstraße", "Mozartstraße",
    "Poststraße", "Feldstraße", "Dorfstraße", "Waldstraße", "Rosenstraße", "Uhlandstraße",
    "Königsallee", "Leopoldstraße", "Zeil", "Kurfürstendamm", "Straße des 17. Juni",
    "Frankfurter Straße", "Kölner Straße", "Dortmunder Straße", "Essener Straße",
    "Münchener Straße", "Brückenstraße", "Sankt-Georg-Straße", "Von-der-Tann-Straße",
    "Jägerstraße", "Grüner Weg", "Heinrich-Heine-Allee", "Düsseldorfer Straße", "Ulmenweg",
)  # fmt: skip
# name, country, postal codes, lat, lon, phone prefix (international form), weight, spellings
CITIES_DE = (
    ("Essen", ["45127", "45128", "45130", "45131", "45133", "45136", "45138", "45139", "45141",
               "45143", "45145", "45147", "45149"], 51.4556, 7.0116, "201", 8,
     ("Essen-Rüttenscheid", "Essen (Ruhr)")),
    ("Bochum", ["44787", "44789", "44791", "44793", "44795", "44799", "44801", "44803", "44805"],
     51.4818, 7.2162, "234", 5, ()),
    ("Dortmund", ["44135", "44137", "44139", "44141", "44143", "44145", "44147", "44149"],
     51.5136, 7.4653, "231", 6, ()),
    ("Düsseldorf", ["40210", "40211", "40212", "40213", "40215", "40217", "40219", "40221",
                    "40223", "40225", "40227", "40229"], 51.2277, 6.7735, "211", 6,
     ("Duesseldorf",)),
    ("Köln", ["50667", "50668", "50670", "50672", "50674", "50676", "50677", "50678", "50733",
              "50735", "50737", "50739"], 50.9375, 6.9603, "221", 7, ("Koeln", "Cologne")),
    ("Duisburg", ["47051", "47053", "47055", "47057", "47058", "47059", "47119"], 51.4344,
     6.7623, "203", 3, ()),
    ("Gelsenkirchen", ["45879", "45881", "45883", "45884", "45886", "45888"], 51.5177, 7.0857,
     "209", 2, ()),
    ("Mülheim an der Ruhr", ["45468", "45470", "45472", "45473", "45475", "45476", "45478"],
     51.4275, 6.8825, "208", 2, ("Mülheim a.d. Ruhr", "Mülheim", "Muelheim an der Ruhr")),
    ("Münster", ["48143", "48145", "48147", "48149", "48151", "48153", "48155"], 51.9607, 7.6261,
     "251", 3, ("Muenster", "Münster (Westf.)")),
    ("Hannover", ["30159", "30161", "30163", "30165", "30167", "30169", "30171", "30173"],
     52.3759, 9.7320, "511", 4, ("Hanover",)),
    ("Frankfurt am Main", ["60306", "60308", "60311", "60313", "60314", "60316", "60318",
                           "60320", "60322", "60325", "60326", "60327"], 50.1109, 8.6821, "69",
     6, ("Frankfurt", "Frankfurt a.M.", "Frankfurt/Main")),
    ("Stuttgart", ["70173", "70174", "70176", "70178", "70180", "70182", "70184", "70186",
                   "70188", "70190", "70191", "70192"], 48.7758, 9.1829, "711", 5, ()),
    ("München", ["80331", "80333", "80335", "80336", "80337", "80339", "80469", "80538",
                 "80539", "80634", "80636", "80637", "81369", "81371", "81541", "81543"],
     48.1351, 11.5820, "89", 8, ("Muenchen", "Munich")),
    ("Berlin", ["10115", "10117", "10119", "10178", "10179", "10243", "10245", "10247", "10405",
                "10407", "10435", "10437", "10551", "10553", "10623", "10625", "12043", "12045",
                "13347", "13349"], 52.5200, 13.4050, "30", 10, ()),
    ("Hamburg", ["20095", "20097", "20099", "20144", "20146", "20148", "20249", "20251",
                 "20253", "22041", "22043", "22081", "22083", "22085"], 53.5511, 9.9937, "40",
     8, ()),
    ("Leipzig", ["04103", "04105", "04107", "04109", "04155", "04157", "04177", "04229"],
     51.3397, 12.3731, "341", 4, ()),
    ("Dresden", ["01067", "01069", "01097", "01099", "01127", "01139", "01157"], 51.0504,
     13.7373, "351", 3, ()),
    ("Nürnberg", ["90402", "90403", "90408", "90409", "90411", "90419", "90429", "90431",
                  "90439", "90441"], 49.4521, 11.0767, "911", 4, ("Nuernberg", "Nuremberg")),
    ("Bremen", ["28195", "28197", "28199", "28201", "28203", "28205", "28207", "28209"],
     53.0793, 8.8017, "421", 3, ()),
    ("Bielefeld", ["33602", "33604", "33605", "33607", "33609", "33611"], 52.0302, 8.5325,
     "521", 2, ()),
    ("Augsburg", ["86150", "86152", "86153", "86154", "86156", "86157", "86159"], 48.3705,
     10.8978, "821", 2, ()),
    ("Hattingen", ["45525", "45527", "45529"], 51.3990, 7.1860, "2324", 1, ()),
    ("Velbert", ["42549", "42551", "42553", "42555"], 51.3394, 7.0434, "2051", 1, ()),
    ("Weiden i.d.OPf.", ["92637"], 49.6768, 12.1561, "961", 1,
     ("Weiden", "Weiden in der Oberpfalz")),
    ("Halle (Saale)", ["06108", "06110", "06112", "06114"], 51.4969, 11.9688, "345", 1,
     ("Halle", "Halle/Saale")),
    ("Freiburg im Breisgau", ["79098", "79100", "79102", "79104", "79106"], 47.9990, 7.8421,
     "761", 2, ("Freiburg", "Freiburg i. Br.")),
)  # fmt: skip
MAIL_DOMAINS_PRIVATE = ("web.de", "gmx.de", "gmail.com", "t-online.de", "outlook.de",
                        "posteo.de", "icloud.com", "freenet.de")  # fmt: skip

"""Given names that stand for one another: a name and its short forms or spoken variants, German
and English. A small curated list shipped with the code (not a guess: a pair missing here is
"another given name", which keeps the record from linking on its own; a wrong pair could link
two relatives, so every group below is a form the name's bearer is called by).

Source: curated by hand for Ordinavo (issue #16) from everyday usage in Germany, the UK and the
US; the reference for additions is a name's entry in the German or English Wikipedia (Kurzformen,
diminutives). The tests check that no group joins names that differ only at their end (Jan /
Jana, Paul / Paula, Christine / Christina: relatives, not variants). A short form may stand for
several names (Chris: Christian, Christopher, Christine). Left out on purpose: forms that are
given names of their own a relative may bear (Jack for John, Lena for Magdalena, Leo for
Leonhard, Sandra for Alexandra).
"""

import functools

from customers.normalization import fold

VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    # German
    ("johann", "johannes", "hans", "hannes"),
    ("katharina", "kathrin", "katrin", "katja", "kati", "kathi", "katarina"),
    ("margarete", "margarethe", "grete", "gretel", "margret", "margit"),
    ("elisabeth", "lisa", "liesel", "lise", "elsbeth", "lisbeth", "sissi"),
    ("wilhelm", "willi", "willy", "wim"),
    ("friedrich", "fritz", "fred"),
    ("heinrich", "heinz", "hinrich"),
    ("josef", "joseph", "sepp", "seppi", "jupp", "joe"),
    ("franziska", "franzi", "fanny"),
    ("franz", "franziskus"),
    ("christine", "christa", "tina"),
    ("alexander", "alex", "sascha", "xander"),
    ("alexandra", "alexa"),
    ("sebastian", "basti", "bastian"),
    ("stefanie", "stephanie", "steffi"),
    ("maximilian", "max", "maxi"),
    ("matthias", "mathias", "matze", "matthes"),
    ("gertrud", "gertraud", "trude", "traudl"),
    ("susanne", "susi", "sanne"),
    ("gabriele", "gabi", "gaby"),
    ("wolfgang", "wolf"),
    ("bernhard", "bernd", "bernard"),
    ("ulrich", "uli", "ulli"),
    ("andreas", "andi", "andy"),
    ("thomas", "tom", "thom", "tommy"),
    ("michael", "micha", "michi", "mike", "mick"),
    ("nikolaus", "klaus", "claus", "nicolaus"),
    ("dietrich", "dieter", "diedrich"),
    ("rudolf", "rudi"),
    ("gerhard", "gerd", "gert"),
    ("reinhard", "reinhold"),
    ("helmut", "helmuth", "helmi"),
    ("jürgen", "jurgen"),
    ("walter", "walther", "walt"),
    ("annemarie", "anne-marie", "annemie"),
    ("hannelore", "hanne", "lore"),
    ("rosemarie", "rosi"),
    ("barbara", "babsi", "barbra", "babs"),
    ("brigitte", "gitte", "biggi"),
    ("ingeborg", "inge"),
    ("dorothea", "dorothee", "thea"),
    ("cornelia", "conny", "nele"),
    ("veronika", "vroni"),
    ("theresa", "therese", "resi", "tessa"),
    ("magdalena", "magda"),
    ("philipp", "phillip", "filip", "phil"),
    ("christian", "kristian", "chris"),
    ("christoph", "christopher", "kristof", "chris"),
    ("stefan", "stephan", "steffen"),
    ("claudia", "klaudia"),
    ("ralf", "ralph"),
    ("carl", "karl", "charly"),
    ("carola", "karola"),
    ("konstantin", "constantin", "konny"),
    ("benedikt", "bene"),
    ("leonhard", "leonard"),
    ("ludwig", "lutz", "lude"),
    ("ferdinand", "ferdi"),
    ("eberhard", "ebi"),
    ("siegfried", "siggi"),
    # English
    ("robert", "bob", "bobby", "rob", "robbie"),
    ("william", "bill", "billy", "will", "willie"),
    ("richard", "dick", "rick", "ricky", "rich", "richie"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "bess"),
    ("margaret", "maggie", "peggy", "meg", "marge", "madge"),
    ("catherine", "katherine", "kathryn", "kate", "katie", "cathy", "kathy", "kat"),
    ("christopher", "chris", "kit"),
    ("daniel", "dan", "danny"),
    ("matthew", "matt", "mathew"),
    ("anthony", "tony", "antony"),
    ("andrew", "andy", "drew"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("james", "jim", "jimmy", "jamie"),
    ("jennifer", "jenny", "jen"),
    ("patricia", "pat", "patty", "trish"),
    ("patrick", "pat", "paddy"),
    ("rebecca", "becky", "becca", "rebekah"),
    ("victoria", "vicky", "tori"),
    ("benjamin", "ben", "benny"),
    ("samuel", "sam", "sammy"),
    ("joseph", "joe", "joey"),
    ("charles", "charlie", "chuck", "chas"),
    ("susan", "sue", "susie"),
    ("stephen", "steven", "steve", "stevie"),
    ("peter", "pete"),
    ("john", "johnny", "jon"),
    ("alexander", "alex", "sandy"),
    ("jonathan", "jon", "jonny"),
    ("nicholas", "nick", "nicky"),
    ("timothy", "tim", "timmy"),
    ("gregory", "greg"),
    ("frederick", "fred", "freddie"),
    ("henry", "hal", "hank"),
    ("lawrence", "larry", "laurence"),
    ("kenneth", "ken", "kenny"),
    ("ronald", "ron", "ronnie"),
    ("donald", "don", "donnie"),
    ("raymond", "ray"),
    ("gerald", "gerry", "jerry"),
    ("philip", "phil", "pip"),
    ("deborah", "debbie", "deb", "debra"),
    ("dorothy", "dot", "dottie"),
    ("abigail", "abby", "abbie"),
    ("samantha", "sam", "sammy"),
    ("alexandra", "alex", "lexi"),
    ("christine", "chris", "chrissie"),
    ("sarah", "sara", "sally"),
    ("anne", "ann", "annie", "nan"),
    ("mary", "molly", "polly", "mae"),
    ("helen", "nell", "nellie"),
    ("eleanor", "ellie", "nora", "elly"),
    ("caroline", "carrie", "carol"),
    ("judith", "judy", "jude"),
    ("theodore", "theo", "ted", "teddy"),
    ("thomas", "tom", "tommy"),
    ("michael", "mike", "mikey", "mick"),
)


@functools.cache
def _groups_by_name() -> dict[str, frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for n, group in enumerate(VARIANT_GROUPS):
        for name in group:
            groups.setdefault(fold(name), set()).add(n)
    return {name: frozenset(ids) for name, ids in groups.items()}


def known_given_name(word: str) -> bool:
    """A name of this list: a real given name, not a typo of one."""
    return word in _groups_by_name()


def given_name_groups(word: str) -> frozenset[int]:
    """The variant groups of this list a name (folded word) belongs to."""
    return _groups_by_name().get(word, frozenset())


def given_name_variants(a: str, b: str) -> bool:
    """`a` and `b` (folded words) are forms of one given name: Johann / Hans, Robert / Bob,
    Katharina / Kathrin. A name is not its own variant (that is the same name)."""
    if a == b:
        return False
    groups = _groups_by_name()
    return bool(groups.get(a, frozenset()) & groups.get(b, frozenset()))


@functools.cache
def group_initials(group: int) -> frozenset[str]:
    """The first letters of the names of one variant group (`given_name_groups`)."""
    return frozenset(fold(name)[:1] for name in VARIANT_GROUPS[group])

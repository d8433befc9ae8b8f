"""A compact offline table of English given-name equivalences (Bob = Robert, Peggy = Margaret).

Each line of `_TABLE` is one group: a formal name, then the short forms and variants
people write for it. Names are lower-case ascii, as `comparisons.fold` makes them. A name
may sit in several groups ("chris" is Christopher, Christine and Christina; "pat" is
Patrick and Patricia): two names are equivalent when they share at least one group.
The table is kept in code, not a data file, so it ships with every install of the
package without package-data configuration.
"""

from __future__ import annotations

from functools import cache

from unidecode import unidecode

_TABLE = """
abigail: abby abbie gail
abraham: abe abram
adelaide: addie adela della heidi
agnes: aggie nessa nessie
albert: al bert bertie albie
alexander: alex alec alick sandy xander lex alexandre
alexandra: alex alexa sandra sandy lexi alix
alfred: alf alfie fred freddie
alice: allie ally alicia alisha
allison: allie ally alison
amanda: mandy manda
andrew: andy drew andre
angela: angie angel
anne: ann annie nan nancy nanny anna hannah
anthony: tony ant antony anton
antoinette: toni netta
arabella: bella belle
archibald: archie baldie
arnold: arnie
arthur: art artie
augustus: gus august
barbara: barb barbie babs bab
barnabas: barney barnaby
bartholomew: bart bat
beatrice: bea trixie beattie
benedict: ben benny bennett
benjamin: ben benny benjy benji
bernard: bernie barney
bertram: bert bertie
beverly: bev beverley bevy
bradley: brad
brandon: bran
bridget: biddy bridie bridgette brigitte
calvin: cal
cameron: cam
candace: candy candice
carl: charles karl
carol: carrie caroline carole
caroline: carrie carol lina callie
catherine: cathy kate katie kathy cat cathie kit kitty katharine kathryn katherine
cecilia: cece cissy celia sissy
charles: charlie chuck chas chaz carl chip charley
charlotte: lottie charlie lotte
christian: chris christy kit
christina: chris chrissy tina christy kristina
christine: chris chrissy tina christy kristine
christopher: chris kit topher kris christy
clarence: clare clarry
clifford: cliff
cornelius: neil corny con
cynthia: cindy
daniel: dan danny dannie
david: dave davie davey davy
deborah: debbie deb debra debby
dennis: denny
diana: di diane dianne
dolores: lola dee lolita
dominic: dom nick
donald: don donnie donny
dorothy: dot dottie dolly dora
douglas: doug dougie
edgar: ed eddie ned
edmund: ed eddie ned ted
edward: ed eddie ned ted teddy ward ned
eleanor: ellie nell nellie nora elle elaine
elizabeth: liz lizzie beth betty bess bessie eliza lisa elsie libby betsy lizzy elisabeth
emily: emmy em millie
ernest: ernie
esther: essie hester
eugene: gene
evangeline: eva vangie
evelyn: eve evie
florence: flo flossie florrie
frances: fran frankie fanny francie
francis: frank frankie fran
franklin: frank frankie
frederick: fred freddie freddy fritz rick
gabriel: gabe gabby
gabrielle: gabby gabi brie
geoffrey: geoff jeff jeffrey
george: georgie geordie
georgina: georgie gina
gerald: gerry jerry
geraldine: gerry jerri dina
gertrude: gertie trudy
gilbert: gil bert
gloria: glory
gregory: greg
gwendolyn: gwen wendy
harold: harry hal
harriet: hattie harry
henry: harry hank hal hen
herbert: herb bert
horace: horry
howard: howie
hubert: hugh bert
hugh: hughie hugo
ignatius: iggy
isaac: ike
isabella: bella belle izzy isabel isobel
jacob: jake jack jay
jacqueline: jackie jacqui
james: jim jimmy jamie jem jimmie
jane: janie jenny jean janet
janet: jan jenny jenni
jasmine: jas jazz jazzy
jeffrey: jeff geoff geoffrey
jennifer: jen jenny jenni
jeremiah: jerry jeremy
jerome: jerry
jessica: jess jessie
joanna: jo joan joanne
john: jack johnny jon jonny jock
jonathan: jon jonny nathan john
joseph: joe joey jo jos
josephine: jo josie jody fina
joshua: josh
judith: judy jude
julia: julie jules
julian: jules
katherine: kate katie kathy kay kit kitty catherine kathryn
kenneth: ken kenny
kimberly: kim kimmy kimberley
lawrence: larry laurie lance lawrie laurence
leonard: leo len lenny leon
leslie: les
lillian: lily lil lilly
louis: lou louie lewis
louise: lou lulu louisa
lucille: lucy lou
lucinda: lucy cindy
luke: lucas
madeline: maddie maddy madge madeleine
margaret: maggie meg peggy peg marge madge greta rita daisy margie molly maisie
marjorie: marge margie
martha: marty patty mattie
martin: marty
mary: molly polly mae mamie maria marie may mimi
matilda: tilly tillie maud
matthew: matt matty
maurice: morris mo
maxwell: max
melissa: mel missy lissa
michael: mike mikey mick mickey micky mitch
michelle: shelly mickey chelle
mildred: millie milly
miriam: mimi mitzi
mitchell: mitch
montgomery: monty
nathan: nate nat
nathaniel: nat nate nathan
nicholas: nick nicky nico colin
nicole: nicky nikki
norman: norm
oliver: ollie
olivia: liv livvy ollie
oswald: ozzie oz
patricia: pat patty patsy tricia trish
patrick: pat paddy patsy rick
penelope: penny
peter: pete
philip: phil pip phillip
phyllis: phyl
priscilla: cilla prissy
rachel: rae shelly
raymond: ray
rebecca: becky becca reba
reginald: reg reggie rex
richard: rick ricky dick dicky rich richie
robert: bob bobby rob robbie bert robin rab
roderick: rod roddy rick
rodney: rod
roger: rog
ronald: ron ronnie
rosalind: ros roz rosie
rose: rosie rosa
rosemary: rose rosie romy
rudolph: rudy rudi dolph
russell: russ rusty
samantha: sam sammy
samuel: sam sammy
sarah: sally sadie sara
sebastian: seb bastian
sharon: shari
sheila: sheelagh
shirley: shirl
sidney: sid syd
simon: si
solomon: sol
sophia: sophie
stanley: stan
stephanie: steph stevie
stephen: steve stevie steven
stuart: stu stewart
susan: sue susie suzy susanna susannah
sylvester: sly vester
sylvia: syl
terence: terry
theodore: ted teddy theo
theresa: terry tess tessa tracy teresa
thomas: tom tommy thom
timothy: tim timmy
tobias: toby
valentine: val
valerie: val
veronica: ronnie nicky vera
victor: vic
victoria: vicky tori vic vikki
vincent: vince vinny
virginia: ginny ginger
walter: walt wally
wilfred: will willie fred
wilhelmina: mina willa minnie
william: will bill billy willy willie liam
winifred: winnie freda
yvonne: vonnie
zachary: zach zack zac
donovan: don donnie
ricardo: ricky rick ricki
natalie: nat nattie talia
natasha: tasha nat tash
rochelle: shelly shelley chelle
tamara: tammy tam mara
tamika: tammy mika
"""


def _parse(table: str) -> tuple[dict[str, frozenset[int]], list[str]]:
    groups: dict[str, set[int]] = {}
    formals: list[str] = []
    for number, line in enumerate(row for row in table.splitlines() if row.strip()):
        formal, _, rest = line.partition(":")
        formals.append(formal.strip())
        for name in (formal, *rest.split()):
            groups.setdefault(name.strip(), set()).add(number)
    return {name: frozenset(ids) for name, ids in groups.items()}, formals


_GROUPS, _FORMALS = _parse(_TABLE)
_FORMAL_SET = frozenset(_FORMALS)


@cache
def nickname_groups(name: str) -> frozenset[int]:
    """The groups a folded given name belongs to; empty when the table does not know it.

    A name of several words ("mary ann") is looked up whole, then by its first word.
    """
    found = _GROUPS.get(name)
    if found is None and " " in name:
        found = _GROUPS.get(name.split(" ", 1)[0])
    return found or frozenset()


def are_nicknames(a: str, b: str) -> bool:
    """True when two folded given names share a nickname group (Bob / Robert)."""
    return not nickname_groups(a).isdisjoint(nickname_groups(b))


@cache
def formal_names(name: str) -> tuple[str, ...]:
    """The formal names a folded given name may stand for ("sam": samantha, samuel), as
    letters only; empty when the table does not know it or it is formal itself."""
    forms = ("".join(ch for ch in _FORMALS[g] if ch.isalpha()) for g in nickname_groups(name))
    return tuple(sorted({f for f in forms if f != name}))


@cache
def canonical_given(name: str) -> str:
    """The formal form of a given name, for blocking keys: 'Bobby' -> 'robert'.

    A formal name stays itself; a short form shared by several names takes the first
    group of the table; a name the table does not know comes back folded.
    """
    folded = " ".join(unidecode(name).lower().split())
    if folded in _FORMAL_SET:
        return folded
    groups = nickname_groups(folded)
    return _FORMALS[min(groups)] if groups else folded

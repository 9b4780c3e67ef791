"""Which language a citizen's message is written in: Danish, English, or can't tell.

The portal sends the page's language with every message, but a citizen may write English
on a Danish page (or Danish on an English one); they are then answered in the language
they wrote (the rules are in actions.ActionReadMetadata). This module only reads the
message: it counts the words that belong to one language only — function words and
everyday words, also as people write them without æ/ø/å, misspelt or as slang ("jeg",
"ikke", "hvordan", "faa", "ik"; "the", "don't", "im", "wanna") — words with æ/ø/å, and
English contractions. Names of places and words both languages use ("i", "for", "at",
"man", "ok", "sorry", "hash") count for neither.

A message is only given a language when it is clear: at least two words of it and more
than twice as many as of the other. Button payloads ("/affirm"), numbers, a place, "ok",
one word ("tak", "thanks") or a mixed message are "can't tell" (None): the conversation
keeps its language. One pass over the words and set look-ups: it runs on every message.
"""

from __future__ import annotations

import re
from typing import Literal

import textfold

from actions import places

Language = Literal["da", "en"]
_LANGUAGES: dict[str, Language] = {"da": "da", "en": "en"}

# Danish words, written as in Danish (folded on load, so "hjælp", "hjaelp" and "hjelp"
# all count) plus how people misspell them or write them in a hurry.
_DANISH = """
jeg mig min mit du dig din dit dine han hun ham hende hans hendes sin sit sine vi os vores
jeres de dem deres det den der en et og eller som til fra på af med om ved hos uden efter
før mod gennem ikke også bare lige nu så da når hvis fordi hvad hvor hvordan hvorfor hvornår
hvem hvilken hvilke hvilket er var været være bliver blev blive har havde haft kan kunne
skal skulle vil ville må måtte gerne meget mere mest mange noget nogen nogle ingen intet alle
alt andre anden andet selv sammen helt rigtig virkelig altid aldrig tit ofte igen stadig
allerede snart måske nok vel jo dog ja nej jamen tak hej hejsa hallo godt god gode dårligt
dårlig dag morgen aften nat uge år tid tider sted hjem hjemme hjælp hjælpe brug snakke tale
ringe skrive vide tror synes føler føle gøre gør gjort få får fik gå går gik kom komme kommer
tage tager tog finde finder fandt sige siger sagt ser bo bor boet drikke drikker drak ryger
ryge spiller spille sove sover leve lever dø død døde betale koster gratis penge gæld skylder
arbejde arbejdet skole skolen barn børn søn datter mor far bror søster kone kæreste ven
veninde venner familie nabo forældre bedstemor onkel moster faster nevø kommune kommunen
tilbud tilbuddet støtte angst ensom ensomhed alene syg træt bange misbrug stoffer alkohol
psykiatrisk psykiatrien sagsbehandler henvisning henvist anonym åbent åben lukket samtale
menneske voksen unge ung gammel gamle ny nye fint fedt mvh hilsen undskyld forstår forstå
mener hedder klare hele tiden nogen noget slår slået smidt flytte bolig lejlighed husleje
job mobbet skyld hvem tør ude inde mangler trænger ked vred glad sur svært svær nemt let
danmark dansk danske engelsk sted steder nærheden hjemløs handicap kontanthjælp henvende
tusind aflyse booke ønsker ønske sig jer mest mindre lidt end mens siden stadigvæk ellers altså
derfor igennem hvorfor nemlig sådan sådanne dette disse hvorhenne henne
henvendelse henvendelsen tilbage videre fortsæt økonomisk økonomi rådgivning glemmer
aftaler aftale hverdagen hverdag praktisk vender senere tilbyder laver seksuelle overgreb
vold hjerneskade sidder kørestol anonymt behandling mandag tirsdag onsdag torsdag fredag
lørdag søndag kl spørgsmålet spørgsmål sygdom psykisk ansøgning bestil tidsbestilling
farvel ses snakkes godnat goddag godmorgen godaften takker selvfølgelig korrekt præcis
forkert helst afbryd glem fortryd navn syng
overhovedet interesseret springer opskrift medarbejder eftermiddag ledig
jg ik ikk ikek ikkw hva hvd hvr hvordn hvorn hvornaar va ka ku sku ska osse ogs nåh nå jaja
sgu fandme lort pis øh øhm hmm
"""

# English words: function words, everyday words, contractions with and without the
# apostrophe, chat slang. Looked up as written (lower case).
_ENGLISH = """
me my myself you your yours u ur he him his she they them their we us our it its this
these those there the a an and or but if because cause cuz so to of in on with without
about from into out up down off before not no yes yeah yep nope what where when who why how
which whose is are am was were be been being have has had do does did done can could will
would should shall may might must need needs want wants wanna gonna gotta like just really
very too also only even still already now then always never sometimes again anymore please
thanks thank thx ty hello hi hey help helps helping get gets got getting go goes going went
come comes coming came take takes took make makes made know knows knew think feel feeling
feels felt talk talking speak tell say said call live lives living lived drink drinks
drinking drunk smoke smokes smoking sleep sleeping pay paid cost costs money debt debts owe
free work working school home house flat apartment rent street place someone somebody anyone
anybody anything something nothing nobody everything everyone everybody people person son
daughter mother mom mum father dad brother sister husband wife girlfriend boyfriend friend
friends kid kids child children family neighbour neighbor parents niece nephew aunt uncle
grandma grandmother grandfather old new young good bad great alright sure well much many
more most some any every other one two own alone lonely sick ill tired scared afraid anxiety
alcohol drugs addiction addicted abuse abused violence homeless anonymous anonymously
referral appointment session counsellor counselor caseworker municipality open opening hours
today tomorrow tonight evening morning week day night time way thing things life english
danish understand mean sign register book cancel bring find found give keep start quit stop
try let lets should where's nowhere somewhere anywhere okay than near far around here
struggling struggle hard doing being sounds sound
treatment problem problems financial last year years month months raped violence
psychological related honor discharged ward hospital language skills everyday support
relatives group counselling counseling apply application online meeting moved continue
request listening skip question lost code depressed mental health voices isolated company
housing domestic deaf blind education respite suicidal suicide goodbye bye see later
appreciate appreciated changed mind real dear keeps calling disability stay back
questions advisor translate german
monday tuesday wednesday thursday friday saturday sunday
i'm im i've ive i'd i'll ill you're youre you've we're were they're it's that's thats
what's whats there's theres who's he's she's let's how's don't dont doesn't doesnt didn't
didnt can't cant won't wont isn't isnt aren't arent wasn't wasnt couldn't couldnt
wouldn't wouldnt shouldn't shouldnt haven't havent hasn't hasnt ain't
dunno idk tbh lol omg ffs btw asap plz
"""

# Words both languages use, or that one uses and the other borrows: they count for neither
# (checked before the lists, which may hold them through folding).
_BOTH = """
i at for her man men mine by over under ok okay sorry weekend job chat stress depression
partner super fine hash adhd fuck fucking shit nice cool pls plz date online team bar
far let to blind problem skip mail hospital stop start
"""

# Worth two words: no Danish sentence has them.
_CONTRACTIONS = ("n't", "'m", "'re", "'ve", "'ll", "'d")
_STRONG = {"dunno", "idk", "wanna", "gonna", "gotta", "ain't"}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'"})
_DANISH_LETTERS = re.compile("[æøå]")


def _words(block: str) -> set[str]:
    return set(block.split())


def _place_words() -> set[str]:
    """The words of every Danish municipality's name and everyday alias, folded."""
    names = list(places.DANISH_MUNICIPALITIES) + list(places.ALIASES)
    return {textfold.fold(word) for name in names for word in re.split(r"[\s-]+", name)}


BOTH = _words(_BOTH)
ENGLISH = _words(_ENGLISH) - BOTH
DANISH = {textfold.fold(word) for word in _words(_DANISH)} - BOTH
PLACES = _place_words()


def _vote(word: str) -> tuple[Language | None, int]:
    """The language one word belongs to, and how much it counts."""
    if word in BOTH:
        return None, 0
    folded = textfold.fold(word)
    if folded in PLACES:
        return None, 0
    if _DANISH_LETTERS.search(word):
        return "da", 1
    if word in ENGLISH:
        return "en", 2 if word in _STRONG or word.endswith(_CONTRACTIONS) else 1
    if folded in DANISH:
        return "da", 1
    return None, 0


def written_language(text: str) -> Language | None:
    """"da" or "en" when the message is clearly written in it; None when unclear."""
    text = (text or "").strip()
    if not text or text.startswith("/"):  # a button's payload, not the citizen's words
        return None
    words = _WORD.findall(text.lower().translate(_APOSTROPHES))
    votes = [_vote(word) for word in words]
    score = {"da": 0, "en": 0}
    for i, (lang, weight) in enumerate(votes):
        if lang:
            score[lang] += weight
        elif words[i] == "i" and i + 1 < len(votes):
            # "i" is Danish "in" and English "I": it goes with the word after it
            # ("i need", "i morgen").
            after = votes[i + 1][0]
            if after:
                score[after] += 1
    danish, english = score["da"], score["en"]
    if danish >= 2 and danish > 2 * english:
        return "da"
    if english >= 2 and english > 2 * danish:
        return "en"
    return None


def conversation_language(written: Language | None, page: object,
                          page_before: object, current: object) -> Language:
    """The language to answer in after a message: the one rule.

    The language the citizen wrote in wins when it is clear. When it is not ("ok", a
    button, a place), a page language that changed since the last message wins (the
    citizen switched the page's language), and otherwise the conversation keeps its
    language; Danish when nothing is known.
    """
    if written:
        return written
    if isinstance(page, str) and page in _LANGUAGES and page != page_before:
        return _LANGUAGES[page]
    return _LANGUAGES.get(current, "da") if isinstance(current, str) else "da"

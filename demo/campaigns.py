"""The prison's crowdfunding: each winning project of "Idee in fuga" becomes a
campaign, backed by demo citizens, with rewards from the prison's workshops.

Everything goes through the services, so the ledger, the rewards' stock and
the receipts are the real ones: card pledges are saved and charged in the
Stripe emulator (``settings.STRIPE_API_BASE``), desk money is recorded by one
facilitator and confirmed by the other, campaigns are closed and match rounds
allocated as they would be in production. A campaign that exists (by its
address) is left alone, so running the seed again changes nothing.

The payment services tell the campaigns what happened after each commit
(``payments.hooks``): this seed runs in autocommit mode, never inside one
outer transaction.
"""

import datetime
import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from campaigns import services
from campaigns.models import Campaign, FundingModel, MatchRound, Pledge
from participation.models import Community, Project
from payments import services as payments
from payments.gateways.stripe_client import stripe_client
from payments.models import Payment
from rewards.models import Delivery

from .processes import PRISON_PROCESS

FACILITATOR_EMAIL = "facilitatrice@idee-in-fuga.example.org"  # records the money
SECOND_OPERATOR_EMAIL = "facilitatore@idee-in-fuga.example.org"  # confirms it

# Stripe's test cards, as the emulator knows them.
CARD_OK = "4242424242424242"
CARD_DECLINED_AT_CHARGE = "4000000000000341"  # saves fine, declined off-session
CARD_NEEDS_AUTHENTICATION = "4000002760003184"

# How a pledge is paid.
CARD = "card"  # saved (all-or-nothing) or charged at once (keep-it-all)
DECLINED = "declined"  # saved, then declined when the funded campaign charges it
AUTHENTICATE = "authenticate"  # charged at once, waits for 3-D Secure
CASH = "cash"  # at the desk, confirmed by the second operator
CASH_TO_CONFIRM = "cash_to_confirm"  # at the desk, awaiting the second operator
BANK = "bank"  # bank transfer, confirmed by the second operator
CARD_WAYS = {CARD, DECLINED, AUTHENTICATE}

NO_EMAIL = "django.core.mail.backends.dummy.EmailBackend"

FUNDED, NOT_FUNDED, ENDED, LIVE = "funded", "not_funded", "ended", "live"

CARPENTRY = "Falegnameria del carcere"
TAILORING = "Laboratorio di sartoria"
BAKERY = "Panificio interno"
GREENHOUSE = "Serra del carcere"
BINDERY = "Legatoria del carcere"
PICKUP, SHIPPING = Delivery.PICKUP, Delivery.SHIPPING

# Demo citizens who back the campaigns: first name, surname, city, postcode.
BACKERS = [
    ("Giulia", "Ferri", "Bologna", "40121"),
    ("Marco", "Bellini", "Milano", "20121"),
    ("Francesca", "Rinaldi", "Torino", "10121"),
    ("Alessandro", "Conti", "Roma", "00185"),
    ("Chiara", "Moretti", "Firenze", "50121"),
    ("Davide", "Gallo", "Padova", "35121"),
    ("Elena", "Fontana", "Bergamo", "24121"),
    ("Matteo", "Ricci", "Napoli", "80121"),
    ("Sara", "De Luca", "Bari", "70121"),
    ("Lorenzo", "Mancini", "Verona", "37121"),
    ("Valentina", "Costa", "Genova", "16121"),
    ("Federico", "Barbieri", "Parma", "43121"),
    ("Martina", "Lombardo", "Palermo", "90133"),
    ("Simone", "Marchetti", "Ancona", "60121"),
    ("Alice", "Santoro", "Lecce", "73100"),
    ("Andrea", "Villa", "Monza", "20900"),
    ("Silvia", "Pellegrini", "Modena", "41121"),
    ("Riccardo", "Sartori", "Trento", "38122"),
    ("Laura", "Testa", "Perugia", "06121"),
    ("Tommaso", "Grasso", "Cagliari", "09124"),
    ("Beatrice", "Serra", "Sassari", "07100"),
    ("Gabriele", "Fabbri", "Rimini", "47921"),
    ("Ilaria", "Caputo", "Salerno", "84121"),
    ("Stefano", "Morelli", "Pisa", "56125"),
    ("Noemi", "D'Amico", "Catania", "95124"),
    ("Paolo", "Ferraro", "Reggio Emilia", "42121"),
    ("Marta", "Bruno", "Brescia", "25121"),
    ("Nicola", "Giordano", "Trieste", "34121"),
    ("Serena", "Rizzi", "Vicenza", "36100"),
    ("Emanuele", "Longo", "Pescara", "65121"),
    ("Camilla", "Cattaneo", "Como", "22100"),
    ("Filippo", "Parisi", "Livorno", "57123"),
    ("Rebecca", "Mariani", "Ravenna", "48121"),
    ("Giacomo", "Ferrara", "Udine", "33100"),
    ("Aurora", "Gentile", "Latina", "04100"),
    ("Luca", "Benedetti", "Ferrara", "44121"),
    ("Irene", "Vitale", "Siena", "53100"),
    ("Pietro", "Carbone", "Taranto", "74121"),
    ("Anna", "Cristiani", "Lucca", "55100"),
    ("Daniele", "Orlando", "Messina", "98122"),
]
STREETS = ["Via Garibaldi", "Via Mazzini", "Corso Italia", "Via Verdi", "Via Cavour"]


@dataclass(frozen=True)
class Tier:
    title: str
    euros: int
    made_by: str
    description: str
    quantity: int | None = None
    delivery: str = PICKUP


@dataclass(frozen=True)
class Gift:
    """One pledge: a demo backer (index in BACKERS) or a name given at the desk."""

    who: int | str
    euros: int
    tier: int | None = None
    how: str = CARD
    anonymous: bool = False


@dataclass(frozen=True)
class Plan:
    code: str
    title: str
    story: str
    outcome: str
    tiers: list[Tier]
    gifts: list[Gift]
    update: tuple[str, str]
    funding_model: str = FundingModel.ALL_OR_NOTHING
    started_days_ago: int = 20
    days_left: int = 25
    stretch_euros: int | None = None


@dataclass(frozen=True)
class Round:
    title: str
    sponsor: str
    description: str
    mode: str
    euros: int
    codes: list[str]
    reference: str
    close: bool
    cap_per_pledge_euros: int | None = None
    cap_per_campaign_euros: int | None = None


PLANS = [
    Plan(
        code="P04",
        title="Il cineforum del giovedì",
        story=(
            "Ogni giovedì sera una proiezione nella sala polivalente, scelta a turno "
            "dai due reparti e seguita da una discussione con un ospite: una "
            "regista, un critico, una classe di studenti. È stata la proposta più "
            "semplice delle assemblee, e una delle più votate.\n\n"
            "Servono un proiettore, un impianto audio, le licenze per un anno di "
            "proiezioni pubbliche e un piccolo compenso per gli ospiti."
        ),
        outcome=FUNDED,
        started_days_ago=45,
        tiers=[
            Tier(
                "Sacca di tela «Cineforum del giovedì»",
                25,
                TAILORING,
                "Cucita e stampata a mano dalle detenute del laboratorio.",
                delivery=SHIPPING,
            ),
            Tier(
                "Ciak in legno inciso",
                40,
                CARPENTRY,
                "Un ciak vero, in faggio, con il titolo del primo film.",
                quantity=20,
            ),
        ],
        gifts=[
            Gift("Circolo ARCI Il Ponte", 300, how=BANK),
            Gift("Cinema Lumière", 250, how=BANK),
            Gift("Bar Centrale", 50, how=CASH),
            Gift(0, 25, 0),
            Gift(1, 40, 1),
            Gift(3, 50),
            Gift(4, 40, 1),
            Gift(7, 100, anonymous=True),
            Gift(10, 60),
        ],
        update=(
            "Ce l'abbiamo fatta!",
            "Il cineforum è finanziato: le carte sono state addebitate e i fondi "
            "sono passati al progetto, con il contributo della Fondazione. La prima "
            "proiezione sarà a gennaio; i ciak della falegnameria si ritirano "
            "all'ingresso visitatori da febbraio.",
        ),
    ),
    Plan(
        code="P07",
        title="Italiano per tutti",
        story=(
            "Un detenuto su tre, in questo istituto, è straniero e molti parlano "
            "poco l'italiano: non capiscono le regole, le udienze, i moduli, e "
            "restano soli. Il corso offre tre livelli, dalla prima alfabetizzazione "
            "alla certificazione A2.\n\n"
            "I fondi pagano due insegnanti per un anno, i libri di testo e i "
            "quaderni, e l'esame di certificazione per chi arriva in fondo."
        ),
        outcome=FUNDED,
        started_days_ago=40,
        tiers=[
            Tier(
                "Quaderno rilegato a mano",
                15,
                BINDERY,
                "Come quelli che useranno gli allievi del corso.",
                delivery=SHIPPING,
            ),
            Tier(
                "Pane della festa di fine corso",
                30,
                BAKERY,
                "Una pagnotta e una focaccia, da ritirare il giorno della festa.",
                quantity=15,
            ),
            Tier(
                "Grembiule da cucina",
                50,
                TAILORING,
                "Cotone grezzo, cucito e ricamato in sartoria.",
                quantity=10,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift("Cooperativa sociale Il Germoglio", 400, how=BANK),
            Gift("Associazione Genitori Insieme", 300, how=BANK),
            Gift("Libreria Il Segnalibro", 190, how=BANK),
            Gift(12, 15, 0),
            Gift(13, 30, 1),
            Gift(14, 50, 2),
            Gift(18, 100),
            Gift(19, 50, 2),
            Gift(20, 40, how=DECLINED),
            Gift(23, 75),
            Gift(25, 100),
        ],
        update=(
            "Obiettivo raggiunto: il corso parte a gennaio",
            "Grazie! Le carte sono state addebitate; chi ha visto il pagamento "
            "rifiutato dalla banca ha ricevuto un link per completarlo entro sette "
            "giorni. I quaderni rilegati a mano partono entro febbraio.",
        ),
    ),
    Plan(
        code="P02",
        title="Colloqui a misura di bambino",
        story=(
            "I colloqui con i figli si svolgono in una sala spoglia, con i tavoli "
            "fissati al pavimento. Per un bambino è un luogo che fa paura; per un "
            "genitore detenuto è l'unica ora della settimana in cui essere padre o "
            "madre.\n\n"
            "Vogliamo trasformare la sala colloqui e lo spazio all'aperto: colori "
            "alle pareti, un angolo morbido con tappeti e libri illustrati, giochi "
            "da tavolo e una piccola area giochi nel cortile."
        ),
        outcome=NOT_FUNDED,
        started_days_ago=50,
        tiers=[
            Tier(
                "Disegno dei papà e delle mamme, incorniciato",
                40,
                CARPENTRY,
                "Un disegno fatto per i bambini in visita, in una cornice di legno.",
                quantity=30,
                delivery=SHIPPING,
            ),
            Tier(
                "Pupazzo di stoffa",
                25,
                TAILORING,
                "Cucito a mano con gli scampoli del laboratorio.",
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift(26, 40, 0),
            Gift(27, 25, 1),
            Gift(28, 100),
            Gift(30, 25, 1),
            Gift(31, 50),
            Gift(33, 200),
        ],
        update=(
            "Non ce l'abbiamo fatta, per ora",
            "La campagna si è chiusa sotto l'obiettivo: come previsto, nessuna "
            "carta è stata addebitata e le ricompense tornano disponibili. Con la "
            "direzione stiamo chiedendo al Comune un contributo per rifare almeno "
            "la sala colloqui: vi aggiorneremo qui.",
        ),
    ),
    Plan(
        code="P08",
        title="Uno sportello per il lavoro dopo il carcere",
        story=(
            "Il giorno dell'uscita è il più difficile: senza un lavoro e una casa "
            "il rischio di tornare dentro è altissimo. Lo sportello aiuta chi sta "
            "per uscire a scrivere un curriculum, a conoscere i servizi del "
            "territorio e a incontrare le aziende disposte ad assumere.\n\n"
            "La campagna finanzia un'operatrice per due mattine a settimana e un "
            "anno di incontri con le imprese. Ogni euro raccolto va al progetto, "
            "anche se non raggiungiamo l'obiettivo."
        ),
        outcome=ENDED,
        funding_model=FundingModel.KEEP_IT_ALL,
        started_days_ago=35,
        tiers=[
            Tier(
                "Pagnotta del panificio interno",
                15,
                BAKERY,
                "Pane a lievitazione naturale, da ritirare il sabato.",
            ),
            Tier(
                "Tagliere in legno d'ulivo",
                45,
                CARPENTRY,
                "Ogni tagliere è diverso: il legno viene da un uliveto potato.",
                quantity=15,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift("Studio di consulenza del lavoro Marini", 250, how=BANK),
            Gift("Forno Gualandi", 80, how=CASH),
            Gift(35, 15, 0),
            Gift(36, 45, 1),
            Gift(37, 50),
            Gift(2, 100),
            Gift(4, 45, 1),
        ],
        update=(
            "Campagna conclusa: lo sportello apre comunque",
            "Non abbiamo raggiunto l'obiettivo, ma con la formula «tieni tutto» "
            "quanto raccolto resta al progetto: lo sportello aprirà una mattina a "
            "settimana invece di due. Grazie anche alla Fondazione per il "
            "raddoppio.",
        ),
    ),
    Plan(
        code="P01",
        title="Biblioteca aperta",
        story=(
            "La biblioteca dell'istituto apre due mattine a settimana e ha scaffali "
            "di libri vecchi. Nelle assemblee di entrambi i reparti è stata la "
            "prima richiesta: più libri, più ore, un posto tranquillo dove leggere "
            "e studiare.\n\n"
            "Con questa campagna compriamo 600 libri nuovi scelti insieme ai "
            "lettori, dizionari e testi per chi studia per il diploma, e paghiamo "
            "un bibliotecario per aprire anche il pomeriggio. Se arriviamo a "
            "2.500 € apriamo anche il sabato."
        ),
        outcome=LIVE,
        started_days_ago=24,
        days_left=12,
        stretch_euros=2_500,
        tiers=[
            Tier(
                "Segnalibro stampato in legatoria",
                10,
                BINDERY,
                "Con una frase scelta dai lettori della biblioteca.",
                delivery=SHIPPING,
            ),
            Tier(
                "Quaderno di racconti dei reparti",
                35,
                BINDERY,
                "I racconti del laboratorio di scrittura, rilegati a mano.",
                quantity=25,
                delivery=SHIPPING,
            ),
            Tier(
                "Sgabello da lettura in faggio",
                90,
                CARPENTRY,
                "Fatto in falegnameria, come quelli della biblioteca.",
                quantity=4,
            ),
        ],
        gifts=[
            Gift(6, 90, 2),
            Gift(7, 90, 2),
            Gift(8, 120, 2),
            Gift(9, 90, 2),
            Gift(10, 10, 0),
            Gift(11, 35, 1),
            Gift(14, 50, anonymous=True),
            Gift("Associazione Amici del Libro", 500, how=BANK),
            Gift("Circolo dei lettori di via Mascarella", 400, how=BANK),
            Gift("Coro Voci Libere", 120, how=CASH),
            Gift(16, 300),
        ],
        update=(
            "Obiettivo raggiunto: ora puntiamo al sabato",
            "Abbiamo superato l'obiettivo prima della scadenza: grazie! Le carte "
            "saranno addebitate alla chiusura. Se arriviamo a 2.500 € la "
            "biblioteca aprirà anche il sabato. Gli sgabelli da lettura sono già "
            "tutti prenotati.",
        ),
    ),
    Plan(
        code="P03",
        title="Un orto e una serra nel cortile",
        story=(
            "Nel cortile interno c'è un rettangolo di terra incolta. Le assemblee "
            "hanno proposto di farne un orto e di montare una serra per le piantine "
            "aromatiche: lavoro all'aperto, un mestiere da spendere fuori e verdura "
            "fresca per la mensa.\n\n"
            "I fondi servono per la serra, l'irrigazione a goccia, gli attrezzi, le "
            "sementi e un agronomo che segua la prima stagione. Una parte del "
            "raccolto torna a chi sostiene la campagna."
        ),
        outcome=LIVE,
        started_days_ago=18,
        days_left=27,
        tiers=[
            Tier(
                "Piantina aromatica in vaso",
                12,
                GREENHOUSE,
                "Basilico, salvia o rosmarino, da ritirare in primavera.",
            ),
            Tier(
                "Cassetta di ortaggi di stagione",
                30,
                GREENHOUSE,
                "Cinque chili di verdura dell'orto, da ritirare il sabato.",
                quantity=40,
            ),
            Tier(
                "Cassetta spedita con ortaggi e pane",
                55,
                f"{GREENHOUSE} e {BAKERY.lower()}",
                "Verdura dell'orto e una pagnotta, spedite a casa.",
                quantity=15,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift(19, 12, 0),
            Gift(20, 30, 1),
            Gift(21, 55, 2),
            Gift(24, 55, 2),
            Gift(26, 100),
            Gift(30, 250),
            Gift("Comitato orti di quartiere", 150, 1, how=CASH),
            Gift("Giardino condiviso San Donato", 80, how=CASH_TO_CONFIRM),
            Gift("Vivaio Inclusivo", 300, how=BANK),
        ],
        update=(
            "Le prime piantine sono già in serra",
            "In attesa della serra nuova, il reparto maschile ha seminato basilico "
            "e salvia in una serra provvisoria. Fino alla chiusura il Comune "
            "raddoppia ogni sostegno, fino a 50 € ciascuno.",
        ),
    ),
    Plan(
        code="P05",
        title="Informatica di base: un'aula con otto computer",
        story=(
            "Chi esce dopo anni non sa usare lo SPID, mandare un curriculum per "
            "e-mail o prenotare una visita online. Il corso insegna proprio questo, "
            "in un'aula senza accesso libero a Internet, come prevede il "
            "regolamento.\n\n"
            "Con la campagna allestiamo l'aula con otto computer ricondizionati, "
            "una stampante e un server locale con i materiali del corso, e paghiamo "
            "due docenti per un anno. Chi frequenta riceve un attestato."
        ),
        outcome=LIVE,
        started_days_ago=10,
        days_left=35,
        tiers=[
            Tier(
                "Attestato di sostenitore",
                20,
                BINDERY,
                "Stampato e firmato dagli allievi del primo corso.",
                delivery=SHIPPING,
            ),
            Tier(
                "Custodia per computer portatile",
                45,
                TAILORING,
                "Imbottita, in tela cerata, cucita su misura.",
                quantity=25,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift(33, 20, 0),
            Gift(34, 45, 1),
            Gift(35, 100),
            Gift(38, 50),
            Gift("Dati Chiari srl", 400, how=BANK),
        ],
        update=(
            "Abbiamo trovato i computer",
            "Un'azienda di ricondizionamento ci offre otto computer a metà prezzo. "
            "Manca ancora molto: fate girare la campagna! Il Comune raddoppia ogni "
            "sostegno fino a 50 €.",
        ),
    ),
    Plan(
        code="P06",
        title="Lavatrici in sezione",
        story=(
            "Oggi in sezione i panni si lavano a mano nel lavandino della cella e "
            "si asciugano alle sbarre. Le assemblee hanno chiesto una cosa "
            "semplice: lavatrici e asciugatrici comuni, una per piano, usate a "
            "turno.\n\n"
            "La campagna paga sei lavatrici professionali, due asciugatrici, gli "
            "allacci e un anno di manutenzione. I turni li gestisce un gruppo di "
            "detenuti, con una piccola borsa lavoro."
        ),
        outcome=LIVE,
        started_days_ago=6,
        days_left=40,
        tiers=[
            Tier(
                "Sacco per il bucato",
                20,
                TAILORING,
                "In cotone robusto, con il nome della sezione ricamato.",
                delivery=SHIPPING,
            ),
            Tier(
                "Set di strofinacci ricamati",
                35,
                TAILORING,
                "Tre strofinacci di lino, orlati a mano.",
                quantity=20,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift(1, 20, 0),
            Gift(2, 35, 1),
            Gift(3, 50),
            Gift("Lavanderia self-service Bolle Blu", 60, how=CASH),
        ],
        update=(
            "Perché le lavatrici",
            "Lavare i propri vestiti in modo dignitoso è una delle richieste più "
            "sentite nelle assemblee. Siamo all'inizio: ogni condivisione conta.",
        ),
    ),
    Plan(
        code="P09",
        title="Corso di pizzeria con attestato",
        story=(
            "Il corso di pizzeria è stato proposto nel reparto maschile e votato in "
            "entrambi: un mestiere che si impara in pochi mesi e che dà lavoro "
            "subito, dentro e fuori.\n\n"
            "Con la campagna compriamo un forno professionale per il panificio "
            "interno, gli attrezzi e le materie prime, e paghiamo un maestro "
            "pizzaiolo per due cicli di corso con attestato."
        ),
        outcome=LIVE,
        started_days_ago=15,
        days_left=20,
        tiers=[
            Tier(
                "Pizza alla festa di fine corso",
                15,
                BAKERY,
                "La sfornano gli allievi, per chi ha sostenuto il corso.",
            ),
            Tier(
                "Kit farina e lievito madre",
                30,
                BAKERY,
                "Due chili di farina di grano tenero e lievito madre vivo.",
                quantity=25,
            ),
            Tier(
                "Pala da pizza in legno",
                65,
                CARPENTRY,
                "In pioppo, levigata a mano.",
                quantity=10,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift(7, 15, 0),
            Gift(8, 30, 1),
            Gift(9, 65, 2),
            Gift(12, 65, 2),
            Gift(13, 100),
            Gift("Pizzeria Vesuvio", 250, how=BANK),
            Gift("Associazione Pizzaioli Solidali", 150, how=CASH),
        ],
        update=(
            "Il maestro pizzaiolo c'è",
            "Un pizzaiolo del quartiere ha accettato di tenere il corso. Siamo a "
            "un terzo della strada e il Comune raddoppia ogni sostegno fino a 50 €.",
        ),
    ),
    Plan(
        code="P10",
        title="Sartoria sociale",
        story=(
            "Il laboratorio di sartoria del reparto femminile ha tre macchine da "
            "cucire vecchie di vent'anni e stoffe di recupero. Le detenute che ci "
            "lavorano hanno proposto di farne una vera sartoria sociale: borse, "
            "grembiuli e riparazioni su commissione, pagate.\n\n"
            "I fondi servono per sei macchine da cucire nuove, una taglia e cuci, "
            "le stoffe del primo anno e una sarta che insegni il mestiere. Tutto "
            "ciò che si raccoglie va al progetto, anche sotto l'obiettivo."
        ),
        outcome=LIVE,
        funding_model=FundingModel.KEEP_IT_ALL,
        started_days_ago=12,
        days_left=30,
        tiers=[
            Tier(
                "Astuccio di stoffa",
                15,
                TAILORING,
                "Con la cerniera, in scampoli sempre diversi.",
            ),
            Tier(
                "Borsa di tela",
                35,
                TAILORING,
                "La borsa della sartoria sociale, spedita a casa.",
                delivery=SHIPPING,
            ),
            Tier(
                "Grembiule su misura",
                70,
                TAILORING,
                "Vi scriviamo per le misure dopo il sostegno.",
                quantity=8,
                delivery=SHIPPING,
            ),
        ],
        gifts=[
            Gift(18, 15, 0),
            Gift(20, 70, 2),
            Gift(22, 60, how=AUTHENTICATE),
            Gift(24, 70, 2),
            Gift(25, 100),
            Gift("Merceria Fili d'Oro", 200, how=BANK),
        ],
        update=(
            "Le prime borse sono pronte",
            "Con i primi sostegni abbiamo comprato la stoffa: le prime borse di "
            "tela partono la settimana prossima.",
        ),
    ),
]

ROUNDS = [
    Round(
        title="Fondo di raddoppio della Fondazione Comunità Solidale",
        sponsor="Fondazione Comunità Solidale",
        description=(
            "La Fondazione divide 1.500 € tra le campagne concluse con il "
            "finanziamento quadratico: conta più il numero dei sostenitori che la "
            "grandezza dei singoli sostegni."
        ),
        mode=MatchRound.Mode.QUADRATIC,
        euros=1_500,
        codes=["P04", "P07", "P08"],
        reference="Bonifico Fondazione Comunità Solidale, delibera 2026/31",
        close=True,
        cap_per_campaign_euros=700,
    ),
    Round(
        title="Raddoppio del Comune",
        sponsor="Comune, Assessorato alle politiche sociali",
        description=(
            "Il Comune raddoppia ogni sostegno fino a 50 €, fino a 750 € per "
            "campagna, per le campagne che arrivano all'obiettivo."
        ),
        mode=MatchRound.Mode.RATIO,
        euros=2_000,
        codes=["P03", "P05", "P09"],
        reference="Determina dirigenziale n. 418/2026",
        close=False,
        cap_per_pledge_euros=50,
        cap_per_campaign_euros=750,
    ),
]


@dataclass(frozen=True)
class Operators:
    recorder: User
    confirmer: User


@dataclass(frozen=True)
class Backer:
    user: User
    shipping: dict


def seed_prison_campaigns(prison: Community, *, password: str | None = None) -> str:
    """Create the campaigns of the prison's winning projects that do not exist
    yet, their pledges, closes and match rounds; returns the summary line.

    ``password`` is the demo backers' password (unusable when None). Without
    the Stripe emulator the card pledges are recorded as bank transfers.
    """
    if transaction.get_connection().in_atomic_block:
        print(
            "Campagne non create: i pagamenti avvisano le campagne dopo ogni "
            "commit, il seed delle campagne non può girare dentro una transazione."
        )
        return ""
    process = prison.processes.select_related("result").get(slug=PRISON_PROCESS)
    projects = {
        p.code: p for p in process.projects.filter(code__in=process.result.winners)
    }
    plans = [
        plan
        for plan in PLANS
        if plan.code in projects
        and not Campaign.objects.filter(slug=_slug(projects[plan.code])).exists()
    ]
    operators = Operators(
        recorder=User.objects.get(email=FACILITATOR_EMAIL),
        confirmer=User.objects.get(email=SECOND_OPERATOR_EMAIL),
    )
    # The backers' addresses are fictitious: receipts and notices are not sent
    # (the console back-end would print every PDF attached to them), and the
    # eager tasks' "succeeded" lines would bury the summary.
    with override_settings(EMAIL_BACKEND=NO_EMAIL), _quiet("celery.app.trace"):
        if plans:
            cards = _stripe_answers()
            if not cards:
                print(
                    "Emulatore Stripe non raggiungibile su "
                    f"{settings.STRIPE_API_BASE}: niente sostegni con carta, le "
                    "campagne ricevono solo sostegni offline."
                )
            backers = _backers(password)
            for plan in plans:
                _seed_campaign(plan, projects[plan.code], operators, backers, cards)
        _seed_rounds(prison, operators)
        _receipts_ensure()
    summary = campaigns_summary(prison)
    print(summary)
    return summary


@contextmanager
def _quiet(name: str):
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _slug(project: Project) -> str:
    return services.campaign_initial(project)["slug"]


def _stripe_answers() -> bool:
    try:
        stripe_client().v1.customers.list(params={"limit": 1})
    except stripe.StripeError:
        return False
    return True


def _backers(password: str | None) -> list[Backer]:
    encoded = None
    backers = []
    for index, (first, last, city, postcode) in enumerate(BACKERS):
        email = f"{slugify(first)}.{slugify(last).replace('-', '')}@example.org"
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            # One hash for all: hashing 40 passwords would take seconds.
            encoded = encoded or make_password(password)
            user = User.objects.create(
                email=email,
                first_name=first,
                last_name=last,
                display_name=f"{first} {last[0]}.",
                password=encoded,
            )
        street = f"{STREETS[index % len(STREETS)]} {index * 7 % 90 + 1}"
        shipping = {
            "name": f"{first} {last}",
            "address": street,
            "postcode": postcode,
            "city": city,
        }
        backers.append(Backer(user, shipping))
    return backers


def _seed_campaign(
    plan: Plan,
    project: Project,
    operators: Operators,
    backers: list[Backer],
    cards: bool,
) -> Campaign:
    now = timezone.now()
    closes = plan.outcome != LIVE
    campaign = services.campaign_create(
        project=project,
        title=plan.title,
        story=plan.story,
        slug=_slug(project),
        goal_cents=project.cost_cents,
        stretch_goal_cents=plan.stretch_euros * 100 if plan.stretch_euros else None,
        funding_model=plan.funding_model,
        # A campaign that will be closed below gets a deadline one hour away:
        # the service wants it in the future, and pledges need it open.
        starts_at=now - datetime.timedelta(days=plan.started_days_ago),
        deadline=now
        + (
            datetime.timedelta(hours=1)
            if closes
            else datetime.timedelta(days=plan.days_left)
        ),
        created_by=operators.recorder,
    )
    delivery_on = timezone.localdate() + datetime.timedelta(days=plan.days_left + 60)
    tiers = [
        services.tier_create(
            campaign=campaign,
            title=tier.title,
            description=tier.description,
            min_pledge_cents=tier.euros * 100,
            quantity=tier.quantity,
            delivery=tier.delivery,
            made_by=tier.made_by,
            estimated_delivery=delivery_on,
        )
        for tier in plan.tiers
    ]
    campaign = services.campaign_publish(campaign=campaign, by=operators.recorder)
    for number, gift in enumerate(plan.gifts, start=1):
        _pledge(campaign, gift, number, tiers, backers, operators, cards)
    if closes:
        # The demo replays a campaign that has run its course: its deadline is
        # moved into the past with an update (no service moves a deadline), so
        # that campaign_close accepts it and charges, releases or keeps as it
        # would at a real deadline.
        Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now())
        campaign = services.campaign_close(campaign=campaign)
    title, body = plan.update
    services.update_post(
        campaign=campaign, title=title, body=body, author=operators.recorder
    )
    return campaign


def _pledge(campaign, gift, number, tiers, backers, operators, cards) -> Pledge | None:
    tier = tiers[gift.tier] if gift.tier is not None else None
    amount = gift.euros * 100
    how = gift.how
    if how in CARD_WAYS and not cards:
        if how != CARD:
            return None  # a decline or an authentication needs the emulator
        how = BANK
    backer = backers[gift.who] if isinstance(gift.who, int) else None
    shipping = backer.shipping if tier and tier.delivery == SHIPPING else None
    if how not in CARD_WAYS:
        offline = {
            "method": Payment.Method.BANK if how == BANK else Payment.Method.CASH,
            "recorded_by": operators.recorder,
            "place": "" if how == BANK else "Banchetto all'ingresso visitatori",
            "reference": (
                f"{'Bonifico' if how == BANK else 'Ricevuta di cassa'} "
                f"{campaign.project.code}/{number:02d}"
            ),
        }
        if backer is None:
            pledge = services.pledge_offline_record(
                campaign=campaign,
                amount_cents=amount,
                backer_name=gift.who,
                tier=tier,
                anonymous=gift.anonymous,
                shipping=shipping,
                **offline,
            )
        else:
            pledge = services.pledge_create(
                campaign=campaign,
                amount_cents=amount,
                backer=backer.user,
                tier=tier,
                anonymous=gift.anonymous,
                shipping=shipping,
                offline=offline,
            )
        if how != CASH_TO_CONFIRM:
            payments.offline_confirm(
                payment=pledge.payment, confirmed_by=operators.confirmer
            )
        return pledge
    pledge = services.pledge_create(
        campaign=campaign,
        amount_cents=amount,
        backer=backer.user,
        tier=tier,
        anonymous=gift.anonymous,
        shipping=shipping,
    )
    card = _card(
        {
            CARD: CARD_OK,
            DECLINED: CARD_DECLINED_AT_CHARGE,
            AUTHENTICATE: CARD_NEEDS_AUTHENTICATION,
        }[how]
    )
    # What Stripe.js does in the backer's browser, done from the server.
    if campaign.all_or_nothing:
        payments.card_save_start(payment=pledge.payment)
        payments.card_save_confirm(payment=pledge.payment, payment_method=card)
    else:
        payments.charge_now(payment=pledge.payment, payment_method=card)
    return pledge


def _card(number: str) -> str:
    return (
        stripe_client()
        .v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": number,
                    "exp_month": 12,
                    "exp_year": 2030,
                    "cvc": "123",
                },
            }
        )
        .id
    )


def _seed_rounds(prison: Community, operators: Operators) -> None:
    for plan in ROUNDS:
        if MatchRound.objects.filter(community=prison, title=plan.title).exists():
            continue
        campaigns = list(
            Campaign.objects.filter(
                community=prison, project__code__in=plan.codes
            ).order_by("pk")
        )
        if len(campaigns) != len(plan.codes):
            continue
        round_ = services.match_round_create(
            community=prison,
            title=plan.title,
            sponsor=plan.sponsor,
            description=plan.description,
            pool_cents=plan.euros * 100,
            mode=plan.mode,
            campaigns=campaigns,
            recorded_by=operators.recorder,
            reference=plan.reference,
            cap_per_pledge_cents=_cents(plan.cap_per_pledge_euros),
            cap_per_campaign_cents=_cents(plan.cap_per_campaign_euros),
        )
        transfer = Payment.objects.get(purpose="match_pool", purpose_id=str(round_.pk))
        payments.offline_confirm(payment=transfer, confirmed_by=operators.confirmer)
        if plan.close:
            services.match_round_close(round_=round_)


def _cents(euros: int | None) -> int | None:
    return None if euros is None else euros * 100


def _receipts_ensure() -> None:
    """Render the receipts a broker's worker has not rendered yet (none when
    Celery runs eagerly: the payments' hooks rendered them already): what the
    sweep would queue, without waiting for them to be late."""
    due = services.receipts_render_pending(older_than_seconds=0, limit=100_000)
    for pending in due:
        services.receipt_render(pledge_id=pending.pledge_id, kind=pending.kind)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def campaigns_summary(prison: Community) -> str:
    """One line: the prison's campaigns by state, pledges and match rounds."""
    C = Campaign.Status
    states = Counter(
        Campaign.objects.filter(community=prison).values_list("status", flat=True)
    )
    rounds = Counter(
        MatchRound.objects.filter(community=prison).values_list("status", flat=True)
    )
    pledges = Pledge.objects.filter(campaign__community=prison).count()
    parts = [
        _plural(states[C.SUCCEEDED] + states[C.CHARGING], "finanziata", "finanziate"),
        _plural(states[C.FAILED], "non finanziata", "non finanziate"),
        _plural(states[C.ENDED], "conclusa", "concluse"),
        f"{states[C.LIVE]} in corso",
    ]
    return (
        f"Campagne: {states.total()} ({', '.join(parts)}), "
        f"{_plural(pledges, 'sostegno', 'sostegni')}, "
        f"{rounds.total()} round di raddoppio "
        f"({_plural(rounds[MatchRound.Status.CLOSED], 'chiuso', 'chiusi')}, "
        f"{_plural(rounds[MatchRound.Status.OPEN], 'aperto', 'aperti')})"
    )

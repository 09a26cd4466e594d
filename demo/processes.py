"""The demo processes: the prison's first edition complete through its results,
and the consortium's reinvestment vote still open. Built through the services,
phase after phase, as facilitators would."""

import datetime
import random

from django.db import transaction

from participation import services
from participation.models import Community, Participant, Process, Project, Proposal
from participation.models.process import Phase

PRISON_PROCESS = "prima-edizione"
CONSORTIUM_PROCESS = "utili-2026"

# 29 themes heard in the assemblies, each proposed in both wards: 58 proposals.
PRISON_THEMES = [
    ("Biblioteca con più libri e orari più lunghi", "Cultura", 180_000),
    ("Palestra attrezzata nel cortile", "Sport", 650_000),
    ("Sala colloqui accogliente per i figli", "Affetti", 420_000),
    ("Area giochi per i bambini in visita", "Affetti", 380_000),
    ("Corso di cucina con attestato", "Formazione", 240_000),
    ("Laboratorio di falegnameria", "Lavoro", 560_000),
    ("Orto nel cortile interno", "Ambiente", 150_000),
    ("Cineforum settimanale", "Cultura", 90_000),
    ("Corso di informatica di base", "Formazione", 310_000),
    ("Lavatrici comuni in sezione", "Vita quotidiana", 270_000),
    ("Frigoriferi nelle celle", "Vita quotidiana", 480_000),
    ("Tavoli da ping-pong", "Sport", 60_000),
    ("Corso di italiano per stranieri", "Formazione", 130_000),
    ("Sportello di orientamento al lavoro", "Lavoro", 220_000),
    ("Murales nei corridoi", "Cultura", 110_000),
    ("Strumenti musicali e sala prove", "Cultura", 260_000),
    ("Teatro in carcere con spettacolo finale", "Cultura", 340_000),
    ("Telefoni e videochiamate più lunghe", "Affetti", 200_000),
    ("Corso di pizzeria", "Formazione", 190_000),
    ("Serra per piantine aromatiche", "Ambiente", 170_000),
    ("Laboratorio di sartoria", "Lavoro", 290_000),
    ("Rinnovo delle docce", "Vita quotidiana", 700_000),
    ("Panchine e ombra nel cortile", "Ambiente", 80_000),
    ("Giornale interno del carcere", "Cultura", 70_000),
    ("Corso di primo soccorso", "Formazione", 50_000),
    ("Ludoteca con giochi da tavolo", "Cultura", 40_000),
    ("Ciclofficina", "Lavoro", 160_000),
    ("Sportello di ascolto psicologico", "Salute", 300_000),
    ("Mensa con menù per diete e religioni", "Vita quotidiana", 230_000),
]
PRISON_CATEGORIES = sorted({category for _t, category, _c in PRISON_THEMES})
# People present at the 20 assemblies of the first edition: 547 in all.
ASSEMBLY_ATTENDANCE = [
    33, 29, 31, 28, 27, 30, 34, 26, 28, 31, 27, 29, 25, 23, 26, 24, 27, 25, 22, 22,
]  # fmt: skip

# What co-design made of the 15 proposals that passed the support phase.
PRISON_PROJECTS = [
    (
        "P01",
        "Biblioteca aperta",
        [0],
        1_800_00,
        "feasible",
        "",
        "Segnalibri stampati nella legatoria",
    ),
    (
        "P02",
        "Colloqui a misura di bambino",
        [2, 3],
        6_000_00,
        "feasible",
        "",
        "Disegni dei papà e delle mamme",
    ),
    (
        "P03",
        "Orto e serra nel cortile",
        [6, 19],
        2_900_00,
        "feasible",
        "",
        "Cassette di ortaggi e aromatiche",
    ),
    ("P04", "Cineforum del giovedì", [7], 900_00, "feasible", "", ""),
    (
        "P05",
        "Informatica di base",
        [8],
        3_100_00,
        "feasible",
        "",
        "Attestato per chi contribuisce",
    ),
    ("P06", "Lavanderia di sezione", [9], 2_700_00, "feasible", "", ""),
    ("P07", "Italiano per tutti", [12], 1_300_00, "feasible", "", ""),
    ("P08", "Sportello lavoro", [13], 2_200_00, "feasible", "", ""),
    (
        "P09",
        "Corso di pizzeria",
        [18],
        1_900_00,
        "feasible",
        "",
        "Pizza offerta alla festa finale",
    ),
    (
        "P10",
        "Sartoria sociale",
        [20],
        2_100_00,
        "feasible",
        "",
        "Borse cucite in sartoria",
    ),
    (
        "P11",
        "Docce nuove",
        [21],
        7_000_00,
        "not_feasible",
        "Di competenza dell'amministrazione penitenziaria: i lavori strutturali "
        "non possono essere finanziati dal progetto.",
        "",
    ),
    (
        "P12",
        "Falegnameria",
        [5],
        5_600_00,
        "feasible",
        "",
        "Taglieri e sgabelli fatti in laboratorio",
    ),
    ("P13", "Ascolto psicologico", [27], 3_000_00, "feasible", "", ""),
]
PRISON_BUDGET_CENTS = 25_000_00
# Relative popularity of the projects on the ballot (index = position above).
PRISON_POPULARITY = [9, 10, 8, 6, 5, 7, 4, 6, 7, 3, 0, 4, 5]

CONSORTIUM_PROJECTS = [
    ("C01", "Nuova serra per le piantine", 18_000_00, "Vivaio Inclusivo"),
    ("C02", "Furgone refrigerato per le consegne", 32_000_00, "Bottega Equa"),
    ("C03", "Laboratorio di trasformazione a norma", 26_000_00, "Conserve Solidali"),
    (
        "C04",
        "Due nuove borse lavoro per persone fragili",
        24_000_00,
        "Orti di Comunità",
    ),
    (
        "C05",
        "Percorso didattico per le scuole",
        9_000_00,
        "Fattoria Didattica Il Ponte",
    ),
    ("C06", "Impianto di irrigazione a goccia", 14_000_00, "Cooperativa Terra Viva"),
]


def _facilitators(community: Community):
    return [
        m.user
        for m in community.memberships.filter(role__in=["facilitator", "admin"])
        .select_related("user")
        .order_by("user__email")
    ]


@transaction.atomic
def seed_prison_process(prison: Community) -> Process | None:
    if prison.processes.filter(slug=PRISON_PROCESS).exists():
        return None
    rng = random.Random(1989)  # Porto Alegre
    first, second = _facilitators(prison)[:2]
    process = services.process_create(
        community=prison,
        title="Idee in fuga: prima edizione",
        slug=PRISON_PROCESS,
        budget_cents=PRISON_BUDGET_CENTS,
        description=(
            "Detenute e detenuti propongono, sostengono e votano gli interventi "
            "da fare dentro l'istituto. I progetti vincitori diventano campagne "
            "di crowdfunding "
            "sostenute dai cittadini liberi."
        ),
        proposals_starts_on=datetime.date(2026, 1, 12),
        proposals_ends_on=datetime.date(2026, 2, 27),
        support_starts_on=datetime.date(2026, 3, 2),
        support_ends_on=datetime.date(2026, 3, 20),
        codesign_starts_on=datetime.date(2026, 3, 23),
        codesign_ends_on=datetime.date(2026, 4, 30),
        vote_starts_on=datetime.date(2026, 5, 4),
        results_on=datetime.date(2026, 5, 29),
        support_pass_mode="top_k",  # noqa: S106 - not a password
        support_threshold=15,
        ballot_kind="approval",
        approval_min=1,
        approval_max=4,
        outcome_rule="mes-add1",
    )
    categories = {
        name: process.categories.create(name=name) for name in PRISON_CATEGORIES
    }
    services.process_advance(process=process, actor=first)  # -> proposals

    men, women = (
        prison.sections.get(name="Reparto maschile"),
        prison.sections.get(name="Reparto femminile"),
    )
    assemblies = []
    for index, attendance in enumerate(ASSEMBLY_ATTENDANCE):
        ward = men if index < 12 else women
        assemblies.append(
            services.assembly_record(
                process=process,
                held_on=datetime.date(2026, 1, 12) + datetime.timedelta(days=2 * index),
                section=ward,
                place="Sala polivalente" if ward == men else "Biblioteca femminile",
                attendance=attendance,
                facilitators=[first, second],
            )
        )
    authors = {
        ward.pk: list(ward.participants.order_by("pseudonym")) for ward in (men, women)
    }
    proposals: list[Proposal] = []
    for ward, ward_assemblies in ((men, assemblies[:12]), (women, assemblies[12:])):
        for index, (title, category, cost) in enumerate(PRISON_THEMES):
            proposals.append(
                services.proposal_create(
                    process=process,
                    title=title,
                    description=(
                        f"Proposta emersa nell'assemblea del {ward.name.lower()}."
                    ),
                    category=categories[category],
                    section=ward,
                    estimated_cost_cents=cost,
                    author_participant=authors[ward.pk][index % len(authors[ward.pk])],
                    assembly=ward_assemblies[index % len(ward_assemblies)],
                )
            )
    services.process_advance(process=process, actor=first)  # -> support

    passing_themes = {
        i for _code, _t, sources, *_rest in PRISON_PROJECTS for i in sources
    }
    for proposal in proposals:
        theme = next(i for i, t in enumerate(PRISON_THEMES) if t[0] == proposal.title)
        in_men = proposal.section_id == men.pk
        # The themes co-design took up were the most supported in the men's ward.
        count = (
            (40 + theme % 7)
            if (theme in passing_themes and in_men)
            else rng.randint(3, 25)
        )
        services.support_tally_record(
            proposal=proposal, assembly=proposal.assembly, count=count, actor=first
        )
    services.process_advance(process=process, actor=first)  # -> co-design

    for code, title, sources, cost, verdict, reason, rewards in PRISON_PROJECTS:
        source_titles = {PRISON_THEMES[i][0] for i in sources}
        merged = list(
            process.proposals.filter(
                status="passed", title__in=source_titles, project__isnull=True
            )
        )
        project = services.project_create(
            process=process,
            code=code,
            title=title,
            description=" ".join(p.title + "." for p in merged),
            cost_cents=cost,
            proposals=merged,
            category=merged[0].category,
            reward_plan=rewards,
        )
        services.project_assess(project=project, feasibility=verdict, reason=reason)
    services.process_advance(process=process, actor=first)  # -> vote

    _paper_vote(
        process, rng, first, second, (men, assemblies[11]), (women, assemblies[19])
    )
    services.process_advance(process=process, actor=first)  # -> results
    # The demo replays a past edition: its closing date is written afterwards.
    Process.objects.filter(pk=process.pk).update(
        vote_ends_on=datetime.date(2026, 5, 22)
    )
    return process


def _paper_vote(process, rng, first, second, *wards):
    projects = list(process.projects.filter(feasibility="feasible").order_by("code"))
    popularity = [PRISON_POPULARITY[int(p.code[1:]) - 1] for p in projects]
    for ward, assembly in wards:
        batch = services.paper_batch_open(
            process=process,
            assembly=assembly,
            label=f"Schede {ward.name.lower()}",
            actor=first,
        )
        voters: list[Participant] = list(ward.participants.order_by("pseudonym"))
        for position, participant in enumerate(voters, start=1):
            code = services.voter_code_issue(participant=participant)
            size = rng.randint(1, process.approval_max)
            picked = set()
            while len(picked) < size:
                picked.add(rng.choices(projects, weights=popularity)[0].code)
            choices = dict.fromkeys(picked, 1)
            services.paper_entry_key(
                batch=batch,
                keying=1,
                position=position,
                voter_code=code,
                choices=choices,
                actor=first,
            )
            # The second facilitator misreads one sheet per ward; it is resolved below.
            typed = dict(choices) if position != 3 else {**choices, projects[0].code: 1}
            services.paper_entry_key(
                batch=batch,
                keying=2,
                position=position,
                voter_code=code,
                choices=typed,
                actor=second,
            )
            if typed != choices:
                services.paper_entry_resolve(
                    batch=batch,
                    position=position,
                    voter_code=code,
                    choices=choices,
                    actor=first,
                )
        services.paper_batch_accept(batch=batch, actor=first)


@transaction.atomic
def seed_consortium_process(consortium: Community) -> Process | None:
    if consortium.processes.filter(slug=CONSORTIUM_PROCESS).exists():
        return None
    manager = consortium.memberships.filter(role="manager").first().user
    process = services.process_create(
        community=consortium,
        title="Utili 2026: dove reinvestire",
        slug=CONSORTIUM_PROCESS,
        budget_cents=60_000_00,
        description=(
            "Il consorzio reinveste una parte degli utili nei progetti scelti da chi "
            "compra i suoi prodotti. Vota i progetti che preferisci."
        ),
        proposals_enabled=False,
        support_enabled=False,
        vote_starts_on=datetime.date(2026, 11, 2),
        vote_ends_on=datetime.date(2026, 12, 20),
        ballot_kind="approval",
        approval_min=1,
        approval_max=3,
        outcome_rule="mes-add1",
        # every paid order of the shop is one more vote of its buyer
        purchase_votes="order",
    )
    services.process_advance(process=process, actor=manager)  # -> co-design
    partners = {s.name: s for s in consortium.sections.all()}
    for code, title, cost, partner in CONSORTIUM_PROJECTS:
        Project.objects.create(
            process=process,
            code=code,
            title=title,
            description=f"Proposto da {partner}.",
            cost_cents=cost,
            section=partners[partner],
            feasibility="feasible",
        )
    services.process_advance(process=process, actor=manager)  # -> vote
    assert process.phase == Phase.VOTE
    return process

import datetime

import factory

from accounts.models import User
from participation.models import (
    Assembly,
    Community,
    Membership,
    Participant,
    Process,
    Project,
    Proposal,
    Role,
    Section,
)

TEST_PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    kind = Community.Kind.MUNICIPALITY
    is_public = True
    open_membership = False


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    community = factory.SubFactory(CommunityFactory)
    kind = Section.Kind.WARD
    name = factory.Sequence(lambda n: f"Section {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Role.PARTICIPANT


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    community = factory.SubFactory(CommunityFactory)
    section = None
    pseudonym = factory.Sequence(lambda n: f"Pseudonym {n:03d}")
    legal_name = factory.Sequence(lambda n: f"Realname Surname{n:03d}")


class ProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Process

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"Process {n}")
    slug = factory.Sequence(lambda n: f"process-{n}")
    budget_cents = 100_000
    phase = "draft"


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    process = factory.SubFactory(ProcessFactory)
    title = factory.Sequence(lambda n: f"Proposal {n}")
    description = "A proposal."


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    process = factory.SubFactory(ProcessFactory)
    code = factory.Sequence(lambda n: f"P{n:02d}")
    title = factory.Sequence(lambda n: f"Project {n}")
    description = "A project."
    cost_cents = 30_000
    feasibility = "feasible"


class AssemblyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assembly

    process = factory.SubFactory(ProcessFactory)
    held_on = datetime.date(2026, 3, 2)
    attendance = 25

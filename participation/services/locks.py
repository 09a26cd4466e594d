from django.db import connection

from ..models import Process


def process_lock_shared(process_pk: int) -> Process:
    """Read the process under a shared row lock (PostgreSQL ``FOR SHARE``).

    Many ballots can hold it at once; a rules change (``FOR UPDATE``) waits for
    them and they wait for it, so no ballot is checked against rules that are
    being changed. Other databases fall back to an exclusive lock.
    """
    if connection.vendor == "postgresql":
        table = Process._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = %s FOR SHARE",  # noqa: S608
                [process_pk],
            )  # noqa: S608
        return Process.objects.select_related("community").get(pk=process_pk)
    return (
        Process.objects.select_for_update()
        .select_related("community")
        .get(pk=process_pk)
    )


def process_lock(process_pk: int) -> Process:
    return (
        Process.objects.select_for_update()
        .select_related("community")
        .get(pk=process_pk)
    )

"""Fill empty entries of a .po catalogue from a Python dict of translations.

    .venv/bin/python bin/fill_catalogue.py locale/it/LC_MESSAGES/django.po TABLE.py

TABLE.py defines IT = {msgid: msgstr} and PLURALS = {msgid: (one, many)}.
Entries already translated are left alone; the script prints what is missing.
"""

import runpy
import sys

import polib


def main(po_path: str, table_path: str) -> int:
    table = runpy.run_path(table_path)
    singular, plural = table.get("IT", {}), table.get("PLURALS", {})
    catalogue = polib.pofile(po_path)
    missing = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            if entry.msgid in plural:
                one, many = plural[entry.msgid]
                entry.msgstr_plural = {0: one, 1: many}
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
            elif not all(entry.msgstr_plural.values()):
                missing.append(entry.msgid)
        elif entry.msgid in singular:
            entry.msgstr = singular[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr:
            missing.append(entry.msgid)
    catalogue.save()
    for msgid in missing:
        print(f"missing: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

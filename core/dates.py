"""Month and weekday names as they are written inside an Italian sentence.

Italian writes them in lower case ("1 dicembre 2026", "entro martedì");
Django's Italian catalogue capitalises them. These are Django's own message
ids: listing them here puts them in our catalogue, which comes first
(LOCALE_PATHS), with the lower-case forms. Only the names change; the formats
are in config/formats/it/formats.py.
"""

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
WEEKDAYS = [
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
]

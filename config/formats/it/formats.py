"""Italian date formats as Italians write them: "1 dicembre 2026, 16:30".

Django's Italian formats pad the day ("01 Dicembre 2026") and put the weekday
in front of every date and time; everything else is Django's. The month names
are lower case through our catalogue (core/dates.py)."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"

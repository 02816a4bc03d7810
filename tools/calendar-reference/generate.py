#!/usr/bin/env python3
"""Independent reference for the Deadlines module: Finnish holidays and deadline vectors.

Written from the rules in shared/spec/sla.md, not from the Swift code, with different means:
Easter from dateutil (python-dateutil's Western algorithm), months from dateutil.relativedelta,
instants from zoneinfo's Europe/Helsinki. Writes JSON fixtures that DeadlinesTests reads:

    python3 tools/calendar-reference/generate.py        # writes Tests/DeadlinesTests/Fixtures/*.json
    python3 tools/calendar-reference/generate.py --check  # fails if the committed fixtures differ

Conventions (the same contract the Swift module documents, checked here from first principles):
- the day of the event is not counted (Act 150/1930 2 §); local dates in Europe/Helsinki;
- a day-based deadline is due at the end of its local day: 23:59:59.999 local, i.e. one millisecond
  before the next local midnight (computed in UTC, so a 23- or 25-hour day is handled by zoneinfo);
- months: same day number or the month's last day (3 §); weeks: same weekday;
- a deadline ending on a Saturday, Sunday, holiday, Christmas Eve or Midsummer Eve (or a configured
  closure day) moves to the next day on which a deadline may end (5 §); both dates are recorded;
- whether the eves count inside a count is a setting (default: they do not);
- clock hours are exact elapsed time and never roll;
- school working days follow a school calendar: a day in a break is closed, a day outside the terms is
  closed, an extra working day is open, otherwise weekdays less holidays and eves are open; outside the
  configured school years national statutory rules (weekends, holidays, eves) apply.
"""

import argparse
import datetime as dt
import json
import pathlib
import sys
from zoneinfo import ZoneInfo

from dateutil.easter import EASTER_WESTERN, easter
from dateutil.relativedelta import relativedelta

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = dt.timezone.utc
FIRST_YEAR, LAST_YEAR = 2024, 2035
FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "DeadlinesTests" / "Fixtures"

# ----------------------------------------------------------------------------------------------------------
# Holidays


def weekday_in(year, month, first_day, last_day, iso_weekday):
    """The single date in [first_day, last_day] of the month that falls on iso_weekday (Mon=1)."""
    found = [
        dt.date(year, month, d)
        for d in range(first_day, last_day + 1)
        if dt.date(year, month, d).isoweekday() == iso_weekday
    ]
    assert len(found) == 1, (year, month, first_day, last_day, iso_weekday)
    return found[0]


def all_saints(year):
    """The Saturday between 31 October and 6 November."""
    start = dt.date(year, 10, 31)
    found = [start + dt.timedelta(days=i) for i in range(7) if (start + dt.timedelta(days=i)).isoweekday() == 6]
    assert len(found) == 1
    return found[0]


def holidays(year):
    """{date: holiday id} for every Finnish holiday and eve of the year."""
    e = easter(year, EASTER_WESTERN)
    table = {
        "new_years_day": dt.date(year, 1, 1),
        "epiphany": dt.date(year, 1, 6),
        "good_friday": e - dt.timedelta(days=2),
        "easter_sunday": e,
        "easter_monday": e + dt.timedelta(days=1),
        "may_day": dt.date(year, 5, 1),
        "ascension_day": e + dt.timedelta(days=39),
        "whit_sunday": e + dt.timedelta(days=49),
        "midsummer_eve": weekday_in(year, 6, 19, 25, 5),
        "midsummer_day": weekday_in(year, 6, 20, 26, 6),
        "all_saints_day": all_saints(year),
        "independence_day": dt.date(year, 12, 6),
        "christmas_eve": dt.date(year, 12, 24),
        "christmas_day": dt.date(year, 12, 25),
        "st_stephens_day": dt.date(year, 12, 26),
    }
    by_date = {d: name for name, d in table.items()}
    assert len(by_date) == len(table), f"two holidays share a date in {year}"
    return by_date


HOLIDAYS = {}
for _year in range(FIRST_YEAR - 1, LAST_YEAR + 3):
    HOLIDAYS.update(holidays(_year))

EVES = {"christmas_eve", "midsummer_eve"}


def statutory_reason(day):
    """Why a deadline may not end on `day` under Act 150/1930 5 §, or None."""
    if day in HOLIDAYS:
        return "holiday:" + HOLIDAYS[day]
    if day.isoweekday() == 6:
        return "weekend:saturday"
    if day.isoweekday() == 7:
        return "weekend:sunday"
    return None


class National:
    def __init__(self, settings):
        self.christmas_eve_working = settings.get("christmasEveIsWorkingDay", False)
        self.midsummer_eve_working = settings.get("midsummerEveIsWorkingDay", False)
        self.closures = {dt.date.fromisoformat(c["date"]): c["name"] for c in settings.get("closureDays", [])}
        self.identifier = "fi-national"

    def counting_reason(self, day):
        name = HOLIDAYS.get(day)
        eve_counts = (name == "christmas_eve" and self.christmas_eve_working) or (
            name == "midsummer_eve" and self.midsummer_eve_working
        )
        if name is not None and not eve_counts:
            return "holiday:" + name
        if day.isoweekday() >= 6:
            return "weekend:" + ("saturday" if day.isoweekday() == 6 else "sunday")
        if day in self.closures:
            return "closure_day:" + self.closures[day]
        return None

    def shift_reason(self, day):
        reason = statutory_reason(day)
        if reason is None and day in self.closures:
            reason = "closure_day:" + self.closures[day]
        return reason

    def covers(self, day):
        return True


class School:
    def __init__(self, calendar):
        self.identifier = "school/" + calendar["id"]
        self.years = []
        for year in calendar["years"]:
            self.years.append(
                {
                    "from": dt.date.fromisoformat(year["from"]),
                    "through": dt.date.fromisoformat(year["through"]),
                    "terms": [
                        (dt.date.fromisoformat(t["from"]), dt.date.fromisoformat(t["through"])) for t in year["terms"]
                    ],
                    "breaks": [
                        (dt.date.fromisoformat(b["from"]), dt.date.fromisoformat(b["through"]), b["name"])
                        for b in year.get("breaks", [])
                    ],
                    "extra": {dt.date.fromisoformat(x["date"]) for x in year.get("extraWorkingDays", [])},
                }
            )

    def year_of(self, day):
        for year in self.years:
            if year["from"] <= day <= year["through"]:
                return year
        return None

    def counting_reason(self, day):
        year = self.year_of(day)
        if year is None:
            return statutory_reason(day)
        if day in year["extra"]:
            return None
        for start, end, name in year["breaks"]:
            if start <= day <= end:
                return "school_holiday:" + name
        if not any(start <= day <= end for start, end in year["terms"]):
            return "outside_school_term"
        return statutory_reason(day)

    shift_reason = counting_reason

    def covers(self, day):
        return self.year_of(day) is not None


# ----------------------------------------------------------------------------------------------------------
# Counting


def end_of_local_day(day):
    """23:59:59.999 local: one millisecond before the next local midnight, computed in UTC."""
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=HELSINKI)
    return next_midnight.astimezone(UTC) - dt.timedelta(milliseconds=1)


def epoch_ms(instant):
    return round(instant.timestamp() * 1000)


def rfc3339_local(instant):
    local = instant.astimezone(HELSINKI)
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    ms = local.microsecond // 1000
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_span(text):
    if text == "same_or_next_wd":
        return "wd", 1
    if text == "same_or_next_swd":
        return "swd", 1
    for unit in ("swd", "wd", "d", "w", "m", "h"):
        if text.endswith(unit) and text[: -len(unit)].isdigit():
            return unit, int(text[: -len(unit)])
    raise ValueError(text)


def compute(vector, school_calendars):
    start = dt.datetime.fromisoformat(vector["start"]).astimezone(UTC)
    start_date = start.astimezone(HELSINKI).date()
    unit, n = parse_span(vector["span"])
    national = National(vector.get("settings", {}))
    school_key = vector.get("schoolCalendar")
    if unit == "swd" and school_key is not None:
        calendar = School(school_calendars[school_key])
    else:
        calendar = national
    skipped, rolled_past = [], []
    if unit == "h":
        due = start + dt.timedelta(hours=n)
        raw = rolled = due.astimezone(HELSINKI).date()
        return {
            "startDate": start_date.isoformat(),
            "rawDate": raw.isoformat(),
            "rolledDate": rolled.isoformat(),
            "dueDate": raw.isoformat(),
            "dueAt": rfc3339_local(due),
            "dueAtEpochMs": epoch_ms(due),
            "calendar": "elapsed-time",
            "skipped": [],
            "rolledPast": [],
        }, start
    if unit in ("wd", "swd"):
        day, counted = start_date, 0
        while counted < n:
            day += dt.timedelta(days=1)
            reason = calendar.counting_reason(day)
            if reason is None:
                counted += 1
            else:
                skipped.append({"date": day.isoformat(), "reason": reason})
        raw = day
    elif unit == "d":
        raw = start_date + dt.timedelta(days=n)
    elif unit == "w":
        raw = start_date + dt.timedelta(weeks=n)
    else:
        raw = start_date + relativedelta(months=n)
    rolled = raw
    while (reason := calendar.shift_reason(rolled)) is not None:
        rolled_past.append({"date": rolled.isoformat(), "reason": reason})
        rolled += dt.timedelta(days=1)
    due_date = rolled if vector["roll"] else raw
    due = end_of_local_day(due_date)
    return {
        "startDate": start_date.isoformat(),
        "rawDate": raw.isoformat(),
        "rolledDate": rolled.isoformat(),
        "dueDate": due_date.isoformat(),
        "dueAt": rfc3339_local(due),
        "dueAtEpochMs": epoch_ms(due),
        "calendar": calendar.identifier,
        "skipped": skipped,
        "rolledPast": rolled_past,
    }, start


# ----------------------------------------------------------------------------------------------------------
# The illustrative school calendar (the same content as config/steering/calendar.yaml)

LAHTI = {
    "id": "lahti",
    "name": "Lahti basic education (illustrative)",
    "municipality": "398",
    "illustrative": True,
    "years": [
        {
            "name": "2026-2027",
            "from": "2026-08-01",
            "through": "2027-07-31",
            "terms": [
                {"name": "Autumn term (syyslukukausi)", "from": "2026-08-12", "through": "2026-12-19"},
                {"name": "Spring term (kevätlukukausi)", "from": "2027-01-07", "through": "2027-06-05"},
            ],
            "breaks": [
                {"name": "Autumn break (syysloma)", "from": "2026-10-12", "through": "2026-10-18"},
                {"name": "Christmas break (joululoma)", "from": "2026-12-20", "through": "2027-01-06"},
                {"name": "Winter break (talviloma)", "from": "2027-03-08", "through": "2027-03-14"},
            ],
            "extraWorkingDays": [
                {"date": "2026-12-19", "name": "Saturday school day: Christmas celebration (joulujuhla)"},
                {"date": "2027-06-05", "name": "Saturday school day: spring celebration (kevätjuhla)"},
            ],
        }
    ],
}

EVES_WORKING = {"christmasEveIsWorkingDay": True, "midsummerEveIsWorkingDay": True}
CLOSURE = {"closureDays": [{"date": "2026-12-31", "name": "Regional closure day (illustrative)"}]}


def v(vector_id, note, start, span, roll=True, **extra):
    vector = {"id": vector_id, "note": note, "start": start, "span": span, "roll": roll}
    vector.update(extra)
    return vector


VECTORS = [
    # Easter
    v("easter-2025-7wd-maundy-thursday", "Good Friday and Easter Monday skipped", "2025-04-17T10:00:00+03:00", "7wd"),
    v("easter-2025-3wd-wednesday", "", "2025-04-16T16:45:00+03:00", "3wd"),
    v(
        "easter-2025-1wd-thursday",
        "next working day after Maundy Thursday is Tuesday",
        "2025-04-17T08:00:00+03:00",
        "1wd",
    ),
    v("easter-2024-7wd", "Easter 2024 is 31 March, the DST change day", "2024-03-27T12:00:00+02:00", "7wd"),
    v("easter-2026-7wd", "Easter 2026 is 5 April", "2026-04-02T09:00:00+03:00", "7wd"),
    v("easter-2027-5wd", "Easter 2027 is 28 March, the DST change day", "2027-03-24T14:00:00+02:00", "5wd"),
    v("easter-2030-7wd", "Easter 2030 is 21 April", "2030-04-18T11:00:00+03:00", "7wd"),
    v("easter-2035-7wd", "Easter 2035 is 25 March, DST starts that day", "2035-03-22T11:00:00+02:00", "7wd"),
    v(
        "easter-2025-1w-ends-good-friday",
        "a week ending on Good Friday rolls to Tuesday",
        "2025-04-11T09:00:00+03:00",
        "1w",
    ),
    v(
        "easter-2025-1w-ends-good-friday-no-roll",
        "the raw date is the target",
        "2025-04-11T09:00:00+03:00",
        "1w",
        roll=False,
    ),
    v("easter-2025-3d-ends-easter-sunday", "", "2025-04-17T09:00:00+03:00", "3d"),
    # May Day
    v("may-day-2025-7wd", "May Day (Thursday) skipped", "2025-04-28T09:00:00+03:00", "7wd"),
    v("may-day-2026-3wd", "May Day 2026 is a Friday", "2026-04-29T09:00:00+03:00", "3wd"),
    v(
        "may-day-2027-saturday-1m",
        "1 May 2027 is a Saturday: a month ending there rolls to Monday",
        "2027-04-01T09:00:00+03:00",
        "1m",
    ),
    v("may-day-2029-1w-ends-may-day", "", "2029-04-24T09:00:00+03:00", "1w"),
    # Ascension
    v("ascension-2025-7wd", "Ascension 29 May 2025", "2025-05-27T09:00:00+03:00", "7wd"),
    v("ascension-2026-3wd", "Ascension 14 May 2026", "2026-05-13T09:00:00+03:00", "3wd"),
    v("ascension-2028-2w-ends-ascension", "Ascension 25 May 2028", "2028-05-11T09:00:00+03:00", "2w"),
    v("whit-2026-7wd-may", "Whit Sunday is a Sunday anyway", "2026-05-20T09:00:00+03:00", "7wd"),
    # Midsummer
    v("midsummer-2025-7wd", "Midsummer Eve 20 June 2025 not counted", "2025-06-18T09:00:00+03:00", "7wd"),
    v("midsummer-2026-1wd-thursday", "Midsummer Eve 19 June 2026 not counted", "2026-06-18T09:00:00+03:00", "1wd"),
    v(
        "midsummer-2026-1wd-eve-working",
        "the eve counts, but a deadline may not end on it: raw Friday, rolled Monday",
        "2026-06-18T09:00:00+03:00",
        "1wd",
        settings=EVES_WORKING,
    ),
    v(
        "midsummer-2026-1wd-eve-working-no-roll",
        "raw date targeted",
        "2026-06-18T09:00:00+03:00",
        "1wd",
        roll=False,
        settings=EVES_WORKING,
    ),
    v(
        "midsummer-2026-3wd-eve-working",
        "the eve counts inside",
        "2026-06-17T09:00:00+03:00",
        "3wd",
        settings=EVES_WORKING,
    ),
    v("midsummer-2030-3w-ends-eve", "Midsummer Eve 21 June 2030", "2030-05-31T09:00:00+03:00", "3w"),
    v("same-or-next-wd-midsummer-2025", "", "2025-06-19T15:00:00+03:00", "same_or_next_wd"),
    # All Saints
    v("all-saints-2026-3w-ends-saturday", "All Saints' Day 31 Oct 2026 (Saturday)", "2026-10-10T09:00:00+03:00", "3w"),
    v(
        "all-saints-2025-7wd",
        "All Saints' Day 1 Nov 2025 is a Saturday: nothing extra skipped",
        "2025-10-29T09:00:00+02:00",
        "7wd",
    ),
    v("all-saints-2025-1m-ends-saturday", "", "2025-10-01T09:00:00+03:00", "1m"),
    v("all-saints-weekday-1nov-2027", "1 Nov 2027 is a Monday and a working day", "2027-10-29T09:00:00+03:00", "1wd"),
    # Independence Day
    v("independence-2024-7wd", "6 Dec 2024 is a Friday", "2024-12-04T09:00:00+02:00", "7wd"),
    v("independence-2027-1wd", "6 Dec 2027 is a Monday", "2027-12-03T09:00:00+02:00", "1wd"),
    v("independence-2025-saturday-2w", "6 Dec 2025 is a Saturday", "2025-11-22T09:00:00+02:00", "2w"),
    v("independence-2028-3m", "6 Dec 2028 is a Wednesday", "2028-09-06T09:00:00+03:00", "3m"),
    # Christmas to New Year
    v(
        "christmas-2025-7wd",
        "Christmas Eve to St Stephen's skipped; New Year's Eve is a working day",
        "2025-12-19T09:00:00+02:00",
        "7wd",
    ),
    v("christmas-2025-1wd-from-23rd", "", "2025-12-23T12:00:00+02:00", "1wd"),
    v(
        "christmas-2025-1wd-eves-working",
        "Christmas Eve counted but a deadline may not end on it",
        "2025-12-23T12:00:00+02:00",
        "1wd",
        settings=EVES_WORKING,
    ),
    v(
        "christmas-2025-7wd-eves-working",
        "Christmas Eve counted",
        "2025-12-17T09:00:00+02:00",
        "7wd",
        settings=EVES_WORKING,
    ),
    v("christmas-2025-3m-ends-christmas-eve", "rolls past Christmas", "2025-09-24T09:00:00+03:00", "3m"),
    v("christmas-2025-3m-ends-christmas-eve-no-roll", "", "2025-09-24T09:00:00+03:00", "3m", roll=False),
    v("new-years-eve-2025-1wd", "New Year's Eve is an ordinary working day", "2025-12-30T09:00:00+02:00", "1wd"),
    v("new-year-2026-3wd", "New Year's Day and Epiphany", "2025-12-31T09:00:00+02:00", "3wd"),
    v("christmas-2026-7wd", "Christmas 2026 Thursday–Saturday", "2026-12-22T09:00:00+02:00", "7wd"),
    v(
        "christmas-2026-7wd-closure",
        "with a configured closure day on 31 Dec 2026",
        "2026-12-22T09:00:00+02:00",
        "7wd",
        settings=CLOSURE,
    ),
    v(
        "christmas-2026-1w-ends-closure",
        "a deadline may not end on a closure day",
        "2026-12-24T09:00:00+02:00",
        "1w",
        settings=CLOSURE,
    ),
    v("christmas-2030-7wd", "", "2030-12-20T09:00:00+02:00", "7wd"),
    v("christmas-2032-7wd", "Christmas 2032 Friday–Sunday", "2032-12-21T09:00:00+02:00", "7wd"),
    v("epiphany-2029-1w", "6 Jan 2029 is a Saturday", "2028-12-30T09:00:00+02:00", "1w"),
    # DST and time-zone conversion
    v("dst-spring-2025-4h", "clocks go 03:00 -> 04:00 on 30 March 2025", "2025-03-30T01:30:00+02:00", "4h"),
    v("dst-spring-2025-1h", "", "2025-03-30T02:30:00+02:00", "1h"),
    v("dst-autumn-2025-1h", "first 03:30 (EEST)", "2025-10-26T02:30:00+03:00", "1h"),
    v("dst-autumn-2025-2h", "second 03:30 (EET)", "2025-10-26T02:30:00+03:00", "2h"),
    v("dst-autumn-2025-24h", "a 25-hour day: 24 h later is 23:30 the same day", "2025-10-26T00:30:00+03:00", "24h"),
    v(
        "dst-spring-2026-1d-no-roll",
        "due at the end of the 23-hour Sunday",
        "2026-03-28T09:00:00+02:00",
        "1d",
        roll=False,
    ),
    v(
        "dst-autumn-2026-1d-no-roll",
        "due at the end of the 25-hour Sunday",
        "2026-10-24T09:00:00+03:00",
        "1d",
        roll=False,
    ),
    v("dst-spring-2025-1d-rolled", "", "2025-03-29T09:00:00+02:00", "1d"),
    v("dst-autumn-2030-7wd", "counting across the change", "2030-10-23T09:00:00+03:00", "7wd"),
    v(
        "utc-sunday-evening-is-monday",
        "23:30 UTC on a summer Sunday is Monday in Helsinki",
        "2025-06-29T23:30:00Z",
        "7wd",
    ),
    v(
        "utc-late-friday-is-saturday",
        "22:30 UTC on a winter Friday is Saturday 00:30 in Helsinki",
        "2026-01-09T22:30:00Z",
        "1wd",
    ),
    v("emergency-1h-evening", "", "2026-11-22T23:30:00+02:00", "1h"),
    # Leap years and month ends
    v("leap-2027-11-30-3m", "30 Nov + 3 months = 29 Feb 2028 (Tuesday)", "2027-11-30T09:00:00+02:00", "3m"),
    v(
        "nonleap-2025-11-30-3m",
        "30 Nov + 3 months = 28 Feb 2026 (Saturday) -> Monday",
        "2025-11-30T09:00:00+02:00",
        "3m",
    ),
    v("nonleap-2025-11-30-3m-no-roll", "", "2025-11-30T09:00:00+02:00", "3m", roll=False),
    v("leap-2031-11-30-3m", "29 Feb 2032 is a Sunday", "2031-11-30T09:00:00+02:00", "3m"),
    v("leap-2028-02-29-12m", "29 Feb + 12 months = 28 Feb 2029", "2028-02-29T09:00:00+02:00", "12m"),
    v("leap-2024-02-29-1w", "", "2024-02-29T09:00:00+02:00", "1w"),
    v("leap-2024-02-28-1wd", "29 Feb 2024 is a Thursday", "2024-02-28T09:00:00+02:00", "1wd"),
    v("month-end-2025-01-31-1m", "", "2025-01-31T09:00:00+02:00", "1m"),
    v("month-end-2026-01-31-1m", "28 Feb 2026 is a Saturday", "2026-01-31T09:00:00+02:00", "1m"),
    v("month-end-2025-08-31-3m", "30 Nov 2025 is a Sunday", "2025-08-31T09:00:00+03:00", "3m"),
    v("month-end-2025-05-31-1m", "", "2025-05-31T09:00:00+03:00", "1m"),
    v("month-end-2033-03-31-1m", "", "2033-03-31T09:00:00+03:00", "1m"),
    v("mental-health-3w", "", "2026-05-29T09:00:00+03:00", "3w"),
    v("mental-health-6w-no-roll", "", "2026-05-09T09:00:00+03:00", "6w", roll=False),
    v("therapy-guarantee-28d", "", "2025-05-01T09:00:00+03:00", "28d", roll=False),
    v("received-saturday-7wd", "received on a Saturday", "2026-03-14T13:00:00+02:00", "7wd"),
    v("received-holiday-7wd", "received on Easter Monday", "2034-04-10T13:00:00+03:00", "7wd"),
    v("consultation-3wd-friday", "", "2026-09-04T15:00:00+03:00", "3wd"),
    # School working days (illustrative Lahti calendar)
    v(
        "school-7swd-autumn-break",
        "the autumn break pauses the count",
        "2026-10-08T10:00:00+03:00",
        "7swd",
        schoolCalendar="lahti",
    ),
    v(
        "school-7swd-saturday-school-day",
        "the Saturday school day counts",
        "2026-12-14T10:00:00+02:00",
        "7swd",
        schoolCalendar="lahti",
    ),
    v(
        "school-3swd-christmas-break",
        "the Saturday school day counts, the Christmas break pauses",
        "2026-12-18T10:00:00+02:00",
        "3swd",
        schoolCalendar="lahti",
    ),
    v(
        "school-urgent-friday",
        "same or next school working day: Monday",
        "2027-02-05T13:00:00+02:00",
        "same_or_next_swd",
        schoolCalendar="lahti",
    ),
    v("school-urgent-before-winter-break", "", "2027-03-05T13:00:00+02:00", "same_or_next_swd", schoolCalendar="lahti"),
    v(
        "school-7swd-ascension-2027",
        "Ascension 6 May 2027 closes the school",
        "2027-05-04T10:00:00+03:00",
        "7swd",
        schoolCalendar="lahti",
    ),
    v(
        "school-7swd-end-of-spring-term",
        "the count leaves the configured school year",
        "2027-06-02T10:00:00+03:00",
        "7swd",
        schoolCalendar="lahti",
    ),
    v(
        "school-7swd-summer-before-term",
        "received in the summer: counting starts with the term",
        "2026-08-03T10:00:00+03:00",
        "7swd",
        schoolCalendar="lahti",
    ),
    v("school-7swd-no-calendar", "no school calendar: national working days", "2026-10-08T10:00:00+03:00", "7swd"),
]


def known_dates_check():
    """Hand-checked anchors: if these fail, the reference itself is wrong."""
    assert easter(2025, EASTER_WESTERN) == dt.date(2025, 4, 20)
    assert easter(2024, EASTER_WESTERN) == dt.date(2024, 3, 31)
    assert easter(2026, EASTER_WESTERN) == dt.date(2026, 4, 5)
    assert HOLIDAYS[dt.date(2026, 6, 19)] == "midsummer_eve"
    assert HOLIDAYS[dt.date(2026, 10, 31)] == "all_saints_day"
    assert HOLIDAYS[dt.date(2025, 5, 29)] == "ascension_day"
    assert dt.date(2025, 11, 1) in HOLIDAYS and dt.date(2024, 11, 2) in HOLIDAYS
    assert dt.date(2025, 12, 31) not in HOLIDAYS


def build():
    known_dates_check()
    holiday_fixture = {
        "generator": "tools/calendar-reference/generate.py",
        "years": {
            str(year): [{"date": d.isoformat(), "holiday": name} for d, name in sorted(holidays(year).items())]
            for year in range(FIRST_YEAR, LAST_YEAR + 1)
        },
        "easterSundays": {
            str(year): easter(year, EASTER_WESTERN).isoformat() for year in range(FIRST_YEAR, LAST_YEAR + 1)
        },
    }
    school_calendars = {"lahti": LAHTI}
    vectors = []
    ids = set()
    for vector in VECTORS:
        assert vector["id"] not in ids, vector["id"]
        ids.add(vector["id"])
        expected, start = compute(vector, school_calendars)
        vectors.append(dict(vector, startEpochMs=epoch_ms(start), expected=expected))
    deadline_fixture = {
        "generator": "tools/calendar-reference/generate.py",
        "schoolCalendars": {"settings": {}, "schoolCalendars": [LAHTI]},
        "vectors": vectors,
    }
    return {"holidays.json": holiday_fixture, "deadlines.json": deadline_fixture}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed fixtures")
    args = parser.parse_args()
    outputs = {name: json.dumps(content, indent=1, ensure_ascii=False) + "\n" for name, content in build().items()}
    if args.check:
        stale = [name for name, text in outputs.items() if (FIXTURES / name).read_text(encoding="utf-8") != text]
        if stale:
            print("stale fixtures: " + ", ".join(stale) + " (run generate.py)", file=sys.stderr)
            return 1
        print("fixtures are up to date")
        return 0
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (FIXTURES / name).write_text(text, encoding="utf-8")
    print(
        f"wrote {', '.join(outputs)}: {len(build()['deadlines.json']['vectors'])} vectors, "
        f"{LAST_YEAR - FIRST_YEAR + 1} years of holidays"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

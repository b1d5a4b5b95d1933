//! The tenant's working schedule (R-S1, R-S2): one IANA time zone, weekly intervals (several a day,
//! overnight allowed), holidays by date and extra working dates.
//!
//! Semantics, chosen to match what an administrator means when filling the form:
//! - An interval belongs to the date it starts on. `22:00–06:00` on Monday runs from Monday 22:00 to
//!   Tuesday 06:00, even when Tuesday is a holiday; a holiday only removes the intervals that start
//!   on it.
//! - An extra working date replaces that date's weekly intervals with its own.
//! - `24:00` as an end means midnight at the end of the day; `00:00–24:00` is the whole day.
//! - Local times that do not exist (the hour skipped when clocks go forward) resolve to the first
//!   instant after the gap; ambiguous ones (the hour repeated when clocks go back) to the first of
//!   the two. So a 09:00–18:00 day is always 9 local hours long except on a DST day, where it is as
//!   long as the clocks say.
//! - Adjacent or overlapping intervals (Monday 22:00–24:00 then Tuesday 00:00–06:00) form one
//!   working period: "when does the current period end" answers with the end of the whole run.

use crate::validation::{Problem, ValidationErrors, char_len};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// At most this many intervals on one day.
pub const MAX_INTERVALS_PER_DAY: usize = 12;
/// At most this many holidays, and separately this many extra working dates.
pub const MAX_DATED_ENTRIES: usize = 1000;
/// Holiday names are at most this many characters.
pub const MAX_HOLIDAY_NAME_CHARS: usize = 100;
/// How far "when does the current period end" looks ahead before answering "not within a year".
pub const LOOKAHEAD_DAYS: u64 = 400;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// A working interval within a day, in minutes since local midnight. `end <= start` means it runs
/// overnight into the next day; `end` is at most 1440 (`24:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DailyInterval {
    start: u16,
    end: u16,
}

impl DailyInterval {
    /// `start` in 0..1440, `end` in 1..=1440, and they differ.
    pub fn new(start: u16, end: u16) -> Option<Self> {
        (start < MINUTES_PER_DAY && (1..=MINUTES_PER_DAY).contains(&end) && start != end).then_some(Self { start, end })
    }

    pub fn is_overnight(&self) -> bool {
        self.end <= self.start
    }

    /// Start and end in minutes from the start of its own day (the end may exceed 1440).
    fn span(&self) -> (u32, u32) {
        let end = if self.is_overnight() {
            u32::from(self.end) + u32::from(MINUTES_PER_DAY)
        } else {
            self.end.into()
        };
        (self.start.into(), end)
    }
}

/// The working schedule. Construct it from a [`WorkingScheduleDoc`] with `try_from`; the wire form
/// and the stored form are that document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WorkingScheduleDoc", into = "WorkingScheduleDoc")]
pub struct WorkingSchedule {
    time_zone: Tz,
    /// Monday first.
    weekly: [Vec<DailyInterval>; 7],
    holidays: BTreeMap<NaiveDate, Option<String>>,
    extra_working_dates: BTreeMap<NaiveDate, Vec<DailyInterval>>,
}

/// Where an instant falls in the schedule, and when that stretch of time ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulePeriod {
    /// Working time. `until` is when it ends; `None` when it does not end within [`LOOKAHEAD_DAYS`].
    Working { until: Option<DateTime<Utc>> },
    /// Non-working time. `until` is when work starts next; `None` when no work is scheduled within
    /// [`LOOKAHEAD_DAYS`].
    NonWorking { until: Option<DateTime<Utc>> },
}

impl SchedulePeriod {
    pub fn is_working(&self) -> bool {
        matches!(self, SchedulePeriod::Working { .. })
    }

    /// When the current period ends, if within the look-ahead.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            SchedulePeriod::Working { until } | SchedulePeriod::NonWorking { until } => *until,
        }
    }
}

impl WorkingSchedule {
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Is `t` inside a working period?
    pub fn is_working_at(&self, t: DateTime<Utc>) -> bool {
        let today = t.with_timezone(&self.time_zone).date_naive();
        // An interval lasts less than two days, so only yesterday's and today's can cover `t`.
        [today.pred_opt(), Some(today)]
            .into_iter()
            .flatten()
            .flat_map(|d| self.periods_of(d))
            .any(|(s, e)| s <= t && t < e)
    }

    /// Whether `t` is working time, and when that period (merged across adjacent intervals) ends.
    pub fn period_at(&self, t: DateTime<Utc>) -> SchedulePeriod {
        let Some(first_day) = t.with_timezone(&self.time_zone).date_naive().pred_opt() else {
            return SchedulePeriod::NonWorking { until: None };
        };
        // Periods come out ordered by start: a day's periods start on that day, and within a day
        // they are sorted.
        let periods = (0..=LOOKAHEAD_DAYS)
            .map_while(|i| first_day.checked_add_days(Days::new(i)))
            .flat_map(|d| self.periods_of(d));
        let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for (s, e) in periods {
            match current {
                None if e > t => {
                    if s > t {
                        return SchedulePeriod::NonWorking { until: Some(s) };
                    }
                    current = Some((s, e));
                }
                None => {}
                Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
                Some((_, ce)) => return SchedulePeriod::Working { until: Some(ce) },
            }
        }
        match current {
            Some(_) => SchedulePeriod::Working { until: None },
            None => SchedulePeriod::NonWorking { until: None },
        }
    }

    /// The intervals that start on `date`, after holidays and extra working dates.
    pub fn intervals_on(&self, date: NaiveDate) -> &[DailyInterval] {
        if self.holidays.contains_key(&date) {
            return &[];
        }
        if let Some(extra) = self.extra_working_dates.get(&date) {
            return extra;
        }
        &self.weekly[date.weekday().num_days_from_monday() as usize]
    }

    /// The working periods that start on `date`, as instants, sorted by start. Empty ones (an
    /// interval that falls wholly into a skipped DST hour) are dropped.
    fn periods_of(&self, date: NaiveDate) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        self.intervals_on(date).iter().filter_map(move |iv| {
            let (start, end) = iv.span();
            let s = self.resolve(date, start)?;
            let e = self.resolve(date, end)?;
            (s < e).then_some((s, e))
        })
    }

    /// The instant of local `date` + `minutes` (which may run past midnight).
    fn resolve(&self, date: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
        let local = date
            .and_time(NaiveTime::MIN)
            .checked_add_signed(TimeDelta::minutes(minutes.into()))?;
        resolve_local(self.time_zone, local)
    }
}

/// Maps a local time to an instant: ambiguous → the earlier, skipped → the end of the gap.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Gaps are at most a few hours in the tz database; 26 h covers every historical oddity.
    for step in 0..=(26 * 60) {
        let candidate = local.checked_add_signed(TimeDelta::minutes(step))?;
        if let Some(t) = tz.from_local_datetime(&candidate).earliest() {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// The wire and stored document.

/// One interval as people write it: `"09:00"` to `"18:00"`; `"22:00"` to `"06:00"` runs overnight;
/// `"24:00"` is allowed as an end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntervalDoc {
    /// `HH:MM` from `00:00` to `23:59`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::start, example = "09:00"))]
    pub start: String,
    /// `HH:MM` from `00:01` to `24:00`, not the start; before the start runs overnight.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::end, example = "18:00"))]
    pub end: String,
}

/// Intervals per weekday, at most 12 a day, none overlapping another; an empty day is a day off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyDoc {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub monday: Vec<IntervalDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub tuesday: Vec<IntervalDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub wednesday: Vec<IntervalDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub thursday: Vec<IntervalDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub friday: Vec<IntervalDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub saturday: Vec<IntervalDoc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::day))]
    pub sunday: Vec<IntervalDoc>,
}

impl WeeklyDoc {
    fn days(&self) -> [(&'static str, &Vec<IntervalDoc>); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }
}

/// A date on which nobody works (a holiday or a one-off day off).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidayDoc {
    /// `YYYY-MM-DD` in the schedule's time zone.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::date, example = "2027-01-01"))]
    pub date: String,
    /// At most 100 characters; blank for none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::holiday_name))]
    pub name: Option<String>,
}

/// A date worked with its own intervals, whatever the weekly schedule says (a working Saturday).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtraWorkingDateDoc {
    /// `YYYY-MM-DD`, not also a holiday.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::date, example = "2027-01-09"))]
    pub date: String,
    /// 1 to 12, none overlapping another.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::working_date))]
    pub intervals: Vec<IntervalDoc>,
}

/// The schedule as a document: what the admin API accepts and returns, and what the store keeps.
/// Returned in canonical order (intervals by start, dates ascending). A date is listed once, as a
/// holiday or as an extra working date (422 otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkingScheduleDoc {
    /// An IANA time zone name, as the time-zone database spells it.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::time_zone, example = "Europe/Moscow"))]
    pub time_zone: String,
    #[serde(default)]
    pub weekly: WeeklyDoc,
    /// At most 1000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::holidays))]
    pub holidays: Vec<HolidayDoc>,
    /// At most 1000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::extra_working_dates))]
    pub extra_working_dates: Vec<ExtraWorkingDateDoc>,
}

impl Default for WorkingSchedule {
    /// Moscow time, Monday to Friday 09:00–18:00: what the tenant has until it saves its own.
    fn default() -> Self {
        let day = vec![DailyInterval {
            start: 9 * 60,
            end: 18 * 60,
        }];
        WorkingSchedule {
            time_zone: chrono_tz::Europe::Moscow,
            weekly: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                Vec::new(),
                Vec::new(),
            ],
            holidays: BTreeMap::new(),
            extra_working_dates: BTreeMap::new(),
        }
    }
}

/// Two ASCII digits' value.
fn two_digits(d: &[u8]) -> Option<u16> {
    match d {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some(u16::from(a - b'0') * 10 + u16::from(b - b'0')),
        _ => None,
    }
}

/// `HH:MM` in minutes since midnight: `00:00` to `23:59`, and `24:00` when `allow_24`.
fn parse_clock(s: &str, allow_24: bool) -> Option<u16> {
    if allow_24 && s == "24:00" {
        return Some(MINUTES_PER_DAY);
    }
    let (h, m) = s.split_once(':')?;
    let (h, m) = (two_digits(h.as_bytes())?, two_digits(m.as_bytes())?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn format_clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Strictly `YYYY-MM-DD` (ASCII digits; chrono alone would also accept unpadded fields and signs),
/// a day that exists.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| d.parse::<u32>().ok())
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

fn parse_day(path: &str, docs: &[IntervalDoc], errors: &mut ValidationErrors) -> Vec<DailyInterval> {
    if docs.len() > MAX_INTERVALS_PER_DAY {
        errors.add(
            path,
            Problem::TooMany {
                max: MAX_INTERVALS_PER_DAY as u64,
            },
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(docs.len());
    for (i, doc) in docs.iter().enumerate() {
        let start = parse_clock(&doc.start, false);
        let end = parse_clock(&doc.end, true);
        if start.is_none() {
            errors.add(format!("{path}[{i}].start"), Problem::InvalidTime { end: false });
        }
        if end.is_none() {
            errors.add(format!("{path}[{i}].end"), Problem::InvalidTime { end: true });
        }
        if let (Some(s), Some(e)) = (start, end) {
            match DailyInterval::new(s, e) {
                Some(iv) => out.push((i, iv)),
                None => errors.add(format!("{path}[{i}]"), Problem::EmptyInterval),
            }
        }
    }
    out.sort_by_key(|(_, iv)| *iv);
    for pair in out.windows(2) {
        let ((_, a), (j, b)) = (pair[0], pair[1]);
        if a.span().1 > b.span().0 {
            errors.add(format!("{path}[{j}]"), Problem::Overlaps);
        }
    }
    out.into_iter().map(|(_, iv)| iv).collect()
}

impl TryFrom<WorkingScheduleDoc> for WorkingSchedule {
    type Error = ValidationErrors;

    fn try_from(doc: WorkingScheduleDoc) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let time_zone = doc.time_zone.parse::<Tz>().unwrap_or_else(|_| {
            errors.add("time_zone", Problem::InvalidTimeZone);
            Tz::UTC
        });
        let weekly = doc
            .weekly
            .days()
            .map(|(name, docs)| parse_day(&format!("weekly.{name}"), docs, &mut errors));

        if doc.holidays.len() > MAX_DATED_ENTRIES {
            errors.add(
                "holidays",
                Problem::TooMany {
                    max: MAX_DATED_ENTRIES as u64,
                },
            );
        }
        let mut holidays = BTreeMap::new();
        for (i, h) in doc.holidays.iter().enumerate() {
            if h.name.as_deref().is_some_and(|n| char_len(n) > MAX_HOLIDAY_NAME_CHARS) {
                errors.add(
                    format!("holidays[{i}].name"),
                    Problem::TooLong {
                        max: MAX_HOLIDAY_NAME_CHARS as u64,
                    },
                );
            }
            let name = h.name.as_ref().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            match parse_date(&h.date) {
                None => errors.add(format!("holidays[{i}].date"), Problem::InvalidDate),
                Some(d) if holidays.insert(d, name).is_some() => {
                    errors.add(format!("holidays[{i}].date"), Problem::Duplicate)
                }
                Some(_) => {}
            }
        }

        if doc.extra_working_dates.len() > MAX_DATED_ENTRIES {
            errors.add(
                "extra_working_dates",
                Problem::TooMany {
                    max: MAX_DATED_ENTRIES as u64,
                },
            );
        }
        let mut extra_working_dates = BTreeMap::new();
        for (i, x) in doc.extra_working_dates.iter().enumerate() {
            let path = format!("extra_working_dates[{i}]");
            let intervals = parse_day(&format!("{path}.intervals"), &x.intervals, &mut errors);
            if x.intervals.is_empty() {
                errors.add(format!("{path}.intervals"), Problem::TooFew { min: 1 });
            }
            match parse_date(&x.date) {
                None => errors.add(format!("{path}.date"), Problem::InvalidDate),
                Some(d) if holidays.contains_key(&d) => errors.add(format!("{path}.date"), Problem::AlsoAHoliday),
                Some(d) if extra_working_dates.insert(d, intervals).is_some() => {
                    errors.add(format!("{path}.date"), Problem::Duplicate)
                }
                Some(_) => {}
            }
        }
        errors.into_result(WorkingSchedule {
            time_zone,
            weekly,
            holidays,
            extra_working_dates,
        })
    }
}

fn intervals_doc(intervals: &[DailyInterval]) -> Vec<IntervalDoc> {
    intervals
        .iter()
        .map(|iv| IntervalDoc {
            start: format_clock(iv.start),
            end: format_clock(iv.end),
        })
        .collect()
}

impl From<WorkingSchedule> for WorkingScheduleDoc {
    fn from(s: WorkingSchedule) -> Self {
        let [monday, tuesday, wednesday, thursday, friday, saturday, sunday] =
            s.weekly.each_ref().map(|d| intervals_doc(d));
        WorkingScheduleDoc {
            time_zone: s.time_zone.name().to_owned(),
            weekly: WeeklyDoc {
                monday,
                tuesday,
                wednesday,
                thursday,
                friday,
                saturday,
                sunday,
            },
            holidays: s
                .holidays
                .iter()
                .map(|(d, name)| HolidayDoc {
                    date: d.format("%Y-%m-%d").to_string(),
                    name: name.clone(),
                })
                .collect(),
            extra_working_dates: s
                .extra_working_dates
                .iter()
                .map(|(d, ivs)| ExtraWorkingDateDoc {
                    date: d.format("%Y-%m-%d").to_string(),
                    intervals: intervals_doc(ivs),
                })
                .collect(),
        }
    }
}

/// The schemas of the schedule document (see [`crate::schema`]).
#[cfg(feature = "openapi")]
mod schemas {
    use super::*;
    use crate::schema::{array, string};
    use utoipa::PartialSchema;
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    use utoipa::openapi::{RefOr, Schema};

    /// `00:00` to `23:59`.
    pub const START_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
    /// `00:01` to `24:00`.
    pub const END_PATTERN: &str = "^(00:(0[1-9]|[1-5][0-9])|(0[1-9]|1[0-9]|2[0-3]):[0-5][0-9]|24:00)$";
    /// `YYYY-MM-DD` (and a day that exists: `format: date`).
    pub const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

    pub fn start() -> RefOr<Schema> {
        string(false).pattern(Some(START_PATTERN)).into()
    }

    pub fn end() -> RefOr<Schema> {
        string(false).pattern(Some(END_PATTERN)).into()
    }

    pub fn day() -> RefOr<Schema> {
        array(IntervalDoc::schema(), 0, MAX_INTERVALS_PER_DAY).into()
    }

    pub fn working_date() -> RefOr<Schema> {
        array(IntervalDoc::schema(), 1, MAX_INTERVALS_PER_DAY).into()
    }

    pub fn date() -> RefOr<Schema> {
        string(false)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(DATE_PATTERN))
            .into()
    }

    pub fn holiday_name() -> RefOr<Schema> {
        string(true).max_length(Some(MAX_HOLIDAY_NAME_CHARS)).into()
    }

    pub fn holidays() -> RefOr<Schema> {
        array(HolidayDoc::schema(), 0, MAX_DATED_ENTRIES).into()
    }

    pub fn extra_working_dates() -> RefOr<Schema> {
        array(ExtraWorkingDateDoc::schema(), 0, MAX_DATED_ENTRIES).into()
    }

    /// Every name of the time-zone database.
    pub fn time_zone() -> RefOr<Schema> {
        string(false)
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .into()
    }
}

/// Monday-first index of a weekday, for callers that build schedules in code.
pub fn weekday_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}

#[cfg(test)]
mod tests;

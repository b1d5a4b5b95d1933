use super::*;
use proptest::prelude::*;
use serde_json::json;

fn schedule(doc: serde_json::Value) -> WorkingSchedule {
    let doc: WorkingScheduleDoc = serde_json::from_value(doc).expect("test document deserializes");
    WorkingSchedule::try_from(doc).expect("test schedule is valid")
}

fn errors_of(doc: serde_json::Value) -> Vec<String> {
    let doc: WorkingScheduleDoc = serde_json::from_value(doc).expect("test document deserializes");
    match WorkingSchedule::try_from(doc) {
        Ok(_) => Vec::new(),
        Err(e) => e.fields().into_iter().map(str::to_owned).collect(),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instant parses")
}

fn iv(start: &str, end: &str) -> serde_json::Value {
    json!({"start": start, "end": end})
}

fn weekdays(tz: &str, intervals: serde_json::Value) -> serde_json::Value {
    json!({"time_zone": tz, "weekly": {
        "monday": intervals, "tuesday": intervals, "wednesday": intervals,
        "thursday": intervals, "friday": intervals}})
}

fn working(until: &str) -> SchedulePeriod {
    SchedulePeriod::Working { until: Some(at(until)) }
}

fn non_working(until: &str) -> SchedulePeriod {
    SchedulePeriod::NonWorking { until: Some(at(until)) }
}

// 2026-11-23 is a Monday. Moscow is UTC+3 all year.

#[test]
fn office_hours_in_moscow_table() {
    let s = schedule(weekdays("Europe/Moscow", json!([iv("09:00", "18:00")])));
    let table = [
        ("2026-11-23T05:59:00Z", non_working("2026-11-23T06:00:00Z")), // 08:59 Monday
        ("2026-11-23T06:00:00Z", working("2026-11-23T15:00:00Z")),     // 09:00 sharp
        ("2026-11-23T14:59:59Z", working("2026-11-23T15:00:00Z")),
        ("2026-11-23T15:00:00Z", non_working("2026-11-24T06:00:00Z")), // 18:00 sharp
        ("2026-11-27T15:00:00Z", non_working("2026-11-30T06:00:00Z")), // Friday evening → Monday
        ("2026-11-28T12:00:00Z", non_working("2026-11-30T06:00:00Z")), // Saturday
    ];
    for (t, expected) in table {
        assert_eq!(s.period_at(at(t)), expected, "at {t}");
        assert_eq!(s.is_working_at(at(t)), expected.is_working(), "at {t}");
    }
}

#[test]
fn a_lunch_break_splits_the_day_and_adjacent_intervals_merge() {
    let lunch = schedule(weekdays(
        "Europe/Moscow",
        json!([iv("09:00", "13:00"), iv("14:00", "18:00")]),
    ));
    assert_eq!(
        lunch.period_at(at("2026-11-23T09:00:00Z")),
        working("2026-11-23T10:00:00Z")
    );
    assert_eq!(
        lunch.period_at(at("2026-11-23T10:30:00Z")),
        non_working("2026-11-23T11:00:00Z")
    );

    let adjacent = schedule(weekdays(
        "Europe/Moscow",
        json!([iv("09:00", "13:00"), iv("13:00", "18:00")]),
    ));
    assert_eq!(
        adjacent.period_at(at("2026-11-23T07:00:00Z")),
        working("2026-11-23T15:00:00Z")
    );
}

#[test]
fn an_overnight_interval_runs_into_the_next_morning() {
    let s = schedule(json!({"time_zone": "Europe/Moscow", "weekly": {"monday": [iv("22:00", "06:00")]}}));
    assert_eq!(
        s.period_at(at("2026-11-23T18:00:00Z")),
        non_working("2026-11-23T19:00:00Z")
    ); // Mon 21:00
    assert_eq!(s.period_at(at("2026-11-24T02:00:00Z")), working("2026-11-24T03:00:00Z")); // Tue 05:00
    assert!(!s.is_working_at(at("2026-11-24T03:00:00Z"))); // Tue 06:00
}

#[test]
fn an_overnight_shift_crosses_the_week_boundary() {
    let s = schedule(json!({"time_zone": "Europe/Moscow", "weekly": {"sunday": [iv("22:00", "02:00")]}}));
    // Monday 2026-11-30 01:00 Moscow belongs to Sunday's shift.
    assert_eq!(s.period_at(at("2026-11-29T22:00:00Z")), working("2026-11-29T23:00:00Z"));
    assert_eq!(
        s.period_at(at("2026-11-29T23:00:00Z")),
        non_working("2026-12-06T19:00:00Z")
    );
}

#[test]
fn a_shift_into_new_year_keeps_running_on_the_holiday_and_the_next_work_is_after_the_holidays() {
    let mut doc = weekdays("Europe/Moscow", json!([iv("09:00", "18:00")]));
    doc["extra_working_dates"] = json!([{"date": "2026-12-31", "intervals": [iv("20:00", "04:00")]}]);
    doc["holidays"] = json!([
        {"date": "2027-01-01", "name": "Новый год"}, {"date": "2027-01-04"}, {"date": "2027-01-05"},
        {"date": "2027-01-06"}, {"date": "2027-01-07", "name": "Рождество"}, {"date": "2027-01-08"}
    ]);
    let s = schedule(doc);
    // Thursday 31 December 17:00 Moscow: the extra date replaced the office day.
    assert_eq!(
        s.period_at(at("2026-12-31T14:00:00Z")),
        non_working("2026-12-31T17:00:00Z")
    );
    // 1 January 03:00 Moscow: still the shift that started on the 31st.
    assert_eq!(s.period_at(at("2027-01-01T00:00:00Z")), working("2027-01-01T01:00:00Z"));
    // 1 January 05:00 Moscow: the next work is Monday 11 January 09:00.
    assert_eq!(
        s.period_at(at("2027-01-01T02:00:00Z")),
        non_working("2027-01-11T06:00:00Z")
    );
}

#[test]
fn a_holiday_removes_only_the_intervals_that_start_on_it() {
    let mut doc = json!({"time_zone": "Europe/Moscow", "weekly": {"monday": [iv("22:00", "06:00")], "tuesday": [iv("09:00", "12:00")]}});
    doc["holidays"] = json!([{"date": "2026-11-24"}]);
    let s = schedule(doc);
    assert!(s.is_working_at(at("2026-11-24T02:00:00Z"))); // Tue 05:00: Monday's shift
    assert!(!s.is_working_at(at("2026-11-24T07:00:00Z"))); // Tue 10:00: holiday
}

#[test]
fn an_extra_working_date_makes_a_saturday_a_working_day() {
    let mut doc = weekdays("Europe/Moscow", json!([iv("09:00", "18:00")]));
    doc["extra_working_dates"] = json!([{"date": "2026-11-28", "intervals": [iv("10:00", "15:00")]}]);
    let s = schedule(doc);
    assert_eq!(
        s.period_at(at("2026-11-27T16:00:00Z")),
        non_working("2026-11-28T07:00:00Z")
    );
    assert_eq!(s.period_at(at("2026-11-28T08:00:00Z")), working("2026-11-28T12:00:00Z"));
}

#[test]
fn round_the_clock_work_has_no_end_and_an_empty_schedule_no_start() {
    let all_day = json!([iv("00:00", "24:00")]);
    let s = schedule(json!({"time_zone": "Asia/Yekaterinburg", "weekly": {
        "monday": all_day, "tuesday": all_day, "wednesday": all_day, "thursday": all_day,
        "friday": all_day, "saturday": all_day, "sunday": all_day}}));
    assert_eq!(
        s.period_at(at("2026-11-25T12:00:00Z")),
        SchedulePeriod::Working { until: None }
    );

    let none = schedule(json!({"time_zone": "Europe/Moscow"}));
    assert_eq!(
        none.period_at(at("2026-11-25T12:00:00Z")),
        SchedulePeriod::NonWorking { until: None }
    );
    assert!(!none.is_working_at(at("2026-11-25T12:00:00Z")));
}

#[test]
fn round_the_clock_work_ends_before_a_holiday() {
    let all_day = json!([iv("00:00", "24:00")]);
    let mut doc = json!({"time_zone": "Europe/Moscow", "weekly": {
        "monday": all_day, "tuesday": all_day, "wednesday": all_day, "thursday": all_day,
        "friday": all_day, "saturday": all_day, "sunday": all_day}});
    doc["holidays"] = json!([{"date": "2026-12-31"}]);
    let s = schedule(doc);
    assert_eq!(s.period_at(at("2026-11-25T12:00:00Z")), working("2026-12-30T21:00:00Z"));
}

// New York: clocks go forward on 2026-03-08 at 02:00 (EST→EDT) and back on 2026-11-01 at 02:00.

#[test]
fn spring_forward_shortens_a_shift_and_moves_a_start_in_the_gap_to_the_end_of_the_gap() {
    let s = schedule(json!({"time_zone": "America/New_York", "weekly": {"sunday": [iv("01:00", "04:00")]}}));
    // 01:30 EST → working until 04:00 EDT (08:00Z): two real hours.
    assert_eq!(s.period_at(at("2026-03-08T06:30:00Z")), working("2026-03-08T08:00:00Z"));

    let gap = schedule(json!({"time_zone": "America/New_York", "weekly": {"sunday": [iv("02:30", "05:00")]}}));
    // 02:30 does not exist that day: work starts at 03:00 EDT (07:00Z).
    assert_eq!(
        gap.period_at(at("2026-03-08T06:59:00Z")),
        non_working("2026-03-08T07:00:00Z")
    );
    assert_eq!(
        gap.period_at(at("2026-03-08T07:00:00Z")),
        working("2026-03-08T09:00:00Z")
    );
}

#[test]
fn fall_back_lengthens_a_shift_and_the_repeated_hour_counts_twice() {
    let s = schedule(json!({"time_zone": "America/New_York", "weekly": {"sunday": [iv("00:00", "03:00")]}}));
    // 00:00 EDT = 04:00Z; 03:00 EST = 08:00Z: four real hours.
    assert_eq!(s.period_at(at("2026-11-01T04:00:00Z")), working("2026-11-01T08:00:00Z"));
    assert!(s.is_working_at(at("2026-11-01T05:30:00Z"))); // 01:30 EDT
    assert!(s.is_working_at(at("2026-11-01T06:30:00Z"))); // 01:30 EST
    assert!(!s.is_working_at(at("2026-11-01T08:00:00Z")));

    // An interval starting in the repeated hour starts at its first occurrence.
    let repeated = schedule(json!({"time_zone": "America/New_York", "weekly": {"sunday": [iv("01:30", "02:30")]}}));
    assert_eq!(
        repeated.period_at(at("2026-11-01T05:30:00Z")),
        working("2026-11-01T07:30:00Z")
    );
}

#[test]
fn berlin_overnight_shift_across_the_spring_change_is_one_hour_shorter() {
    // Saturday 2026-03-28 22:00 CET (21:00Z) to Sunday 06:00 CEST (04:00Z).
    let s = schedule(json!({"time_zone": "Europe/Berlin", "weekly": {"saturday": [iv("22:00", "06:00")]}}));
    assert_eq!(s.period_at(at("2026-03-28T21:00:00Z")), working("2026-03-29T04:00:00Z"));
}

#[test]
fn lord_howe_half_hour_dst_is_exact() {
    // Lord Howe Island moves clocks by 30 minutes: on 2026-10-04 02:00 becomes 02:30 (UTC+10:30 → +11).
    let s = schedule(json!({"time_zone": "Australia/Lord_Howe", "weekly": {"sunday": [iv("01:00", "03:00")]}}));
    // 01:00 +10:30 = 14:30Z the day before; 03:00 +11 = 16:00Z: 90 real minutes.
    assert_eq!(s.period_at(at("2026-10-03T14:30:00Z")), working("2026-10-03T16:00:00Z"));
}

#[test]
fn validation_names_every_failing_field() {
    let fields = errors_of(json!({
        "time_zone": "Mars/Olympus",
        "weekly": {
            "monday": [iv("25:00", "18:00"), iv("09:00", "9:00")],
            "tuesday": [iv("24:00", "06:00")],
            "wednesday": [iv("10:00", "10:00")],
            "thursday": [iv("09:00", "13:00"), iv("12:00", "18:00")],
            "friday": [iv("20:00", "02:00"), iv("21:00", "22:00")]
        },
        "holidays": [{"date": "2027-1-1"}, {"date": "2027-01-02"}, {"date": "2027-01-02"}],
        "extra_working_dates": [{"date": "2027-01-02", "intervals": [iv("10:00", "12:00")]}, {"date": "2027-01-03", "intervals": []}]
    }));
    assert_eq!(
        fields,
        [
            "time_zone",
            "weekly.monday[0].start",
            "weekly.monday[1].end",
            "weekly.tuesday[0].start",
            "weekly.wednesday[0]",
            "weekly.thursday[1]",
            "weekly.friday[1]",
            "holidays[0].date",
            "holidays[2].date",
            "extra_working_dates[0].date",
            "extra_working_dates[1].intervals",
        ]
    );
}

#[test]
fn too_many_intervals_a_day_is_rejected() {
    let many: Vec<_> = (0..13)
        .map(|h| iv(&format!("{h:02}:00"), &format!("{h:02}:30")))
        .collect();
    assert_eq!(
        errors_of(json!({"time_zone": "UTC", "weekly": {"monday": many}})),
        ["weekly.monday"]
    );
}

#[test]
fn the_document_round_trips_in_canonical_form() {
    let doc = json!({
        "time_zone": "Europe/Moscow",
        "weekly": {
            "monday": [iv("09:00", "13:00"), iv("14:00", "18:00")],
            "tuesday": [iv("09:00", "18:00")], "wednesday": [iv("09:00", "18:00")],
            "thursday": [iv("09:00", "18:00")], "friday": [iv("09:00", "17:00")],
            "saturday": [], "sunday": [iv("22:00", "06:00")]
        },
        "holidays": [{"date": "2027-01-01", "name": "Новый год"}, {"date": "2027-01-02", "name": null}],
        "extra_working_dates": [{"date": "2027-01-09", "intervals": [iv("10:00", "24:00")]}]
    });
    let s = schedule(doc.clone());
    assert_eq!(serde_json::to_value(&s).expect("serializes"), doc);
    let back: WorkingSchedule = serde_json::from_value(doc).expect("deserializes");
    assert_eq!(back, s);
}

#[test]
fn unknown_fields_are_refused_rather_than_ignored() {
    let r: Result<WorkingScheduleDoc, _> = serde_json::from_value(json!({"time_zone": "UTC", "holydays": []}));
    assert!(r.is_err());
}

fn arb_day() -> impl Strategy<Value = Vec<DailyInterval>> {
    // Quarter-hour grid, ordered and non-overlapping (adjacent allowed), an overnight one only last.
    prop::collection::vec((0u16..48, 1u16..96), 0..3).prop_map(|v| {
        let mut out = Vec::new();
        let mut cursor = 0u16;
        for (gap, len) in v {
            let start = cursor + gap * 15;
            if start >= MINUTES_PER_DAY {
                break;
            }
            let end_abs = start + len * 15;
            let end = if end_abs > MINUTES_PER_DAY {
                end_abs - MINUTES_PER_DAY
            } else {
                end_abs
            };
            out.extend(DailyInterval::new(start, end));
            if end_abs >= MINUTES_PER_DAY {
                break;
            }
            cursor = end_abs;
        }
        out
    })
}

fn arb_schedule() -> impl Strategy<Value = WorkingSchedule> {
    let zones = prop::sample::select(vec![
        chrono_tz::Europe::Moscow,
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Australia::Sydney,
        chrono_tz::UTC,
    ]);
    (
        zones,
        prop::array::uniform7(arb_day()),
        prop::collection::vec(0u64..120, 0..4),
    )
        .prop_map(|(tz, days, holidays)| {
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date");
            WorkingSchedule {
                time_zone: tz,
                weekly: days,
                holidays: holidays
                    .into_iter()
                    .filter_map(|o| base.checked_add_days(Days::new(o * 3)))
                    .map(|d| (d, None))
                    .collect(),
                extra_working_dates: BTreeMap::new(),
            }
        })
}

proptest! {
    #[test]
    fn period_at_agrees_with_is_working_at_and_its_end_is_a_real_change(
        s in arb_schedule(),
        offset_minutes in 0i64..(366 * 24 * 60),
    ) {
        let t = at("2026-01-01T00:00:00Z") + TimeDelta::minutes(offset_minutes);
        let p = s.period_at(t);
        prop_assert_eq!(p.is_working(), s.is_working_at(t));
        if let Some(u) = p.until() {
            prop_assert!(u > t);
            // At the end the state flips, and just before it (and half-way) it has not yet.
            prop_assert_eq!(s.is_working_at(u), !p.is_working());
            prop_assert_eq!(s.is_working_at(u - TimeDelta::seconds(1)), p.is_working());
            prop_assert_eq!(s.is_working_at(t + (u - t) / 2), p.is_working());
        }
    }

    #[test]
    fn any_valid_schedule_round_trips_through_its_document(s in arb_schedule()) {
        let doc = WorkingScheduleDoc::from(s.clone());
        prop_assert_eq!(WorkingSchedule::try_from(doc), Ok(s));
    }
}

#[test]
fn times_and_dates_are_ascii_digits_in_their_places_and_days_that_exist() {
    for ok in ["00:00", "09:30", "23:59"] {
        assert!(parse_clock(ok, false).is_some(), "{ok}");
    }
    for bad in ["+9:30", "9:30", "09:3", "24:00", "09:60", "٠٩:٣٠", "09-30", "0930"] {
        assert_eq!(parse_clock(bad, false), None, "{bad}");
    }
    assert_eq!(parse_clock("24:00", true), Some(24 * 60));
    for ok in ["2027-01-01", "2028-02-29", "0000-01-01"] {
        assert!(parse_date(ok).is_some(), "{ok}");
    }
    for bad in [
        "2027-02-30",
        "+999-01-01",
        "2027-1-01",
        "2027/01/01",
        "2027-01-01 ",
        "２０２７-01-01",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

#[test]
fn a_holiday_name_counts_as_sent_and_is_kept_trimmed() {
    let with_name = |name: &str| json!({"time_zone": "UTC", "holidays": [{"date": "2027-01-01", "name": name}]});
    assert_eq!(
        errors_of(with_name(&format!(" {} ", "я".repeat(98)))),
        Vec::<String>::new()
    );
    assert_eq!(
        errors_of(with_name(&format!(" {} ", "я".repeat(99)))),
        ["holidays[0].name"]
    );
    let doc = WorkingScheduleDoc::from(schedule(with_name("  Новый год ")));
    assert_eq!(doc.holidays[0].name.as_deref(), Some("Новый год"));
}

#[cfg(feature = "openapi")]
#[test]
fn the_time_zones_documented_are_those_read() {
    assert!(
        chrono_tz::TZ_VARIANTS
            .iter()
            .all(|tz| tz.name().parse::<Tz>() == Ok(*tz))
    );
    assert!("europe/moscow".parse::<Tz>().is_err());
}

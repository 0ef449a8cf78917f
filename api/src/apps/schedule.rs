//! Time conditions, evaluated (pure: the time is passed in). A schedule matches on its
//! weekly ranges in its time zone, except on its dated exceptions; an override forces a
//! state until the schedule next changes by itself, or for good.

use contract::models::{ConditionOverride, ConditionState, DatedException, WeeklyRange};
use contract::types::{TimeOfDay, Weekday};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// How far ahead [`Schedule::next_change`] looks: a year and a week covers every
/// weekly range and any holiday list.
const LOOKAHEAD_DAYS: i64 = 372;

/// A weekly schedule in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    tz: TimeZone,
    ranges: Vec<WeeklyRange>,
    /// Inclusive local date ranges on which it never matches.
    closed: Vec<(Date, Date)>,
}

/// The time zone `name`, or why it is unknown.
pub fn time_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| format!("unknown IANA time zone {name:?}"))
}

/// A date written `YYYY-MM-DD` that exists in the calendar.
pub fn date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|_| format!("{s} is not a date of the calendar"))
}

impl Schedule {
    pub fn new(
        time_zone_name: &str,
        ranges: &[WeeklyRange],
        exceptions: &[DatedException],
    ) -> Result<Self, String> {
        let tz = time_zone(time_zone_name)?;
        let mut closed = Vec::with_capacity(exceptions.len());
        for e in exceptions {
            let from = date(e.date.as_str())?;
            let to = match &e.end_date {
                Some(end) => date(end.as_str())?,
                None => from,
            };
            if to < from {
                return Err(format!("end_date {to} is before date {from}"));
            }
            closed.push((from, to));
        }
        Ok(Self {
            tz,
            ranges: ranges.to_vec(),
            closed,
        })
    }

    /// Whether the schedule matches at `at`.
    pub fn matches(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.tz.clone());
        let today = local.date();
        if self
            .closed
            .iter()
            .any(|(from, to)| *from <= today && today <= *to)
        {
            return false;
        }
        let minute =
            u32::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        let day = weekday(&local);
        self.ranges.iter().any(|r| in_range(r, day, minute))
    }

    /// The first moment after `after` at which the schedule's state changes by itself
    /// (None: it never does, within a year).
    pub fn next_change(&self, after: Timestamp) -> Option<Timestamp> {
        let now = self.matches(after);
        let start = after.to_zoned(self.tz.clone()).date();
        for offset in 0..=LOOKAHEAD_DAYS {
            let Ok(day) = start.checked_add(jiff::Span::new().days(offset)) else {
                return None;
            };
            let mut moments: Vec<Timestamp> = self
                .boundaries(day)
                .into_iter()
                .filter_map(|dt| dt.to_zoned(self.tz.clone()).ok())
                .map(|z| z.timestamp())
                .filter(|t| *t > after)
                .collect();
            moments.sort();
            if let Some(t) = moments.into_iter().find(|t| self.matches(*t) != now) {
                return Some(t);
            }
        }
        None
    }

    /// The local times of day `day` at which the state may change: midnight, and each
    /// range's start and end.
    fn boundaries(&self, day: Date) -> Vec<DateTime> {
        let mut times = vec![day.at(0, 0, 0, 0)];
        for r in &self.ranges {
            for t in [&r.start, &r.end] {
                times.push(at_minute(day, t));
            }
        }
        times
    }
}

/// `day` at time `t` (`24:00` is the next midnight).
fn at_minute(day: Date, t: &TimeOfDay) -> DateTime {
    let m = t.minutes();
    if m >= 1440 {
        return day
            .tomorrow()
            .map_or(day.at(23, 59, 59, 0), |d| d.at(0, 0, 0, 0));
    }
    let hour = i8::try_from(m / 60).unwrap_or(0);
    let minute = i8::try_from(m % 60).unwrap_or(0);
    day.at(hour, minute, 0, 0)
}

fn weekday(local: &Zoned) -> Weekday {
    const DAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    DAYS[usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0) % 7]
}

/// Whether minute `minute` of `day` is inside `r`; a range whose end is not after its
/// start runs past midnight into the next day.
fn in_range(r: &WeeklyRange, day: Weekday, minute: u32) -> bool {
    let (start, end) = (r.start.minutes(), r.end.minutes());
    if start < end {
        r.days.contains(&day) && start <= minute && minute < end
    } else {
        (r.days.contains(&day) && minute >= start)
            || (r.days.contains(&day.previous()) && minute < end)
    }
}

/// Where a condition's calls go at `now`: its override while in force, else its
/// schedule.
pub fn state(
    schedule: &Schedule,
    r#override: Option<&ConditionOverride>,
    now: Timestamp,
) -> ConditionState {
    if let Some(o) = r#override
        && in_force(o, now)
    {
        return o.state;
    }
    if schedule.matches(now) {
        ConditionState::Match
    } else {
        ConditionState::NoMatch
    }
}

/// Whether an override still holds at `now`.
pub fn in_force(o: &ConditionOverride, now: Timestamp) -> bool {
    match &o.until {
        None => true,
        Some(until) => until.parse::<Timestamp>().is_ok_and(|u| now < u),
    }
}

/// The override `*27<id>` sets at `now`: none if one is in force (the toggle removes
/// it), else the opposite of the schedule until it next changes by itself.
pub fn toggled(
    schedule: &Schedule,
    current: Option<&ConditionOverride>,
    now: Timestamp,
) -> Option<ConditionOverride> {
    if current.is_some_and(|o| in_force(o, now)) {
        return None;
    }
    let state = state(schedule, None, now).opposite();
    Some(ConditionOverride {
        state,
        until: schedule.next_change(now).map(stored),
    })
}

/// A timestamp as stored and returned (RFC 3339 UTC, milliseconds).
pub fn stored(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::types::CalendarDate;

    fn range(days: &[Weekday], start: &str, end: &str) -> WeeklyRange {
        WeeklyRange {
            days: days.to_vec(),
            start: TimeOfDay::parse(start).unwrap(),
            end: TimeOfDay::parse(end).unwrap(),
        }
    }

    fn office() -> Schedule {
        use Weekday::*;
        Schedule::new(
            "Europe/Brussels",
            &[range(&[Mon, Tue, Wed, Thu, Fri], "09:00", "17:30")],
            &[DatedException {
                date: CalendarDate::parse("2026-12-25").unwrap(),
                end_date: None,
                name: None,
            }],
        )
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn office_hours_are_read_in_the_time_zone() {
        let s = office();
        // Monday 30 November 2026: Brussels is UTC+1.
        assert!(!s.matches(at("2026-11-30T07:59:00Z")), "08:59 local");
        assert!(s.matches(at("2026-11-30T08:00:00Z")), "09:00 local");
        assert!(s.matches(at("2026-11-30T16:29:00Z")), "17:29 local");
        assert!(
            !s.matches(at("2026-11-30T16:30:00Z")),
            "17:30 local: the end is excluded"
        );
        // Saturday.
        assert!(!s.matches(at("2026-12-05T10:00:00Z")));
    }

    #[test]
    fn holidays_do_not_match() {
        let s = office();
        // Friday 25 December 2026, 10:00 local.
        assert!(!s.matches(at("2026-12-25T09:00:00Z")));
        assert!(s.matches(at("2026-12-24T09:00:00Z")));
    }

    #[test]
    fn summer_time_moves_the_utc_hours() {
        let s = office();
        // Monday 29 June 2026: Brussels is UTC+2, 09:00 local is 07:00 UTC.
        assert!(s.matches(at("2026-06-29T07:00:00Z")));
        assert!(!s.matches(at("2026-06-29T06:59:00Z")));
    }

    #[test]
    fn ranges_past_midnight_belong_to_their_first_day() {
        use Weekday::*;
        let s = Schedule::new("UTC", &[range(&[Fri], "22:00", "06:00")], &[]).unwrap();
        assert!(s.matches(at("2026-12-04T23:00:00Z")), "Friday 23:00");
        assert!(s.matches(at("2026-12-05T05:59:00Z")), "Saturday 05:59");
        assert!(!s.matches(at("2026-12-05T06:00:00Z")), "Saturday 06:00");
        assert!(!s.matches(at("2026-12-03T23:00:00Z")), "Thursday 23:00");
    }

    #[test]
    fn whole_days_end_at_24_00() {
        use Weekday::*;
        let s = Schedule::new("UTC", &[range(&[Sun], "00:00", "24:00")], &[]).unwrap();
        assert!(s.matches(at("2026-12-06T23:59:59Z")));
        assert!(!s.matches(at("2026-12-07T00:00:00Z")));
    }

    #[test]
    fn the_next_change_is_the_next_edge_that_flips_the_state() {
        let s = office();
        // Monday 10:00 local → closes at 17:30 local (16:30 UTC).
        assert_eq!(
            s.next_change(at("2026-11-30T09:00:00Z")),
            Some(at("2026-11-30T16:30:00Z"))
        );
        // Thursday 24 December after hours → Friday is a holiday, the weekend follows:
        // next opening Monday 28 December 09:00 local.
        assert_eq!(
            s.next_change(at("2026-12-24T18:00:00Z")),
            Some(at("2026-12-28T08:00:00Z"))
        );
        let never = Schedule::new("UTC", &[], &[]).unwrap();
        assert_eq!(never.next_change(at("2026-12-24T18:00:00Z")), None);
    }

    #[test]
    fn a_toggle_overrides_until_the_next_change_then_a_second_removes_it() {
        let s = office();
        let now = at("2026-11-30T09:00:00Z");
        let o = toggled(&s, None, now).unwrap();
        assert_eq!(o.state, ConditionState::NoMatch);
        assert_eq!(o.until.as_deref(), Some("2026-11-30T16:30:00.000Z"));
        assert_eq!(state(&s, Some(&o), now), ConditionState::NoMatch);
        // Past the next change, the schedule rules again (and says no-match itself).
        assert_eq!(
            state(&s, Some(&o), at("2026-12-01T08:30:00Z")),
            ConditionState::Match
        );
        assert_eq!(toggled(&s, Some(&o), now), None);
        let permanent = ConditionOverride {
            state: ConditionState::Match,
            until: None,
        };
        assert_eq!(
            state(&s, Some(&permanent), at("2027-06-06T12:00:00Z")),
            ConditionState::Match
        );
    }

    #[test]
    fn unknown_zones_and_dates_are_refused() {
        assert!(Schedule::new("Mars/Olympus", &[], &[]).is_err());
        let bad = DatedException {
            date: CalendarDate::parse("2026-02-30").unwrap(),
            end_date: None,
            name: None,
        };
        assert!(Schedule::new("UTC", &[], &[bad]).is_err());
    }
}

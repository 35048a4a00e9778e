//! When a result was taken, typed at ingestion (FHIR `date`/`dateTime`, the
//! date column of a lab export). Two results that both carry a UTC offset are
//! ordered by instant; otherwise by the wall-clock date and time as written.
//! Text that is not a date is an error, never a result that passes a check.

use std::cmp::Ordering;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::fmt::temporal::{Pieces, PiecesOffset};

/// A date, a wall-clock date and time, or an instant with the offset it was
/// written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    /// The date and time as written (midnight for a date alone).
    civil: DateTime,
    /// The instant, when an offset (or `Z`) was written.
    instant: Option<Timestamp>,
}

/// Text that is not a date: the reason names the text and what is read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("date '{text}' is not a date ({expected})")]
pub struct DateError {
    pub text: String,
    pub expected: String,
}

/// What `When::parse` reads.
const ISO: &str = "expected YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss] with an optional UTC offset";

impl When {
    /// A FHIR `date` or `dateTime`, or an ISO 8601 date or date-time (`T` or a
    /// space between date and time; the offset optional). A partial date
    /// (`2024`, `2024-03`) stands for the middle of its year or month.
    pub fn parse(text: &str) -> Result<When, DateError> {
        let text = text.trim();
        let err = || DateError {
            text: text.to_owned(),
            expected: ISO.to_owned(),
        };
        let partial = match text.len() {
            4 => Some(format!("{text}-07-01")),
            7 => Some(format!("{text}-15")),
            _ => None,
        };
        if let Some(full) = partial {
            let date: Date = full.parse().map_err(|_| err())?;
            return Ok(When::from(date));
        }
        let pieces = Pieces::parse(text).map_err(|_| err())?;
        if pieces.time_zone_annotation().is_some() {
            return Err(err());
        }
        let civil = pieces.date().to_datetime(pieces.time().unwrap_or_default());
        let offset = match pieces.offset() {
            None => return Ok(When::local(civil)),
            Some(PiecesOffset::Zulu) => jiff::tz::Offset::UTC,
            Some(PiecesOffset::Numeric(n)) => n.offset(),
            Some(_) => return Err(err()),
        };
        let instant = offset.to_timestamp(civil).map_err(|_| err())?;
        Ok(When {
            civil,
            instant: Some(instant),
        })
    }

    /// Text in a `strftime`-style format (`%d-%m-%Y`, `%d/%m/%Y %H:%M`); with
    /// `%z` the offset makes it an instant.
    pub fn parse_format(text: &str, format: &str) -> Result<When, DateError> {
        let text = text.trim();
        let err = || DateError {
            text: text.to_owned(),
            expected: format!("expected the format '{format}'"),
        };
        let tm = jiff::fmt::strtime::parse(format, text).map_err(|_| err())?;
        if tm.offset().is_some() {
            let instant = tm.to_timestamp().map_err(|_| err())?;
            let civil = tm.to_datetime().map_err(|_| err())?;
            return Ok(When {
                civil,
                instant: Some(instant),
            });
        }
        match tm.to_datetime() {
            Ok(civil) => Ok(When::local(civil)),
            Err(_) => tm.to_date().map(When::from).map_err(|_| err()),
        }
    }

    fn local(civil: DateTime) -> When {
        When {
            civil,
            instant: None,
        }
    }

    /// The date as written.
    pub fn date(&self) -> Date {
        self.civil.date()
    }

    /// The earliest calendar date this moment has anywhere: its UTC date
    /// when it carries an offset that is ahead of UTC, else its own date. A
    /// lab stamped 00:30 +02:00 is still the day before on a UTC server.
    pub fn earliest_date(&self) -> Date {
        match self.instant {
            Some(t) => t.to_zoned(jiff::tz::TimeZone::UTC).date().min(self.date()),
            None => self.date(),
        }
    }

    /// The order of two results in time: by instant when both have an
    /// offset, else by the date and time as written.
    pub fn cmp_time(&self, other: &When) -> Ordering {
        match (self.instant, other.instant) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.civil.cmp(&other.civil),
        }
    }

    /// At least as late as `other` (a later row of the same time wins).
    pub fn is_not_before(&self, other: &When) -> bool {
        self.cmp_time(other) != Ordering::Less
    }
}

/// `a` is at least as late as `b`; a result without a date is before any with one.
pub fn not_before(a: Option<&When>, b: Option<&When>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a.is_not_before(b),
    }
}

impl From<Date> for When {
    fn from(date: Date) -> When {
        When::local(date.to_datetime(jiff::civil::Time::midnight()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when(text: &str) -> When {
        When::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn instants_are_compared_across_offsets() {
        let early = when("2024-01-05T09:00+01:00");
        let late = when("2024-01-05T08:30-05:00");
        assert!(late.is_not_before(&early));
        assert!(!early.is_not_before(&late));
        assert_eq!(late.date().to_string(), "2024-01-05");
        assert!(when("2024-01-05T13:30:00Z").is_not_before(&late));
    }

    #[test]
    fn dates_times_and_partial_dates_are_read() {
        assert_eq!(when("2024-01-05").date().to_string(), "2024-01-05");
        assert_eq!(when("2024").date().to_string(), "2024-07-01");
        assert_eq!(when("2024-03").date().to_string(), "2024-03-15");
        assert!(when("2024-01-05 08:00").is_not_before(&when("2024-01-05")));
        assert!(when("2024-01-06").is_not_before(&when("2024-01-05T23:00+00:00")));
    }

    #[test]
    fn text_that_is_not_a_date_is_an_error() {
        for text in [
            "2025-02-30",
            "20-12-2023",
            "05-01-2024",
            "yesterday",
            "",
            "2024-13",
        ] {
            let e = When::parse(text).err().map(|e| e.to_string());
            assert!(
                e.as_deref()
                    .is_some_and(|e| e.starts_with(&format!("date '{text}' is not a date"))),
                "{text}: {e:?}"
            );
        }
    }

    #[test]
    fn a_declared_format_reads_day_first_dates() {
        let f = |t: &str| When::parse_format(t, "%d-%m-%Y").unwrap_or_else(|e| panic!("{e}"));
        assert!(f("05-01-2024").is_not_before(&f("20-12-2023")));
        assert!(When::parse_format("2024-01-05", "%d-%m-%Y").is_err());
        let z = When::parse_format("05/01/2024 08:30 -0500", "%d/%m/%Y %H:%M %z")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(z.is_not_before(&when("2024-01-05T09:00+01:00")));
    }
}

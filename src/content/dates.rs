//! Dates in front matter, kept as written (Zola shows them as written) and parsed for sorting.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateValue {
    /// The date as written in the front matter.
    pub text: String,
    /// The moment, in UTC when an offset was given and as written otherwise.
    pub datetime: NaiveDateTime,
    /// Whether the text had a time part.
    pub has_time: bool,
}

impl DateValue {
    pub fn parse(text: &str) -> Option<DateValue> {
        let t = text.trim();
        // A date alone (the usual case) matches none of the forms with a time: tried first.
        if t.len() == 10
            && let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        {
            return Some(DateValue {
                text: t.to_string(),
                datetime: d.and_time(NaiveTime::MIN),
                has_time: false,
            });
        }
        if let Ok(d) = DateTime::parse_from_rfc3339(t) {
            return Some(DateValue {
                text: t.to_string(),
                datetime: d.naive_utc(),
                has_time: true,
            });
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(d) = NaiveDateTime::parse_from_str(t, fmt) {
                return Some(DateValue {
                    text: t.to_string(),
                    datetime: d,
                    has_time: true,
                });
            }
        }
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .map(|d| DateValue {
                text: t.to_string(),
                datetime: d.and_time(NaiveTime::MIN),
                has_time: false,
            })
    }

    pub fn ymd(&self) -> (i32, u32, u32) {
        use chrono::Datelike;
        let d = self.datetime.date();
        (d.year(), d.month(), d.day())
    }

    /// RFC 3339 with an offset, as feeds want it (`+00:00` when none was written).
    pub fn rfc3339(&self) -> String {
        if let Ok(d) = DateTime::parse_from_rfc3339(&self.text) {
            return d.to_rfc3339();
        }
        let fixed: DateTime<FixedOffset> = Utc.from_utc_datetime(&self.datetime).fixed_offset();
        fixed.to_rfc3339()
    }

    /// RFC 2822, as RSS wants it.
    pub fn rfc2822(&self) -> String {
        if let Ok(d) = DateTime::parse_from_rfc3339(&self.text) {
            return d.to_rfc2822();
        }
        Utc.from_utc_datetime(&self.datetime).to_rfc2822()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_zola_accepts() {
        assert!(DateValue::parse("2024-03-05").is_some());
        assert!(DateValue::parse("2024-03-05T09:15:00").is_some());
        assert!(DateValue::parse("2023-06-01T18:30:00Z").is_some());
        assert!(DateValue::parse("2023-06-01 18:30:00").is_some());
        assert!(DateValue::parse("2024-13-05").is_none());
        assert!(DateValue::parse("yesterday").is_none());
        let d = DateValue::parse("2024-03-05").expect("date");
        assert_eq!(d.rfc3339(), "2024-03-05T00:00:00+00:00");
    }
}

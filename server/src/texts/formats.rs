//! Numbers and dates as each of our languages writes them, for the views the server renders
//! (the read-only fragments). They follow what the browser's `Intl` prints for the same
//! language, so a wall looks the same whether the server or the widget wrote it.

use fanfare_protocol::languages::primary_subtag;

/// How one language writes numbers and long dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    decimal: char,
    group: char,
    /// Digits a number needs before it is grouped at all (Spanish and Italian write "1234").
    min_grouping: usize,
    months: [&'static str; 12],
    date: DateOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    /// November 4, 2026
    MonthDayYear,
    /// 4 novembre 2026 (with the language's joiners)
    DayMonthYear { after_day: &'static str, before_year: &'static str },
    /// 2026年11月4日
    Japanese,
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Formats {
    /// The formats of `lang`'s primary subtag (`de-AT`, `pt_BR`…); English for any other.
    pub fn of(lang: &str) -> Self {
        let day_month = |after_day, before_year| DateOrder::DayMonthYear { after_day, before_year };
        let (decimal, group, min_grouping, months, date) = match primary_subtag(lang).as_str() {
            "de" => (',', '.', 1, DE_MONTHS, day_month(". ", " ")),
            "fr" => (',', '\u{202f}', 1, FR_MONTHS, day_month(" ", " ")),
            "es" => (',', '.', 2, ES_MONTHS, day_month(" de ", " de ")),
            "pt" => (',', '.', 1, PT_MONTHS, day_month(" de ", " de ")),
            "it" => (',', '.', 2, IT_MONTHS, day_month(" ", " ")),
            "nl" => (',', '.', 1, NL_MONTHS, day_month(" ", " ")),
            "ja" => ('.', ',', 1, EN_MONTHS, DateOrder::Japanese),
            "ar" => ('.', ',', 1, AR_MONTHS, day_month(" ", " ")),
            // English outside the United States, Canada and the Philippines puts the day first.
            "en" if !english_month_first(lang) => ('.', ',', 1, EN_MONTHS, day_month(" ", " ")),
            _ => ('.', ',', 1, EN_MONTHS, DateOrder::MonthDayYear),
        };
        Self { decimal, group, min_grouping, months, date }
    }

    /// `value` with exactly `fraction_digits` decimals ("4.7", "4,7").
    pub fn number(&self, value: f64, fraction_digits: usize) -> String {
        // Halves round away from zero, as `Intl` does (`format!` alone would round 4.25 to even).
        let scale = 10f64.powi(i32::try_from(fraction_digits).unwrap_or(0));
        let fixed = format!("{:.*}", fraction_digits, (value.abs() * scale).round() / scale);
        let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
        let mut out = String::new();
        if value < 0.0 && fixed.bytes().any(|digit| digit.is_ascii_digit() && digit != b'0') {
            out.push('-');
        }
        out.push_str(&self.grouped(whole));
        if !fraction.is_empty() {
            out.push(self.decimal);
            out.push_str(fraction);
        }
        out
    }

    /// A count ("1,234", "1.234", "1234" in Spanish).
    pub fn count(&self, value: u64) -> String {
        self.grouped(&value.to_string())
    }

    /// The day of an RFC 3339 time, in the language's long form; the time as given when it
    /// does not start with a date.
    pub fn date(&self, rfc3339: &str) -> String {
        let parts = rfc3339.get(..10).and_then(|date| {
            let mut fields = date.split('-').map(str::parse::<u32>);
            match (fields.next(), fields.next(), fields.next()) {
                (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) if (1..=12).contains(&month) => {
                    Some((year, month, day))
                }
                _ => None,
            }
        });
        let Some((year, month, day)) = parts else {
            return rfc3339.to_owned();
        };
        let name = self.months[(month - 1) as usize];
        match self.date {
            DateOrder::MonthDayYear => format!("{name} {day}, {year}"),
            DateOrder::DayMonthYear { after_day, before_year } => {
                format!("{day}{after_day}{name}{before_year}{year}")
            }
            DateOrder::Japanese => format!("{year}年{month}月{day}日"),
        }
    }

    fn grouped(&self, digits: &str) -> String {
        // Grouped from four digits, or five where the language waits (min_grouping 2).
        if digits.len() < 3 + self.min_grouping {
            return digits.to_owned();
        }
        let mut out = String::with_capacity(digits.len() * 2);
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                out.push(self.group);
            }
            out.push(digit);
        }
        out
    }
}

/// Whether an English tag writes "November 4, 2026" (`en`, `en-US`, `en-CA`, `en-PH`) rather
/// than "4 November 2026" (`en-GB`, `en-AU`, `en-IN`…), as `Intl` does.
fn english_month_first(lang: &str) -> bool {
    let region = lang.split(['-', '_']).nth(1).unwrap_or_default().to_ascii_uppercase();
    region.is_empty() || ["US", "CA", "PH", "AS", "GU", "MP", "PR", "UM", "VI"].contains(&region.as_str())
}

const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const PT_MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];
const IT_MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const NL_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const AR_MONTHS: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// What `Intl.NumberFormat` / `Intl.DateTimeFormat` (Node 20, full ICU) print for the same
    /// language: 4.7 with one decimal, 1234 and 12345, and 4 November 2026 as a long date.
    #[test]
    fn each_language_writes_numbers_and_dates_as_the_browser_does() {
        let expected = [
            ("en", "4.7", "1,234", "12,345", "November 4, 2026"),
            ("de", "4,7", "1.234", "12.345", "4. November 2026"),
            ("fr", "4,7", "1\u{202f}234", "12\u{202f}345", "4 novembre 2026"),
            ("es", "4,7", "1234", "12.345", "4 de noviembre de 2026"),
            ("pt", "4,7", "1.234", "12.345", "4 de novembro de 2026"),
            ("it", "4,7", "1234", "12.345", "4 novembre 2026"),
            ("nl", "4,7", "1.234", "12.345", "4 november 2026"),
            ("ja", "4.7", "1,234", "12,345", "2026年11月4日"),
            ("ar", "4.7", "1,234", "12,345", "4 نوفمبر 2026"),
        ];
        for (lang, average, thousands, more, date) in expected {
            let formats = Formats::of(lang);
            assert_eq!(formats.number(4.7, 1), average, "{lang}");
            assert_eq!(formats.count(1234), thousands, "{lang}");
            assert_eq!(formats.count(12345), more, "{lang}");
            assert_eq!(formats.date("2026-11-04T12:00:00Z"), date, "{lang}");
        }
    }

    #[test]
    fn regional_tags_use_their_language_and_unknown_ones_english() {
        assert_eq!(Formats::of("de_DE"), Formats::of("de"));
        assert_eq!(Formats::of("pt-BR").number(4.25, 1), "4,3");
        assert_eq!(Formats::of("xx").date("2026-01-31T00:00:00Z"), "January 31, 2026");
        // As Intl: Britain, India, Australia put the day first, the United States and Canada the month.
        for (tag, date) in [
            ("en-GB", "31 January 2026"),
            ("en_IN", "31 January 2026"),
            ("en-AU", "31 January 2026"),
            ("en-US", "January 31, 2026"),
            ("en-CA", "January 31, 2026"),
        ] {
            assert_eq!(Formats::of(tag).date("2026-01-31T00:00:00Z"), date, "{tag}");
        }
    }

    #[test]
    fn small_and_odd_values_stay_readable() {
        let en = Formats::of("en");
        assert_eq!(en.count(0), "0");
        assert_eq!(en.count(999), "999");
        assert_eq!(en.count(1_234_567), "1,234,567");
        assert_eq!(en.number(5.0, 1), "5.0");
        assert_eq!(en.number(-0.01, 1), "0.0");
        assert_eq!(en.date("not a date"), "not a date");
        assert_eq!(en.date("2026-13-01T00:00:00Z"), "2026-13-01T00:00:00Z");
    }
}

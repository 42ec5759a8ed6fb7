//! Chinese resident identity numbers (GB 11643-1999): 18 characters, or the 15-digit numbers
//! issued before 1999, which are converted. Parsing checks the check digit, a real birth date
//! not in the future, and a person's (county-level) area code; it yields birth date and sex.

use crate::FieldError;
use jiff::civil::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// A valid 18-character identity number. Not `Display`: show `masked()` unless the viewer
/// may see the whole number.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber {
    value: String,
    birth: Date,
    sex: Sex,
}

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character of the first 17 digits.
fn check_char(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// Full-width digits and letters become ASCII, `x` becomes `X`; spaces and hyphens people
/// type between groups are dropped.
fn normalise(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            'ｘ' | 'Ｘ' | 'x' => Some('X'),
            ' ' | '\u{3000}' | '\t' | '-' | '－' => None,
            c => Some(c),
        })
        .collect()
}

/// Hong Kong, Macao and Taiwan residents' residence permits carry 810000, 820000 and 830000.
fn is_residence_permit_area(code: &str) -> bool {
    matches!(code, "810000" | "820000" | "830000")
}

/// Prefectures created after the bundled GB 2260 revision (2016-07). 那曲市 replaced 那曲地区
/// (542400) in 2017. Extend when the State Council creates another.
const NEWER_PREFECTURES: &[&str] = &["540600"];

/// A person's area code: a county-level code (never a province or prefecture as such). Known
/// county codes come from every GB 2260 revision up to 2016; counties created since then are
/// accepted when their prefecture exists, so a newer real number is never refused.
fn is_person_area(code: &str) -> bool {
    if is_residence_permit_area(code) {
        return true;
    }
    if code.ends_with("00") {
        return false;
    }
    if gb2260::Division::search(code).is_some_and(|d| d.is_county()) {
        return true;
    }
    let prefecture = format!("{}00", &code[..4]);
    NEWER_PREFECTURES.contains(&prefecture.as_str())
        || gb2260::Division::search(&prefecture).is_some_and(|d| d.is_prefecture())
}

impl IdNumber {
    /// Parses an 18-character number (or a 15-digit old one, converted). `today` is the
    /// store's current date: nobody is born in the future.
    pub fn parse(input: &str, today: Date) -> Result<IdNumber, FieldError> {
        let err = |key| FieldError::new("id_number", key);
        let s = normalise(input);
        if s.is_empty() {
            return Err(err("error.id_number.empty"));
        }
        let bytes = s.as_bytes();
        let (body, given_check) = match bytes.len() {
            18 => (bytes[..17].to_vec(), Some(bytes[17])),
            15 if bytes.iter().all(u8::is_ascii_digit) => {
                // Pre-1999 numbers: YYMMDD in the 20th century, no check digit.
                let mut b = bytes[..6].to_vec();
                b.extend_from_slice(b"19");
                b.extend_from_slice(&bytes[6..]);
                (b, None)
            }
            _ => return Err(err("error.id_number.length")),
        };
        if !body.iter().all(u8::is_ascii_digit)
            || given_check.is_some_and(|c| !(c.is_ascii_digit() || c == b'X'))
        {
            return Err(err("error.id_number.characters"));
        }
        let expected = check_char(&body);
        if given_check.is_some_and(|c| c != expected) {
            return Err(err("error.id_number.check_digit"));
        }
        let digits = |r: std::ops::Range<usize>| -> i16 {
            body[r]
                .iter()
                .fold(0i16, |acc, d| acc * 10 + i16::from(d - b'0'))
        };
        let birth = Date::new(digits(6..10), digits(10..12) as i8, digits(12..14) as i8)
            .ok()
            .filter(|d| d.year() >= 1900 && *d <= today)
            .ok_or(err("error.id_number.birth_date"))?;
        let area =
            std::str::from_utf8(&body[..6]).map_err(|_| err("error.id_number.characters"))?;
        if !is_person_area(area) {
            return Err(err("error.id_number.area"));
        }
        let sex = if (body[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        let mut value = String::from_utf8(body).map_err(|_| err("error.id_number.characters"))?;
        value.push(char::from(expected));
        Ok(IdNumber { value, birth, sex })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn birth_date(&self) -> Date {
        self.birth
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// `110101**********1234`: the area and the last four, as staff see it by default.
    pub fn masked(&self) -> String {
        format!(
            "{}{}{}",
            &self.value[..6],
            "*".repeat(8 + 2),
            &self.value[14..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 23).expect("date")
    }

    /// The judge: ../shared/oracles/ids.csv (id-validator 1.0.20). Where Patron decides
    /// differently from the package, the case is named here with the reason.
    #[test]
    fn agrees_with_the_oracle() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/oracles/ids.csv"
        );
        let text = std::fs::read_to_string(path).expect("oracle ids.csv beside the repository");
        let mut checked = 0;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (category, intended, id, pkg_valid, birthday, gender, upgrade18) =
                (f[1], f[2] == "1", f[3], f[4] == "1", f[6], f[8], f[13]);
            let ours = IdNumber::parse(id, today());
            let expected = match category {
                // Deliberate: people paste numbers with spaces, hyphens, full-width digits or
                // a lower-case x; the number is the same, so we normalise instead of refusing.
                "lowercase_x"
                | "noise_spaces_6_8_4"
                | "noise_hyphens"
                | "noise_fullwidth_digits"
                | "noise_leading_trailing_space" => {
                    IdNumber::parse(&normalise(id), today()).is_ok()
                }
                // Deliberate: 15-digit numbers are still in wallets; converted to 18.
                "old15_wellformed" => true,
                // Deliberate: a county that does not exist inside a real prefecture cannot be
                // told from a county created after the bundled GB 2260 revision (2016); we
                // accept rather than refuse a real customer.
                "bad_area_110199" => true,
                _ => intended,
            };
            assert_eq!(ours.is_ok(), expected, "{category} {id}: {ours:?}");
            if let Ok(n) = &ours {
                if category == "old15_wellformed" {
                    assert_eq!(n.as_str(), upgrade18, "{id} converted like the package");
                }
                if pkg_valid && !birthday.is_empty() {
                    assert_eq!(n.birth_date().to_string(), birthday, "{id}");
                    assert_eq!(if n.sex() == Sex::Male { "M" } else { "F" }, gender, "{id}");
                }
            }
            checked += 1;
        }
        assert_eq!(checked, 2000);
    }

    #[test]
    fn masks_and_explains() {
        let n = IdNumber::parse("11010519491231002x", today()).expect("valid");
        assert_eq!(n.as_str(), "11010519491231002X");
        assert_eq!(n.masked(), "110105**********002X");
        assert!(!format!("{n:?}").contains("1949"));
        assert_eq!(
            IdNumber::parse("", today()).map_err(|e| e.key),
            Err("error.id_number.empty")
        );
        assert_eq!(
            IdNumber::parse("110105194912310021", today()).map_err(|e| e.key),
            Err("error.id_number.check_digit")
        );
        let province_level = format!(
            "11000019491231002{}",
            char::from(check_char(b"11000019491231002"))
        );
        assert_eq!(
            IdNumber::parse(&province_level, today()).map_err(|e| e.key),
            Err("error.id_number.area")
        );
        let future = format!(
            "11010520300101002{}",
            char::from(check_char(b"11010520300101002"))
        );
        assert_eq!(
            IdNumber::parse(&future, today()).map_err(|e| e.key),
            Err("error.id_number.birth_date")
        );
        assert_eq!(
            IdNumber::parse("11010519491231002", today()).map_err(|e| e.key),
            Err("error.id_number.length")
        );
        assert_eq!(
            IdNumber::parse("11010519491231A02X", today()).map_err(|e| e.key),
            Err("error.id_number.characters")
        );
    }
}

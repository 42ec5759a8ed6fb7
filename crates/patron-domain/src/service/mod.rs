//! After-sales service: the ticket workflow and what a resolution gives, the SLA clock
//! counted in each store's business hours, and surveys.

/// A closed set of codes: the enum, its stored code, `ALL`, and parsing with the field
/// error a form shows.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident, $field:literal, $key:literal { $($v:ident => $c:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$v => $c),+ }
            }

            pub fn parse(text: &str) -> Result<Self, FieldError> {
                match text.trim() {
                    $($c => Ok($name::$v),)+
                    _ => Err(FieldError::new($field, $key)),
                }
            }
        }
    };
}

pub mod compensation;
pub mod order;
pub mod report;
pub mod sla;
pub mod survey;
pub mod ticket;

#[cfg(test)]
mod survey_tests;
#[cfg(test)]
mod tests;

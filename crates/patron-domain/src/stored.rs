//! Closed sets of codes as the store writes them (statuses, kinds): the enum, its stored
//! code and parsing back. The store decodes rows into these once; nothing above it compares
//! the code strings.

/// `stored_codes! { /// doc \n Name { Variant => "code", ... } }`
macro_rules! stored_codes {
    ($($(#[$m:meta])* $name:ident { $($v:ident => $c:literal),+ $(,)? })+) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The code as stored.
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $c),+ }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($c => Some($name::$v),)+ _ => None }
            }
        }
    )+};
}
pub(crate) use stored_codes;

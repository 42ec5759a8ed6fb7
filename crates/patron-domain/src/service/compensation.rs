//! What a ticket's resolution gives the customer, and what each kind of compensation needs
//! to be given. The API and the console name and parse the inputs in their own way (fields in
//! fen, one amount in yuan); which input a kind takes and whether it may be left out is
//! decided here, once.

use serde::{Deserialize, Serialize};

/// What a resolution gives the customer. Points and coupons go through the ledger and the
/// coupon register; a refund, replacement or repair is recorded with its value (the refund
/// itself is made against the sale at the till, `POST /api/v1/refunds`). Stored as JSON on
/// the ticket and on approval requests: the serde shape is part of the stored data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Compensation {
    #[default]
    None,
    Points {
        points: i64,
        /// Applied at once, or waiting for a second person's approval (above the
        /// programme's threshold for manual points).
        #[serde(default)]
        applied: bool,
    },
    Coupon {
        template_id: i64,
        #[serde(default)]
        code: String,
    },
    Refund {
        amount_fen: i64,
    },
    /// The goods replaced; `value_fen` what the replacement is worth (0: not stated).
    Replacement {
        #[serde(default)]
        value_fen: i64,
    },
    /// A repair; `value_fen` what it costs the store (0: not stated).
    Repair {
        #[serde(default)]
        value_fen: i64,
    },
}

/// The kinds of compensation, by the codes forms and JSON bodies send (the stored `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompensationKind {
    None,
    Points,
    Coupon,
    Refund,
    Replacement,
    Repair,
}

/// The one input a kind of compensation takes besides its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// How many points (required).
    Points,
    /// The coupon template to issue from (required).
    TemplateId,
    /// What is refunded, fen (required).
    AmountFen,
    /// What a replacement or repair is worth, fen (may be left out: not stated, 0).
    ValueFen,
}

/// A required input was not given (or could not be read as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("compensation: {0:?} is required")]
pub struct Missing(pub Input);

impl CompensationKind {
    pub const ALL: &'static [CompensationKind] = &[
        CompensationKind::None,
        CompensationKind::Points,
        CompensationKind::Coupon,
        CompensationKind::Refund,
        CompensationKind::Replacement,
        CompensationKind::Repair,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CompensationKind::None => "none",
            CompensationKind::Points => "points",
            CompensationKind::Coupon => "coupon",
            CompensationKind::Refund => "refund",
            CompensationKind::Replacement => "replacement",
            CompensationKind::Repair => "repair",
        }
    }

    /// The kind a code names, exactly as sent (no trimming); `None` for an unknown code.
    pub fn parse(code: &str) -> Option<CompensationKind> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// The input this kind takes; `None` takes nothing.
    pub fn input(self) -> Option<Input> {
        match self {
            CompensationKind::None => None,
            CompensationKind::Points => Some(Input::Points),
            CompensationKind::Coupon => Some(Input::TemplateId),
            CompensationKind::Refund => Some(Input::AmountFen),
            CompensationKind::Replacement | CompensationKind::Repair => Some(Input::ValueFen),
        }
    }
}

impl Input {
    /// Whether a compensation cannot be given without it.
    pub fn required(self) -> bool {
        !matches!(self, Input::ValueFen)
    }
}

impl Compensation {
    /// A compensation of `kind` from what was given for its input (`kind.input()`; ignored
    /// by `None`). Points are not applied yet and a coupon has no code yet: resolving the
    /// ticket does both. Amounts are not judged here (what a compensation is worth, and who
    /// may give it, is the service desk's rule).
    pub fn new(kind: CompensationKind, given: Option<i64>) -> Result<Compensation, Missing> {
        let need = |input: Input| given.ok_or(Missing(input));
        Ok(match kind {
            CompensationKind::None => Compensation::None,
            CompensationKind::Points => Compensation::Points {
                points: need(Input::Points)?,
                applied: false,
            },
            CompensationKind::Coupon => Compensation::Coupon {
                template_id: need(Input::TemplateId)?,
                code: String::new(),
            },
            CompensationKind::Refund => Compensation::Refund {
                amount_fen: need(Input::AmountFen)?,
            },
            CompensationKind::Replacement => Compensation::Replacement {
                value_fen: given.unwrap_or(0),
            },
            CompensationKind::Repair => Compensation::Repair {
                value_fen: given.unwrap_or(0),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_from_its_code_and_nothing_else_does() {
        for k in CompensationKind::ALL {
            assert_eq!(CompensationKind::parse(k.code()), Some(*k));
        }
        assert_eq!(CompensationKind::parse(""), None);
        assert_eq!(CompensationKind::parse(" points"), None);
        assert_eq!(CompensationKind::parse("Points"), None);
        assert_eq!(CompensationKind::parse("cash"), None);
    }

    #[test]
    fn each_kind_is_built_from_its_input() {
        let new = |k, v| Compensation::new(k, v);
        assert_eq!(new(CompensationKind::None, None), Ok(Compensation::None));
        assert_eq!(new(CompensationKind::None, Some(5)), Ok(Compensation::None));
        assert_eq!(
            new(CompensationKind::Points, Some(300)),
            Ok(Compensation::Points {
                points: 300,
                applied: false
            })
        );
        assert_eq!(
            new(CompensationKind::Coupon, Some(7)),
            Ok(Compensation::Coupon {
                template_id: 7,
                code: String::new()
            })
        );
        assert_eq!(
            new(CompensationKind::Refund, Some(12_050)),
            Ok(Compensation::Refund { amount_fen: 12_050 })
        );
        assert_eq!(
            new(CompensationKind::Replacement, Some(2_000)),
            Ok(Compensation::Replacement { value_fen: 2_000 })
        );
        assert_eq!(
            new(CompensationKind::Repair, Some(900)),
            Ok(Compensation::Repair { value_fen: 900 })
        );
    }

    #[test]
    fn a_missing_input_is_named_and_a_value_may_be_left_out() {
        let new = |k| Compensation::new(k, None);
        assert_eq!(new(CompensationKind::Points), Err(Missing(Input::Points)));
        assert_eq!(
            new(CompensationKind::Coupon),
            Err(Missing(Input::TemplateId))
        );
        assert_eq!(
            new(CompensationKind::Refund),
            Err(Missing(Input::AmountFen))
        );
        assert_eq!(
            new(CompensationKind::Replacement),
            Ok(Compensation::Replacement { value_fen: 0 })
        );
        assert_eq!(
            new(CompensationKind::Repair),
            Ok(Compensation::Repair { value_fen: 0 })
        );
        for k in CompensationKind::ALL {
            let required = k.input().is_some_and(Input::required);
            assert_eq!(new(*k).is_err(), required, "{k:?}");
        }
    }

    #[test]
    fn the_stored_shape_is_unchanged() {
        let cases = [
            (Compensation::None, r#"{"kind":"none"}"#),
            (
                Compensation::Points {
                    points: 300,
                    applied: true,
                },
                r#"{"kind":"points","points":300,"applied":true}"#,
            ),
            (
                Compensation::Coupon {
                    template_id: 7,
                    code: "C1".into(),
                },
                r#"{"kind":"coupon","template_id":7,"code":"C1"}"#,
            ),
            (
                Compensation::Refund { amount_fen: 100 },
                r#"{"kind":"refund","amount_fen":100}"#,
            ),
            (
                Compensation::Replacement { value_fen: 0 },
                r#"{"kind":"replacement","value_fen":0}"#,
            ),
            (
                Compensation::Repair { value_fen: 5 },
                r#"{"kind":"repair","value_fen":5}"#,
            ),
        ];
        for (c, json) in cases {
            assert_eq!(serde_json::to_string(&c).ok().as_deref(), Some(json));
            assert_eq!(serde_json::from_str::<Compensation>(json).ok(), Some(c));
        }
        // Older rows without the defaulted fields still read.
        assert_eq!(
            serde_json::from_str::<Compensation>(r#"{"kind":"points","points":3}"#).ok(),
            Some(Compensation::Points {
                points: 3,
                applied: false
            })
        );
        assert_eq!(
            serde_json::from_str::<Compensation>(r#"{"kind":"repair"}"#).ok(),
            Some(Compensation::Repair { value_fen: 0 })
        );
    }
}

//! Orders for delivery, installation and custom work: the stages an order passes through
//! (a pipeline chosen per store and per order), and the appointments that take staff to the
//! customer, with their time windows and the conflicts between them.

use crate::FieldError;
use serde::{Deserialize, Serialize};

codes!(
    /// Where an order stands. `Cancelled` ends any pipeline early.
    Stage, "status", "error.order.status" {
        Confirmed => "confirmed", Preparing => "preparing", OutForDelivery => "out_for_delivery",
        Delivered => "delivered", Installed => "installed", Completed => "completed",
        Cancelled => "cancelled",
    }
);

codes!(
    /// What an appointment is for.
    AppointmentKind, "kind", "error.appointment.kind" {
        Measure => "measure", Delivery => "delivery", Installation => "installation",
    }
);

codes!(
    AppointmentStatus, "status", "error.appointment.status" {
        Scheduled => "scheduled", Done => "done", Cancelled => "cancelled",
    }
);

impl Stage {
    /// Whether the order still moves (neither completed nor cancelled).
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Completed | Stage::Cancelled)
    }
}

impl AppointmentKind {
    /// The order stage a completed appointment of this kind reaches, if any.
    pub fn reaches(self) -> Option<Stage> {
        match self {
            AppointmentKind::Measure => None,
            AppointmentKind::Delivery => Some(Stage::Delivered),
            AppointmentKind::Installation => Some(Stage::Installed),
        }
    }
}

/// The stages an order passes through, in order: always from `confirmed` to `completed`,
/// each stage at most once, in the canonical order of `Stage::ALL`. Written as
/// `confirmed > preparing > out_for_delivery > delivered > completed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline(Vec<Stage>);

impl Pipeline {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("pipeline", "error.order.pipeline");
        let mut stages = Vec::new();
        for part in text.split('>') {
            let stage = Stage::parse(part).map_err(|_| bad())?;
            stages.push(stage);
        }
        let rank = |s: &Stage| Stage::ALL.iter().position(|x| x == s);
        let ordered = stages.windows(2).all(|w| rank(&w[0]) < rank(&w[1]));
        if stages.first() != Some(&Stage::Confirmed)
            || stages.last() != Some(&Stage::Completed)
            || stages.contains(&Stage::Cancelled)
            || !ordered
        {
            return Err(bad());
        }
        Ok(Self(stages))
    }

    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(" > ")
    }

    pub fn stages(&self) -> &[Stage] {
        &self.0
    }

    fn position(&self, s: Stage) -> Option<usize> {
        self.0.iter().position(|x| *x == s)
    }

    /// Checks a move from `from` to `to`: forward along the pipeline (stages may be
    /// skipped, as when a customer collects the goods themselves), or to `cancelled` from
    /// any open stage. Nothing moves back; a mistake is corrected by a note and the next
    /// stage.
    pub fn check_move(&self, from: Stage, to: Stage) -> Result<(), FieldError> {
        let refuse = Err(FieldError::new("status", "error.order.transition"));
        if !from.is_open() {
            return refuse;
        }
        if to == Stage::Cancelled {
            return Ok(());
        }
        match (self.position(from), self.position(to)) {
            (Some(a), Some(b)) if b > a => Ok(()),
            _ => refuse,
        }
    }

    /// The stages an order in `from` may move to, nearest first (for the page's buttons).
    pub fn moves_from(&self, from: Stage) -> Vec<Stage> {
        let mut out: Vec<Stage> = self
            .0
            .iter()
            .copied()
            .filter(|to| self.check_move(from, *to).is_ok())
            .collect();
        if from.is_open() {
            out.push(Stage::Cancelled);
        }
        out
    }

    /// Where a completed appointment of `kind` moves an order in `from`: its stage, when the
    /// pipeline has it and the order has not passed it yet.
    pub fn after_appointment(&self, from: Stage, kind: AppointmentKind) -> Option<Stage> {
        let to = kind.reaches()?;
        self.check_move(from, to).ok().map(|_| to)
    }
}

/// The pipelines a new installation starts with, by the kind of store that uses them.
pub fn default_pipelines() -> Vec<(String, Pipeline)> {
    use Stage::*;
    [
        (
            "delivery_installation",
            vec![
                Confirmed,
                Preparing,
                OutForDelivery,
                Delivered,
                Installed,
                Completed,
            ],
        ),
        (
            "delivery",
            vec![Confirmed, Preparing, OutForDelivery, Delivered, Completed],
        ),
        ("pickup", vec![Confirmed, Preparing, Completed]),
    ]
    .into_iter()
    .map(|(name, stages)| (name.to_string(), Pipeline(stages)))
    .collect()
}

/// The longest appointment window: a working day.
pub const MAX_WINDOW_MINUTES: i64 = 12 * 60;

/// A time window in epoch milliseconds, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Window {
    /// A window that ends after it starts and lasts at most `MAX_WINDOW_MINUTES`.
    pub fn new(start_ms: i64, end_ms: i64) -> Result<Self, FieldError> {
        if end_ms <= start_ms {
            return Err(FieldError::new("ends_at", "error.appointment.window"));
        }
        if end_ms - start_ms > MAX_WINDOW_MINUTES * 60_000 {
            return Err(FieldError::new("ends_at", "error.appointment.too_long"));
        }
        Ok(Self { start_ms, end_ms })
    }

    /// Whether two windows share any instant (touching ends do not).
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start_ms < other.end_ms && other.start_ms < self.end_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_read_back_and_refuse_disorder() {
        for (_, p) in default_pipelines() {
            assert_eq!(Pipeline::parse(&p.render()).expect("reads back"), p);
        }
        for bad in [
            "",
            "preparing > completed",
            "confirmed > preparing",
            "confirmed > delivered > preparing > completed",
            "confirmed > preparing > preparing > completed",
            "confirmed > cancelled > completed",
            "confirmed > shipped > completed",
        ] {
            let e = Pipeline::parse(bad).unwrap_err();
            assert_eq!((e.field, e.key), ("pipeline", "error.order.pipeline"));
        }
    }

    #[test]
    fn orders_move_forward_or_cancel_never_back() {
        let p = Pipeline::parse("confirmed > preparing > out_for_delivery > delivered > completed")
            .expect("pipeline");
        assert!(p.check_move(Stage::Confirmed, Stage::Preparing).is_ok());
        assert!(p.check_move(Stage::Confirmed, Stage::Completed).is_ok());
        assert!(p.check_move(Stage::Delivered, Stage::Preparing).is_err());
        assert!(p.check_move(Stage::Preparing, Stage::Installed).is_err());
        assert!(p.check_move(Stage::Preparing, Stage::Cancelled).is_ok());
        assert!(p.check_move(Stage::Completed, Stage::Cancelled).is_err());
        assert!(p.check_move(Stage::Cancelled, Stage::Completed).is_err());
        assert_eq!(
            p.moves_from(Stage::OutForDelivery),
            vec![Stage::Delivered, Stage::Completed, Stage::Cancelled]
        );
        assert!(p.moves_from(Stage::Completed).is_empty());
    }

    #[test]
    fn appointments_move_their_order_once() {
        let p = default_pipelines().remove(0).1;
        use AppointmentKind as K;
        assert_eq!(
            p.after_appointment(Stage::OutForDelivery, K::Delivery),
            Some(Stage::Delivered)
        );
        assert_eq!(p.after_appointment(Stage::Delivered, K::Delivery), None);
        assert_eq!(
            p.after_appointment(Stage::Delivered, K::Installation),
            Some(Stage::Installed)
        );
        assert_eq!(p.after_appointment(Stage::Preparing, K::Measure), None);
        let pickup = Pipeline::parse("confirmed > preparing > completed").expect("pickup");
        assert_eq!(
            pickup.after_appointment(Stage::Preparing, K::Delivery),
            None
        );
    }

    #[test]
    fn windows_overlap_only_when_they_share_time() {
        let w = |a: i64, b: i64| Window::new(a * 60_000, b * 60_000).expect("window");
        assert!(w(540, 720).overlaps(&w(700, 800)));
        assert!(w(540, 720).overlaps(&w(600, 660)));
        assert!(!w(540, 720).overlaps(&w(720, 800)));
        assert!(!w(800, 900).overlaps(&w(540, 720)));
        assert_eq!(
            Window::new(10, 10).unwrap_err().key,
            "error.appointment.window"
        );
        assert_eq!(
            Window::new(0, (MAX_WINDOW_MINUTES + 1) * 60_000)
                .unwrap_err()
                .key,
            "error.appointment.too_long"
        );
    }
}

//! Segment conditions on the customer list (classes, membership, consent, purchases, churn),
//! as SQL conditions added to the list's query; all of them must hold.

use super::search::Arg;

/// Conditions a segment adds to the customer list; all of them must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentFilter {
    /// Spend class within the store (`key`, `major`, `ordinary`, `small`).
    pub spend_class: Option<String>,
    /// Lifecycle stage (`new`, `active`, `dormant`, `lost`).
    pub lifecycle: Option<String>,
    pub tier: Option<String>,
    /// A consent purpose in force.
    pub consent: Option<String>,
    /// Last purchase before / at or after this time (epoch ms).
    pub last_purchase_before: Option<i64>,
    pub last_purchase_since: Option<i64>,
    /// Bought in this category, ever.
    pub category: Option<String>,
    /// Churn score at least this.
    pub min_churn: Option<i64>,
    /// Bought this product, ever.
    pub sku: Option<String>,
}

impl SegmentFilter {
    pub fn is_empty(&self) -> bool {
        self == &SegmentFilter::default()
    }
}

/// Adds the conditions `g` sets to `conds`, binding their values into `args` (`$n` is the
/// value's position in `args`).
pub(super) fn segment_conditions(g: &SegmentFilter, conds: &mut Vec<String>, args: &mut Vec<Arg>) {
    let push = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        args.len()
    };
    if let Some(v) = &g.spend_class {
        let n = push(args, Arg::Text(v.clone()));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM customer_classes WHERE spend_store = ${n})"
        ));
    }
    if let Some(v) = &g.lifecycle {
        let n = push(args, Arg::Text(v.clone()));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM customer_classes WHERE lifecycle = ${n})"
        ));
    }
    if let Some(v) = &g.tier {
        let n = push(args, Arg::Text(v.clone()));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM memberships WHERE tier_code = ${n})"
        ));
    }
    if let Some(v) = &g.consent {
        let n = push(args, Arg::Text(v.clone()));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM customer_consent_state WHERE purpose = ${n} AND granted = 1)"
        ));
    }
    if let Some(t) = g.last_purchase_before {
        let n = push(args, Arg::Int(t));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM customer_stats WHERE last_purchase_ms < ${n})"
        ));
    }
    if let Some(t) = g.last_purchase_since {
        let n = push(args, Arg::Int(t));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM customer_stats WHERE last_purchase_ms >= ${n})"
        ));
    }
    if let Some(v) = &g.category {
        let n = push(args, Arg::Text(v.clone()));
        conds.push(format!(
            "c.id IN (SELECT s.customer_id FROM sales s JOIN sale_lines l ON l.sale_id = s.id \
             WHERE l.category = ${n} AND s.customer_id IS NOT NULL)"
        ));
    }
    if let Some(v) = &g.sku {
        let n = push(args, Arg::Text(v.clone()));
        conds.push(format!(
            "c.id IN (SELECT s.customer_id FROM sales s JOIN sale_lines l ON l.sale_id = s.id \
             WHERE l.sku = ${n} AND s.customer_id IS NOT NULL)"
        ));
    }
    if let Some(v) = g.min_churn {
        let n = push(args, Arg::Int(v));
        conds.push(format!(
            "c.id IN (SELECT customer_id FROM churn_scores WHERE score >= ${n})"
        ));
    }
}

//! The till's receipts as the API document describes them. The application writes a receipt
//! once and keeps it for the till's retries, so the bytes on the wire are its serialisation;
//! these types describe the same shape for the document, and a test holds the two together.

// Never built: they exist for the document only.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// The answer a till gets (and gets again on a retry).
#[derive(Serialize, ToSchema)]
pub struct CheckoutReceipt {
    pub sale_id: i64,
    pub receipt_no: String,
    pub customer_id: Option<i64>,
    /// Quantity × unit price over all lines, fen.
    pub list_fen: i64,
    /// Line discounts and coupons, fen.
    pub discount_fen: i64,
    /// The coupons used and what each took off.
    pub coupons: Vec<CouponUsed>,
    /// Paid with points, fen.
    pub points_value_fen: i64,
    /// To pay in money, fen.
    pub paid_fen: i64,
    pub points_earned: i64,
    pub points_redeemed: i64,
    /// When the points earned can be used (UTC, RFC 3339); later than the sale with a
    /// pending window.
    pub points_usable_from: Option<String>,
    pub points_expire_at: Option<String>,
    pub balance: i64,
    pub tier: Option<String>,
    pub tier_name: Option<String>,
    /// The tier the member had before, when this sale upgraded them.
    pub upgraded_from: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CouponUsed {
    pub code: String,
    pub discount_fen: i64,
}

/// The answer to a refund (and to its retries).
#[derive(Serialize, ToSchema)]
pub struct RefundReceipt {
    pub refund_id: i64,
    pub sale_id: i64,
    pub refund_no: String,
    /// Money to give back, fen.
    pub paid_fen: i64,
    pub points_clawed: i64,
    pub points_restored: i64,
    /// Points taken back that the member had already spent: the balance went negative by
    /// this much (shown to staff; later earnings pay it back).
    pub points_short: i64,
    pub balance: i64,
    pub tier: Option<String>,
    /// The tier before, when the refund undid the upgrade the sale had brought.
    pub downgraded_from: Option<String>,
}

/// The answer to a till's redemption.
#[derive(Serialize, ToSchema)]
pub struct RedeemReceipt {
    pub order_id: i64,
    pub reward: String,
    pub quantity: i64,
    pub points: i64,
    /// Cash to collect from the member on top of the points, fen.
    pub cash_fen: i64,
    /// `placed` (goods to hand over) or `fulfilled` (coupons issued).
    pub status: String,
    pub coupon_codes: Vec<String>,
    pub balance: i64,
}

#[cfg(test)]
mod tests {
    use crate::api::ApiDoc;
    use patron_app::membership::mall::RedeemReceipt;
    use patron_app::sales::CheckoutReceipt;
    use patron_app::sales::checkout::CouponUsed;
    use patron_app::sales::refund::RefundReceipt;
    use std::collections::BTreeSet;
    use utoipa::OpenApi;

    /// The property names the document gives a schema.
    fn documented(name: &str) -> BTreeSet<String> {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("document");
        doc["components"]["schemas"][name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} is not in the document"))
            .keys()
            .cloned()
            .collect()
    }

    /// The field names the application writes.
    fn written(value: impl serde::Serialize) -> BTreeSet<String> {
        serde_json::to_value(value)
            .expect("serialise")
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn the_document_describes_the_receipts_the_application_writes() {
        let coupon = CouponUsed {
            code: "C1".into(),
            discount_fen: 100,
        };
        assert_eq!(written(&coupon), documented("CouponUsed"));
        let checkout = CheckoutReceipt {
            sale_id: 1,
            receipt_no: "R1".into(),
            customer_id: Some(2),
            list_fen: 10_000,
            discount_fen: 100,
            coupons: vec![coupon],
            points_value_fen: 0,
            paid_fen: 9_900,
            points_earned: 99,
            points_redeemed: 0,
            points_usable_from: None,
            points_expire_at: None,
            balance: 99,
            tier: None,
            tier_name: None,
            upgraded_from: None,
        };
        assert_eq!(written(&checkout), documented("CheckoutReceipt"));
        let refund = RefundReceipt {
            refund_id: 1,
            sale_id: 1,
            refund_no: "F1".into(),
            paid_fen: 100,
            points_clawed: 1,
            points_restored: 0,
            points_short: 0,
            balance: 98,
            tier: None,
            downgraded_from: None,
        };
        assert_eq!(written(&refund), documented("RefundReceipt"));
        let redeem = RedeemReceipt {
            order_id: 1,
            reward: "杯子".into(),
            quantity: 1,
            points: 500,
            cash_fen: 0,
            status: "placed".into(),
            coupon_codes: Vec::new(),
            balance: 0,
        };
        assert_eq!(written(&redeem), documented("RedeemReceipt"));
    }
}

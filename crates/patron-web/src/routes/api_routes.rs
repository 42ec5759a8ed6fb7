//! API routes: JSON for scripts (personal tokens, by capability) and tills (store keys).

use super::{Route, r};
use crate::access::Access;
use crate::api;
use axum::routing::{get, patch, post};
use patron_domain::Capability as C;

pub(super) fn routes() -> Vec<Route> {
    use Access::{Cap, SignedIn, Till};
    vec![
        r("GET", "/api/v1/me", SignedIn, get(api::me)),
        r("GET", "/api/v1/till", Till, get(api::till)),
        r(
            "GET",
            "/api/v1/stores",
            Cap(C::StoreRead),
            get(api::list_stores),
        ),
        r(
            "POST",
            "/api/v1/stores",
            Cap(C::StoreManage),
            post(api::create_store),
        ),
        r(
            "GET",
            "/api/v1/staff",
            Cap(C::StaffRead),
            get(api::list_staff),
        ),
        r(
            "POST",
            "/api/v1/customers",
            Cap(C::CustomerWrite),
            post(api::customers::create),
        ),
        r(
            "GET",
            "/api/v1/customers",
            Cap(C::CustomerRead),
            get(api::customers::search),
        ),
        r(
            "POST",
            "/api/v1/customers/merge",
            Cap(C::CustomerMerge),
            post(api::customers::merge),
        ),
        r(
            "GET",
            "/api/v1/customers/{id}",
            Cap(C::CustomerRead),
            get(api::customers::get_one),
        ),
        r(
            "PATCH",
            "/api/v1/customers/{id}",
            Cap(C::CustomerWrite),
            patch(api::customers::patch),
        ),
        r(
            "POST",
            "/api/v1/customers/{id}/interactions",
            Cap(C::CustomerWrite),
            post(api::customers::add_interaction),
        ),
        r(
            "POST",
            "/api/v1/customers/{id}/consents",
            Cap(C::CustomerWrite),
            post(api::customers::consents),
        ),
        r(
            "GET",
            "/api/v1/members/lookup",
            Till,
            get(api::customers::lookup),
        ),
        r("POST", "/api/v1/checkout", Till, post(api::sales::checkout)),
        r("POST", "/api/v1/refunds", Till, post(api::sales::refund)),
        r(
            "GET",
            "/api/v1/members/{id}/coupons",
            Till,
            get(api::coupons::member_coupons),
        ),
        r(
            "GET",
            "/api/v1/coupon-templates",
            Cap(C::CouponManage),
            get(api::coupons::list_templates),
        ),
        r(
            "POST",
            "/api/v1/coupon-templates",
            Cap(C::CouponManage),
            post(api::coupons::create_template),
        ),
        r(
            "POST",
            "/api/v1/coupon-templates/{id}/issue",
            Cap(C::CouponManage),
            post(api::coupons::issue),
        ),
        r(
            "POST",
            "/api/v1/points/adjustments",
            Cap(C::PointsAdjust),
            post(api::points::adjust),
        ),
        r(
            "GET",
            "/api/v1/points/adjustments/pending",
            Cap(C::PointsAdjust),
            get(api::points::pending),
        ),
        r(
            "POST",
            "/api/v1/points/adjustments/{id}/approve",
            Cap(C::PointsAdjust),
            post(api::points::approve),
        ),
        r(
            "POST",
            "/api/v1/points/adjustments/{id}/reject",
            Cap(C::PointsAdjust),
            post(api::points::reject),
        ),
        r(
            "GET",
            "/api/v1/coupons/usage",
            Cap(C::CouponManage),
            get(api::coupons::usage),
        ),
        r(
            "GET",
            "/api/v1/audit",
            Cap(C::AuditRead),
            get(api::list_audit),
        ),
    ]
}

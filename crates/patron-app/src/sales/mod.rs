//! Sales and refunds: what tills, the till page and imports call.
//! Tills retry; every write here is keyed so that a retry is answered, not repeated.

pub mod checkout;
pub mod history;
pub mod import;
mod preparation;
pub mod products;
pub mod refund;
pub mod till_member;
mod writer;

use crate::membership::Programme;
use crate::{App, AppError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use patron_domain::FieldError;
use patron_domain::phone::Phone;
use patron_store::Scope;
use patron_store::sales::{Calendar, Stored};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

pub use checkout::{CheckoutReceipt, CheckoutRequest, MemberRef};
pub use patron_store::sales::SaleSource;
pub use writer::SaleWriter;

/// Keys being written right now, in this process. A second request with a key in here is
/// a concurrent duplicate and gets 409 at once instead of queueing behind the first.
pub type KeysInFlight = Arc<Mutex<HashSet<String>>>;

/// A request's Idempotency-Key, scoped to its caller, with the digest of its body.
#[derive(Debug, Clone)]
pub struct Retry {
    pub scope: String,
    pub key: String,
    pub hash: String,
}

impl Retry {
    /// `body` should be the request in canonical form (parsed and re-serialised JSON), so a
    /// till that reorders fields or spaces is not taken for a different request.
    pub fn new(scope: String, key: &str, body: &str) -> Result<Retry, AppError> {
        let key = key.trim();
        if key.is_empty() || key.len() > 128 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(FieldError::new("Idempotency-Key", "error.idempotency.invalid").into());
        }
        let hash = Sha256::digest(body.as_bytes());
        Ok(Retry {
            scope,
            key: key.to_string(),
            hash: data_encoding::HEXLOWER.encode(&hash),
        })
    }

    /// The stored answer, if it was for the same request.
    pub fn replay(&self, stored: Stored) -> Result<Answer, AppError> {
        if stored.request_hash != self.hash {
            return Err(FieldError::new("Idempotency-Key", "error.idempotency.reused").into());
        }
        Ok(Answer {
            status: stored.status_code,
            body: stored.response,
            replayed: true,
        })
    }
}

/// A JSON answer ready to send as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Marks a key as being written until dropped.
pub(crate) struct InFlight {
    keys: KeysInFlight,
    id: String,
}

impl InFlight {
    pub(crate) fn enter(app: &App, retry: &Retry) -> Result<InFlight, AppError> {
        let id = format!("{}\u{1f}{}", retry.scope, retry.key);
        let mut keys = app
            .in_flight
            .lock()
            .map_err(|_| AppError::Internal("in-flight key set poisoned".into()))?;
        if !keys.insert(id.clone()) {
            return Err(AppError::Conflict {
                key: "error.idempotency.in_flight",
                field: Some("Idempotency-Key"),
            });
        }
        Ok(InFlight {
            keys: app.in_flight.clone(),
            id,
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(&self.id);
        }
    }
}

/// Where a sale is rung up: a till with its API key, or a member of staff on the till page.
#[derive(Debug, Clone)]
pub struct Counter {
    pub store_id: i64,
    pub store_code: String,
    pub timezone: String,
    /// Written on the sale and its ledger entries: the key's name, or the staff member's.
    pub name: String,
    /// The staff member the sale is attributed to.
    pub staff_id: Option<i64>,
    pub source: patron_store::sales::SaleSource,
}

impl From<&crate::security::Till> for Counter {
    fn from(t: &crate::security::Till) -> Self {
        Counter {
            store_id: t.store_id,
            store_code: t.store_code.clone(),
            timezone: t.timezone.clone(),
            name: t.key_name.clone(),
            staff_id: None,
            source: patron_store::sales::SaleSource::Till,
        }
    }
}

impl Counter {
    /// Whether this counter may spend a member's points or coupons naming them by bare id.
    /// Only the till page does: it is a staff session holding `sale.record`, and the member
    /// was found there by an audited lookup. A till key must show the member is present.
    fn takes_bare_ids(&self) -> bool {
        self.source == patron_store::sales::SaleSource::Console
    }
}

/// The store a request names: it must be the counter's own (a till key is checked against an
/// open store when the request is authenticated). Returns the store's id and time zone.
pub(crate) fn till_store(counter: &Counter, code: &str) -> Result<(i64, TimeZone), AppError> {
    let other = || AppError::Field(FieldError::new("store_code", "error.checkout.other_store"));
    let code = patron_domain::store::StoreCode::parse(code).map_err(|_| other())?;
    if code.as_str() != counter.store_code {
        return Err(other());
    }
    Ok((
        counter.store_id,
        TimeZone::get(&counter.timezone).unwrap_or(TimeZone::UTC),
    ))
}

/// The local day, month and rolling-twelve-month window of a moment in a store's zone.
pub fn calendar(at: Timestamp, tz: &TimeZone) -> Calendar {
    let local = tz.to_datetime(at);
    let d = local.date();
    let (y, m) = (i64::from(d.year()), i64::from(d.month()));
    let first = y * 12 + (m - 1) - 11;
    Calendar {
        day: y * 10_000 + m * 100 + i64::from(d.day()),
        month: y * 100 + m,
        window_from: (first / 12) * 100 + first % 12 + 1,
        hour: i64::from(local.hour()),
    }
}

/// The same local time `years` years later (negative: earlier) in the zone; `at` itself if
/// that time does not exist. Tier reviews and their notices count years this way.
pub fn years_from(at: Timestamp, years: i16, tz: &TimeZone) -> Timestamp {
    tz.to_datetime(at)
        .checked_add(jiff::Span::new().years(years))
        .ok()
        .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
        .map_or(at, |z| z.timestamp())
}

impl App {
    /// Refuses to spend a member's value (points, coupons, rewards) unless the member is shown
    /// to be present: named by the phone or card typed or scanned at the till (both resolved
    /// through the blind index or the card register by `member_id`), or by bare id on the
    /// till page. With `till_own_store_only` a till key spends only its own store's members.
    pub(crate) async fn member_present(
        &self,
        counter: &Counter,
        member: &MemberRef,
        customer_id: Option<i64>,
        programme: &Programme,
    ) -> Result<(), AppError> {
        if matches!(member, MemberRef::Customer(_)) && !counter.takes_bare_ids() {
            return Err(FieldError::new("member", "error.checkout.member_proof").into());
        }
        if let Some(id) = customer_id
            && programme.settings.till_own_store_only
            && counter.source == patron_store::sales::SaleSource::Till
        {
            match self
                .db
                .get_customer(Scope::Store(counter.store_id), id)
                .await
            {
                Ok(_) => {}
                Err(patron_store::StoreError::NotFound) => {
                    return Err(
                        FieldError::new("member", "error.checkout.member_other_store").into(),
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// The customer a sale is for, found by phone or id (chain-wide: members shop anywhere).
/// Whether the member left the programme is checked by the caller, with the tier it reads
/// anyway (`Db::membership_state`).
pub(crate) async fn member_id(app: &App, member: &MemberRef) -> Result<Option<i64>, AppError> {
    let unknown = || AppError::Field(FieldError::new("member", "error.checkout.member_unknown"));
    match member {
        MemberRef::Anonymous => Ok(None),
        MemberRef::Card(number) => Ok(Some(app.card_member(number).await?)),
        MemberRef::Customer(id) => match app.db.get_customer(Scope::Chain, *id).await {
            Ok(c) => Ok(Some(c.id)),
            Err(patron_store::StoreError::NotFound) => Err(unknown()),
            Err(e) => Err(e.into()),
        },
        MemberRef::Phone(text) => {
            let p = Phone::parse(text).map_err(|_| {
                AppError::Field(FieldError::new("member", "error.checkout.member_phone"))
            })?;
            let found = app
                .db
                .customers_by_phone(Scope::Chain, &app.keys.blind_index("phone", p.e164()))
                .await?;
            match found.as_slice() {
                [one] => Ok(Some(one.id)),
                [] => Err(unknown()),
                _ => Err(AppError::Conflict {
                    key: "error.customer.ambiguous_phone",
                    field: Some("member"),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_twelve_months_ending_with_the_sale_month() {
        let tz = TimeZone::get("Asia/Shanghai").expect("zone");
        // 2026-01-31 17:00 UTC is already 1 February in Shanghai.
        let at: Timestamp = "2026-01-31T17:00:00Z".parse().expect("ts");
        let c = calendar(at, &tz);
        assert_eq!((c.day, c.month, c.window_from), (20260201, 202602, 202503));
        let dec: Timestamp = "2026-12-15T04:00:00Z".parse().expect("ts");
        assert_eq!(calendar(dec, &tz).window_from, 202601);
    }

    #[test]
    fn keys_are_checked_and_bodies_hashed() {
        assert!(Retry::new("till:1".into(), "", "{}").is_err());
        assert!(Retry::new("till:1".into(), "a b", "{}").is_err());
        let a = Retry::new("till:1".into(), "k-1", "{\"a\":1}").expect("key");
        let b = Retry::new("till:1".into(), "k-1", "{\"a\":2}").expect("key");
        assert_ne!(a.hash, b.hash);
        let stored = Stored {
            request_hash: a.hash.clone(),
            status_code: 201,
            response: "{}".into(),
        };
        assert!(a.replay(stored.clone()).expect("same body").replayed);
        assert!(b.replay(stored).is_err());
    }
}

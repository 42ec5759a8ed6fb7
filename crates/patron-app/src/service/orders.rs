//! Orders through their pipeline: made from a sale or typed for delivery and custom work,
//! moved stage by stage with a notice to the customer, and shown with their lines,
//! visits and timeline. The address and notes are sealed like the customer's file.

use crate::customers::{Customer, sealing};
use crate::i18n::Lang;
use crate::messages::Composed;
use crate::outbox::template::Vars;
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::service::order::{AppointmentKind, AppointmentStatus, Pipeline, Stage};
use patron_store::service::appointments::AppointmentRow;
use patron_store::service::orders::{Event, NewOrder};
pub use patron_store::service::orders::{OrderFilter, OrderLine, OrderRow};
use patron_store::{Scope, StoreError};

/// The built-in template of order notices (migration 0016); staff may edit or delete it.
pub const NOTICE_TEMPLATE: &str = "订单进度通知";

/// An order as typed in the console or posted to the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrderForm {
    /// The customer; 0 with a sale: the sale's customer.
    pub customer_id: i64,
    pub sale_id: Option<i64>,
    /// A pipeline name; blank: the store's.
    pub pipeline: String,
    /// Blank: the first address in the customer's file.
    pub address: String,
    pub note: String,
    /// Blank with a sale: the sale's lines not refunded.
    pub lines: Vec<OrderLine>,
    /// Tell the customer the order is confirmed.
    pub notify: bool,
}

/// One timeline entry, opened.
#[derive(Debug, Clone)]
pub struct OrderEntry {
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    pub kind: String,
    pub from: Option<Stage>,
    pub to: Option<Stage>,
    pub appointment_id: Option<i64>,
    pub note: String,
    /// Whether the customer was told: `None` not asked, `Some(false)` nobody reachable.
    pub notified: Option<bool>,
}

/// A visit with its address and proof opened.
#[derive(Debug, Clone)]
pub struct Visit {
    pub row: AppointmentRow,
    pub kind: AppointmentKind,
    pub status: AppointmentStatus,
    pub address: String,
    pub proof_note: String,
}

impl Visit {
    /// Opens a visit's sealed address and proof note.
    pub(super) fn open(
        keys: &crate::keyring::Keyring,
        row: AppointmentRow,
    ) -> Result<Self, AppError> {
        Ok(Visit {
            kind: row.kind,
            status: row.status,
            address: open_sealed(keys, row.customer_id, &row.address_enc)?,
            proof_note: open_sealed(keys, row.customer_id, &row.proof_note_enc)?,
            row,
        })
    }
}

/// An order's sealed text (address, notes), opened; empty when there is none.
fn open_sealed(
    keys: &crate::keyring::Keyring,
    customer: i64,
    sealed: &Option<String>,
) -> Result<String, AppError> {
    match sealed {
        Some(s) => sealing::open(keys, "order", customer, s),
        None => Ok(String::new()),
    }
}

/// An order opened for its page.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub row: OrderRow,
    pub pipeline: Pipeline,
    pub status: Stage,
    pub address: String,
    pub note: String,
    pub lines: Vec<OrderLine>,
    pub visits: Vec<Visit>,
    pub timeline: Vec<OrderEntry>,
}

/// The stage as the customer reads it in a notice (its catalog key).
pub fn stage_notice(s: Stage) -> &'static str {
    match s {
        Stage::Confirmed => "notice.stage_confirmed",
        Stage::Preparing => "notice.stage_preparing",
        Stage::OutForDelivery => "notice.stage_out_for_delivery",
        Stage::Delivered => "notice.stage_delivered",
        Stage::Installed => "notice.stage_installed",
        Stage::Completed => "notice.stage_completed",
        Stage::Cancelled => "notice.stage_cancelled",
    }
}

/// A new order number: the store's local date and six random digits
/// (`20261123-483920`), easy to read out on the phone. A clash is refused by the unique
/// constraint, and the caller draws again.
fn order_number(now: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let bytes = crate::credentials::random_bytes(4);
    let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % 1_000_000;
    format!("{}-{n:06}", tz.to_datetime(now).strftime("%Y%m%d"))
}

/// A visit's window in the store's time zone: `11月25日 09:00-12:00` or `11/25 09:00-12:00`.
pub fn window_text(
    lang: Lang,
    tz: &jiff::tz::TimeZone,
    starts_ms: i64,
    ends_ms: i64,
) -> Result<String, AppError> {
    let at = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| tz.to_datetime(t))
            .map_err(|e| AppError::Internal(format!("visit time: {e}")))
    };
    let (a, b) = (at(starts_ms)?, at(ends_ms)?);
    Ok(lang.format(
        "notice.visit_window",
        &[
            ("month", &a.month().to_string()),
            ("day", &a.day().to_string()),
            ("from", &a.strftime("%H:%M").to_string()),
            ("to", &b.strftime("%H:%M").to_string()),
        ],
    ))
}

fn check_lines(lines: &[OrderLine]) -> Result<(), FieldError> {
    if lines.is_empty() || lines.len() > 100 {
        return Err(FieldError::new("lines", "error.order.lines"));
    }
    for l in lines {
        let sku = l.sku.trim().chars().count();
        let name = l.name.trim().chars().count();
        if !(1..=40).contains(&sku)
            || !(1..=80).contains(&name)
            || !(1..=100_000).contains(&l.quantity)
            || !(0..=10_000_000_000).contains(&l.unit_price_fen)
        {
            return Err(FieldError::new("lines", "error.order.lines"));
        }
    }
    Ok(())
}

pub(super) fn optional_text(
    field: &'static str,
    v: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(FieldError::new(field, "error.order.text"));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

impl App {
    /// Creates an order. With `request_key` (the API's `Idempotency-Key`), a retry returns
    /// the order created the first time: `(id, false)`.
    pub async fn create_order(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &OrderForm,
        request_key: Option<&str>,
    ) -> Result<(i64, bool), AppError> {
        let mut lines = form.lines.clone();
        let mut customer_id = form.customer_id;
        if let Some(sale) = form.sale_id {
            let (owner, sold) = self
                .db
                .sale_for_order(sale)
                .await
                .map_err(|_| FieldError::new("sale_id", "error.order.sale"))?;
            let owner = owner.ok_or(FieldError::new("sale_id", "error.order.sale"))?;
            if customer_id == 0 {
                customer_id = owner;
            }
            if owner != customer_id {
                return Err(FieldError::new("sale_id", "error.order.sale").into());
            }
            if lines.is_empty() {
                lines = sold;
            }
        }
        check_lines(&lines)?;
        let customer = self
            .load_customer(scope, customer_id)
            .await
            .map_err(|_| FieldError::new("customer_id", "error.ticket.customer"))?;
        let rules = self.service_rules().await?;
        let (_, pipeline) = rules.pipeline(customer.store_id, &form.pipeline)?;
        let address = match optional_text("address", &form.address, 200)? {
            Some(a) => Some(a),
            None => customer.addresses.first().cloned(),
        };
        let note = optional_text("note", &form.note, 2_000)?;
        let seal = |t: &String| sealing::seal(&self.keys, "order", customer.id, t);
        let address_enc = address.as_ref().map(seal);
        let note_enc = note.as_ref().map(seal);
        let tz = self.store_timezone(customer.store_id).await?;
        let stages = pipeline.render();
        // A random number can clash with one already given out today; another is drawn
        // (five clashes in a row would take a store with a hundred thousand orders a day).
        let mut attempt = 0;
        loop {
            let order_no = order_number(self.now(), &tz);
            let notice = if form.notify {
                self.order_notice(&customer, &order_no, Stage::Confirmed, None)
                    .await?
            } else {
                None
            };
            let message = notice.as_ref().map(|m| {
                m.outbox_message(
                    self.keys.as_ref(),
                    "service",
                    customer.id,
                    customer.store_id,
                    None,
                )
            });
            let o = NewOrder {
                order_no: &order_no,
                customer_id: customer.id,
                store_id: customer.store_id,
                sale_id: form.sale_id,
                stages: &stages,
                address_enc: address_enc.as_deref(),
                note_enc: note_enc.as_deref(),
                lines: &lines,
                created_by: actor.id,
                request_key,
            };
            match self
                .db
                .create_order(&o, message.as_ref(), form.notify, self.now())
                .await
            {
                Err(StoreError::Conflict { constraint })
                    if constraint == "uq_orders_order_no" && attempt < 5 =>
                {
                    attempt += 1;
                }
                other => return Ok(other?),
            }
        }
    }

    pub async fn orders(
        &self,
        scope: Scope,
        filter: &OrderFilter,
        limit: i64,
    ) -> Result<Vec<OrderRow>, AppError> {
        Ok(self.db.orders(scope, filter, limit).await?)
    }

    /// Creates an order (or finds the one a retry with `request_key` made) and reads it back
    /// as the API answers: the order, and whether it is new.
    pub async fn order_created(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &OrderForm,
        request_key: Option<&str>,
    ) -> Result<(OrderView, bool), AppError> {
        let (id, fresh) = self.create_order(actor, scope, form, request_key).await?;
        Ok((self.view_order(actor, scope, id).await?, fresh))
    }

    /// An order with its lines, visits and timeline opened; the view is audited.
    pub async fn view_order(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<OrderView, AppError> {
        let row = self.db.order(scope, id).await?;
        let open = |sealed: &Option<String>| open_sealed(&self.keys, row.customer_id, sealed);
        let mut timeline = Vec::new();
        for e in self.db.order_events(id).await? {
            timeline.push(OrderEntry {
                at: e.at,
                staff_id: e.staff_id,
                note: open(&e.note_enc)?,
                kind: e.kind,
                from: e.from_status,
                to: e.to_status,
                appointment_id: e.appointment_id,
                notified: e.notified,
            });
        }
        let mut visits = Vec::new();
        for a in self.db.order_appointments(id).await? {
            visits.push(Visit::open(&self.keys, a)?);
        }
        let event = patron_domain::AuditEvent::ok("order.read", "customer", row.customer_id)
            .with_detail(format!("order {}", row.id));
        self.db.record_audit(actor, &event, self.now()).await?;
        Ok(OrderView {
            pipeline: Pipeline::parse(&row.stages)?,
            status: row.status,
            address: open(&row.address_enc)?,
            note: open(&row.note_enc)?,
            lines: self.db.order_lines(id).await?,
            visits,
            timeline,
            row,
        })
    }

    /// Moves an order to stage `to` (forward along its pipeline, or cancelled), with an
    /// optional note, telling the customer when `notify`. An order already at `to` is left
    /// alone (a retried or double-submitted move): `false`.
    pub async fn move_order(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        to: &str,
        note: &str,
        notify: bool,
    ) -> Result<bool, AppError> {
        let row = self.db.order(scope, id).await?;
        let from = row.status;
        let to = Stage::parse(to)?;
        if from == to {
            return Ok(false);
        }
        Pipeline::parse(&row.stages)?.check_move(from, to)?;
        let note = optional_text("note", note, 2_000)?;
        let note_enc = note
            .as_ref()
            .map(|n| sealing::seal(&self.keys, "order", row.customer_id, n));
        let notice = if notify {
            let customer = self.load_customer(Scope::Chain, row.customer_id).await?;
            let next = self
                .next_visit_text(row.id, row.store_id, self.language_of(&customer))
                .await?;
            self.order_notice(&customer, &row.order_no, to, next.as_deref())
                .await?
        } else {
            None
        };
        let message = notice.as_ref().map(|m| {
            m.outbox_message(
                self.keys.as_ref(),
                "service",
                row.customer_id,
                row.store_id,
                None,
            )
        });
        let event = Event {
            from: Some(from.code()),
            to: Some(to.code()),
            note_enc: note_enc.as_deref(),
            ..Event::new(row.id, row.customer_id, actor.id, "stage")
        };
        self.db
            .change_order(&event, message.as_ref(), notify, self.now())
            .await?;
        Ok(true)
    }

    /// Adds a note to an order's timeline.
    pub async fn order_note(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        note: &str,
    ) -> Result<(), AppError> {
        let row = self.db.order(scope, id).await?;
        let note = optional_text("note", note, 2_000)?
            .ok_or(FieldError::new("note", "error.order.text"))?;
        let sealed = sealing::seal(&self.keys, "order", row.customer_id, &note);
        let event = Event {
            note_enc: Some(&sealed),
            ..Event::new(row.id, row.customer_id, actor.id, "note")
        };
        self.db.order_note(&event, self.now()).await?;
        Ok(())
    }

    /// The next scheduled visit of an order, as the customer reads it.
    async fn next_visit_text(
        &self,
        order: i64,
        store: i64,
        lang: Lang,
    ) -> Result<Option<String>, AppError> {
        let now = self.now();
        let next = self
            .db
            .order_appointments(order)
            .await?
            .into_iter()
            .find(|a| a.status == AppointmentStatus::Scheduled && a.ends_at > now);
        match next {
            Some(a) => {
                let tz = self.store_timezone(store).await?;
                Ok(Some(window_text(
                    lang,
                    &tz,
                    a.starts_at.as_millisecond(),
                    a.ends_at.as_millisecond(),
                )?))
            }
            None => Ok(None),
        }
    }

    /// The order notice to one customer on the best channel that reaches them (a service
    /// message: no marketing consent needed). `None` when the template was removed or no
    /// channel reaches them.
    pub(crate) async fn order_notice(
        &self,
        customer: &Customer,
        order: &str,
        stage: Stage,
        visit: Option<&str>,
    ) -> Result<Option<Composed>, AppError> {
        self.service_notice(customer, order, stage_notice(stage), visit)
            .await
    }

    /// A notice about an order in the customer's words (`status`, a catalog key, in the
    /// customer's language), with a visit window.
    pub(crate) async fn service_notice(
        &self,
        customer: &Customer,
        order: &str,
        status: &str,
        visit: Option<&str>,
    ) -> Result<Option<Composed>, AppError> {
        let mut vars = Vars::new();
        vars.insert("order", order.to_string());
        vars.insert("status", self.language_of(customer).t(status).to_string());
        vars.insert("appointment", visit.unwrap_or_default().to_string());
        self.compose_if_kept(customer, NOTICE_TEMPLATE, &vars).await
    }
}

//! Visits to the customer: booked in a window on a staff member's calendar (refused when it
//! overlaps another of their visits), moved, cancelled, and completed with a note and a
//! photo. The photo is sealed with the data key and kept in the data folder (`photos/`);
//! only its file name is in the database.

use super::orders::{Visit, optional_text, window_text};
use crate::customers::sealing;
use crate::{App, AppError};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::service::order::{AppointmentKind, AppointmentStatus, Pipeline, Window};
use patron_domain::staff::StaffStatus;
use patron_store::Scope;
pub use patron_store::service::appointments::AppointmentRow;
use patron_store::service::appointments::{Booking, Completion, NewAppointment, Slot};
use patron_store::service::orders::Event;
use std::path::PathBuf;

/// The folder of the data folder that holds visit photos.
pub const PHOTO_DIR: &str = "photos";

/// The largest photo taken as proof.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;

/// A visit as typed: the store's local day and times.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct VisitForm {
    pub kind: String,
    /// `2026-11-25`
    pub date: String,
    /// `09:00`
    pub from: String,
    pub to: String,
    pub assignee_id: i64,
    /// Blank: the order's address.
    pub address: String,
}

/// A photo as uploaded.
#[derive(Debug, Clone)]
pub struct Photo {
    pub bytes: Vec<u8>,
}

/// The media type of a photo from its first bytes (JPEG, PNG or WebP), or `None`.
pub fn photo_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

impl App {
    /// The window of a visit form in the store's time zone.
    fn window_of(tz: &jiff::tz::TimeZone, f: &VisitForm) -> Result<Window, AppError> {
        let date: Date = f
            .date
            .trim()
            .parse()
            .map_err(|_| FieldError::new("date", "error.appointment.date"))?;
        let time = |field: &'static str, v: &str| -> Result<Time, FieldError> {
            v.trim()
                .parse()
                .map_err(|_| FieldError::new(field, "error.appointment.time"))
        };
        let (from, to) = (time("from", &f.from)?, time("to", &f.to)?);
        let at = |t: Time| -> Result<i64, AppError> {
            date.to_datetime(t)
                .to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp().as_millisecond())
                .map_err(|e| AppError::Internal(format!("visit time: {e}")))
        };
        Ok(Window::new(at(from)?, at(to)?)?)
    }

    /// Checks the staff member can be sent on the store's visits: active staff of that
    /// store.
    async fn visit_staff(&self, store: i64, staff_id: i64) -> Result<(), AppError> {
        let ok = self
            .visit_staff_of(store)
            .await?
            .iter()
            .any(|(id, _)| *id == staff_id);
        if ok {
            Ok(())
        } else {
            Err(FieldError::new("assignee_id", "error.appointment.assignee").into())
        }
    }

    /// The active staff of a store who can be sent on its visits: (id, name).
    pub async fn visit_staff_of(&self, store: i64) -> Result<Vec<(i64, String)>, AppError> {
        Ok(self
            .db
            .list_staff(Scope::Chain)
            .await?
            .into_iter()
            .filter(|s| s.status == StaffStatus::Active && s.store_id == Some(store))
            .map(|s| (s.id, s.display_name))
            .collect())
    }

    /// Books a visit for an open order; `Conflict` naming the field `assignee_id` when
    /// the staff member has another visit in that window.
    pub async fn book_visit(
        &self,
        actor: &Actor,
        scope: Scope,
        order_id: i64,
        f: &VisitForm,
    ) -> Result<i64, AppError> {
        let order = self.db.order(scope, order_id).await?;
        if !order.status.is_open() {
            return Err(FieldError::new("order_id", "error.appointment.order_closed").into());
        }
        let kind = AppointmentKind::parse(&f.kind)?;
        let tz = self.store_timezone(order.store_id).await?;
        let window = Self::window_of(&tz, f)?;
        if window.end_ms <= self.now().as_millisecond() {
            return Err(FieldError::new("date", "error.appointment.past").into());
        }
        self.visit_staff(order.store_id, f.assignee_id).await?;
        let address = match optional_text("address", &f.address, 200)? {
            Some(a) => Some(sealing::seal(&self.keys, "order", order.customer_id, &a)),
            None => order.address_enc.clone(),
        };
        let customer = self.load_customer(Scope::Chain, order.customer_id).await?;
        let when = window_text(
            self.language_of(&customer),
            &tz,
            window.start_ms,
            window.end_ms,
        )?;
        let notice = self
            .service_notice(
                &customer,
                &order.order_no,
                booked_text(kind),
                Some(when.as_str()),
            )
            .await?;
        let message = notice.as_ref().map(|m| {
            m.outbox_message(
                self.keys.as_ref(),
                "service",
                customer.id,
                order.store_id,
                None,
            )
        });
        let a = NewAppointment {
            order_id: order.id,
            customer_id: order.customer_id,
            store_id: order.store_id,
            kind: kind.code(),
            starts_at: ms_to_ts(window.start_ms)?,
            ends_at: ms_to_ts(window.end_ms)?,
            assignee_id: f.assignee_id,
            address_enc: address.as_deref(),
            created_by: actor.id,
        };
        match self
            .db
            .book_appointment(&a, message.as_ref(), self.now())
            .await?
        {
            Booking::Booked(id) => Ok(id),
            Booking::Conflict(_) => Err(busy()),
        }
    }

    /// Moves a scheduled visit to another window or staff member, telling the customer.
    pub async fn reschedule_visit(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        f: &VisitForm,
        reason: &str,
    ) -> Result<(), AppError> {
        let a = self.scheduled(scope, id).await?;
        let tz = self.store_timezone(a.store_id).await?;
        let window = Self::window_of(&tz, f)?;
        if window.end_ms <= self.now().as_millisecond() {
            return Err(FieldError::new("date", "error.appointment.past").into());
        }
        self.visit_staff(a.store_id, f.assignee_id).await?;
        let reason = optional_text("reason", reason, 500)?
            .ok_or(FieldError::new("reason", "error.appointment.reason"))?;
        let lang = self.config.language();
        let old = window_text(
            lang,
            &tz,
            a.starts_at.as_millisecond(),
            a.ends_at.as_millisecond(),
        )?;
        let new = window_text(lang, &tz, window.start_ms, window.end_ms)?;
        let note = sealing::seal(
            &self.keys,
            "order",
            a.customer_id,
            &lang.format(
                "timeline.rescheduled",
                &[("old", &old), ("new", &new), ("reason", &reason)],
            ),
        );
        let (order_no, customer) = self.visit_customer(&a).await?;
        // The timeline note above is in the configured language; the customer reads the new
        // window in theirs.
        let new_for_customer = window_text(
            self.language_of(&customer),
            &tz,
            window.start_ms,
            window.end_ms,
        )?;
        let notice = self
            .service_notice(
                &customer,
                &order_no,
                "notice.visit_rescheduled",
                Some(new_for_customer.as_str()),
            )
            .await?;
        let message = notice.as_ref().map(|m| {
            m.outbox_message(self.keys.as_ref(), "service", customer.id, a.store_id, None)
        });
        let event = Event {
            appointment_id: Some(a.id),
            note_enc: Some(&note),
            ..Event::new(a.order_id, a.customer_id, actor.id, "rescheduled")
        };
        let booked = self
            .db
            .reschedule_appointment(
                &a,
                Slot {
                    starts_at: ms_to_ts(window.start_ms)?,
                    ends_at: ms_to_ts(window.end_ms)?,
                    assignee_id: f.assignee_id,
                },
                &event,
                message.as_ref(),
                self.now(),
            )
            .await?;
        match booked {
            Booking::Booked(_) => Ok(()),
            Booking::Conflict(_) => Err(busy()),
        }
    }

    /// Cancels a scheduled visit with a reason, telling the customer.
    pub async fn cancel_visit(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        let a = self.scheduled(scope, id).await?;
        let reason = optional_text("reason", reason, 500)?
            .ok_or(FieldError::new("reason", "error.appointment.reason"))?;
        let note = sealing::seal(&self.keys, "order", a.customer_id, &reason);
        let (order_no, customer) = self.visit_customer(&a).await?;
        let tz = self.store_timezone(a.store_id).await?;
        let when = window_text(
            self.language_of(&customer),
            &tz,
            a.starts_at.as_millisecond(),
            a.ends_at.as_millisecond(),
        )?;
        let notice = self
            .service_notice(
                &customer,
                &order_no,
                "notice.visit_cancelled",
                Some(when.as_str()),
            )
            .await?;
        let message = notice.as_ref().map(|m| {
            m.outbox_message(self.keys.as_ref(), "service", customer.id, a.store_id, None)
        });
        let event = Event {
            appointment_id: Some(a.id),
            note_enc: Some(&note),
            ..Event::new(a.order_id, a.customer_id, actor.id, "visit_cancelled")
        };
        self.db
            .cancel_appointment(&a, &event, message.as_ref(), self.now())
            .await?;
        Ok(())
    }

    /// Records a visit done, with a note and an optional photo; a delivery or installation
    /// moves its order to `delivered` or `installed` (when its pipeline has that stage and
    /// the order is not past it), telling the customer.
    pub async fn complete_visit(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        note: &str,
        photo: Option<Photo>,
    ) -> Result<(), AppError> {
        let a = self.scheduled(scope, id).await?;
        let note = optional_text("proof_note", note, 2_000)?
            .ok_or(FieldError::new("proof_note", "error.appointment.proof"))?;
        let kind = a.kind;
        let order = self.db.order(Scope::Chain, a.order_id).await?;
        let from = order.status;
        let to = Pipeline::parse(&order.stages)?.after_appointment(from, kind);
        let photo_name = match photo.filter(|p| !p.bytes.is_empty()) {
            Some(p) => Some(self.keep_photo(a.id, &p).await?),
            None => None,
        };
        let sealed = sealing::seal(&self.keys, "order", a.customer_id, &note);
        let notice = match to {
            Some(stage) => {
                let customer = self.load_customer(Scope::Chain, a.customer_id).await?;
                self.order_notice(&customer, &order.order_no, stage, None)
                    .await?
            }
            None => None,
        };
        let message = notice.as_ref().map(|m| {
            m.outbox_message(
                self.keys.as_ref(),
                "service",
                a.customer_id,
                a.store_id,
                None,
            )
        });
        let c = Completion {
            id: a.id,
            proof_note_enc: &sealed,
            proof_photo: photo_name.as_deref(),
            staff_id: actor.id,
            order_move: to.map(|t| (from.code(), t.code())),
            notice: message.as_ref(),
        };
        let done = self.db.complete_appointment(&a, &c, self.now()).await;
        if let Err(e) = done {
            if let Some(name) = &photo_name {
                // The visit was not recorded, so its photo must not linger.
                let _ = tokio::fs::remove_file(self.photo_dir().join(name)).await;
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// The photo of a completed visit and its media type; reading it is audited.
    pub async fn visit_photo(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<(Vec<u8>, &'static str), AppError> {
        let a = self.db.appointment(scope, id).await?;
        let name = a.proof_photo.ok_or(AppError::NotFound)?;
        let sealed = tokio::fs::read(self.photo_dir().join(&name))
            .await
            .map_err(|e| AppError::Internal(format!("visit photo {name}: {e}")))?;
        let bytes = self
            .keys
            .open("appointments", "proof_photo", a.id, &sealed)
            .map_err(|e| AppError::Internal(format!("visit photo {name}: {e}")))?;
        let kind = photo_type(&bytes).unwrap_or("application/octet-stream");
        let event = patron_domain::AuditEvent::ok("visit.photo", "customer", a.customer_id)
            .with_detail(format!("appointment {id}"));
        self.db.record_audit(actor, &event, self.now()).await?;
        Ok((bytes, kind))
    }

    /// Visits (not cancelled) overlapping `[from, to)` within `scope`, for the calendar.
    pub async fn visits_between(
        &self,
        scope: Scope,
        assignee: Option<i64>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AppointmentRow>, AppError> {
        Ok(self
            .db
            .appointments_between(scope, assignee, from, to)
            .await?)
    }

    /// One visit with its address and proof opened.
    pub async fn visit(&self, scope: Scope, id: i64) -> Result<Visit, AppError> {
        let a = self.db.appointment(scope, id).await?;
        Visit::open(&self.keys, a)
    }

    async fn scheduled(&self, scope: Scope, id: i64) -> Result<AppointmentRow, AppError> {
        let a = self.db.appointment(scope, id).await?;
        if a.status != AppointmentStatus::Scheduled {
            return Err(AppError::Conflict {
                key: "error.order.changed",
                field: None,
            });
        }
        Ok(a)
    }

    async fn visit_customer(
        &self,
        a: &AppointmentRow,
    ) -> Result<(String, crate::customers::Customer), AppError> {
        let order = self.db.order(Scope::Chain, a.order_id).await?;
        let customer = self.load_customer(Scope::Chain, a.customer_id).await?;
        Ok((order.order_no, customer))
    }

    pub(crate) fn photo_dir(&self) -> PathBuf {
        self.config.data_dir.join(PHOTO_DIR)
    }

    /// Seals a photo into the data folder: its file name.
    async fn keep_photo(&self, id: i64, p: &Photo) -> Result<String, AppError> {
        if p.bytes.len() > MAX_PHOTO_BYTES {
            return Err(FieldError::new("photo", "error.appointment.photo_size").into());
        }
        if photo_type(&p.bytes).is_none() {
            return Err(FieldError::new("photo", "error.appointment.photo_type").into());
        }
        let dir = self.photo_dir();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::Internal(format!("photo folder: {e}")))?;
        let name = format!(
            "appointment-{id}-{}.sealed",
            crate::credentials::random_token(8)
        );
        let path = dir.join(&name);
        let sealed = self.keys.seal("appointments", "proof_photo", id, &p.bytes);
        super::write_sealed_file(&path, &sealed)
            .await
            .map_err(|e| AppError::Internal(format!("photo {name}: {e}")))?;
        Ok(name)
    }
}

fn busy() -> AppError {
    AppError::Conflict {
        key: "error.appointment.conflict",
        field: Some("assignee_id"),
    }
}

fn booked_text(kind: AppointmentKind) -> &'static str {
    match kind {
        AppointmentKind::Measure => "notice.visit_booked_measure",
        AppointmentKind::Delivery => "notice.visit_booked_delivery",
        AppointmentKind::Installation => "notice.visit_booked_installation",
    }
}

fn ms_to_ts(ms: i64) -> Result<Timestamp, AppError> {
    Timestamp::from_millisecond(ms).map_err(|e| AppError::Internal(format!("visit time: {e}")))
}

impl App {
    /// One appointment, within the caller's scope.
    pub async fn appointment(&self, scope: Scope, id: i64) -> Result<AppointmentRow, AppError> {
        Ok(self.db.appointment(scope, id).await?)
    }

    /// Books a visit on an order and reads it back, as the API answers.
    pub async fn visit_booked(
        &self,
        actor: &Actor,
        scope: Scope,
        order_id: i64,
        f: &VisitForm,
    ) -> Result<Visit, AppError> {
        let id = self.book_visit(actor, scope, order_id, f).await?;
        self.visit(scope, id).await
    }

    /// Makes `change` to a visit and reads it back, as the API answers. A cancel or a
    /// completion retried after it went through (the visit already has that status) changes
    /// nothing and answers the same.
    pub async fn visit_changed(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        change: VisitChange<'_>,
    ) -> Result<Visit, AppError> {
        let settled = match &change {
            VisitChange::Reschedule { .. } => None,
            VisitChange::Cancel { .. } => Some(AppointmentStatus::Cancelled),
            VisitChange::Complete { .. } => Some(AppointmentStatus::Done),
        };
        let done = match settled {
            Some(s) => self.appointment(scope, id).await?.status == s,
            None => false,
        };
        if !done {
            match change {
                VisitChange::Reschedule { form, reason } => {
                    self.reschedule_visit(actor, scope, id, form, reason)
                        .await?
                }
                VisitChange::Cancel { reason } => {
                    self.cancel_visit(actor, scope, id, reason).await?
                }
                VisitChange::Complete { note, photo } => {
                    self.complete_visit(actor, scope, id, note, photo).await?
                }
            }
        }
        self.visit(scope, id).await
    }
}

/// A change to a scheduled visit (`App::visit_changed`).
pub enum VisitChange<'a> {
    /// Another window or staff member, with the reason the customer is told.
    Reschedule {
        form: &'a VisitForm,
        reason: &'a str,
    },
    Cancel {
        reason: &'a str,
    },
    /// Done, with the installer's note and an optional photo as proof.
    Complete {
        note: &'a str,
        photo: Option<Photo>,
    },
}

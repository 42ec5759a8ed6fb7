//! The application error. The web layer renders it as problem+json or an HTML message; the
//! CLI prints it. `Internal` causes are logged with the request id and never shown.

use patron_domain::FieldError;
use patron_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input in one field; `key` names the message in the catalog.
    #[error("{0}")]
    Field(FieldError),
    /// Several fields at once (a whole form); never empty.
    #[error("{} fields", .0.len())]
    Fields(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    /// The request conflicts with existing data; `key` names the message.
    #[error("conflict: {key}")]
    Conflict {
        key: &'static str,
        field: Option<&'static str>,
    },
    #[error("forbidden")]
    Forbidden,
    #[error("not authenticated")]
    Unauthenticated,
    #[error("too many attempts")]
    TooManyAttempts,
    /// Too many requests from one caller; try again after this many seconds.
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Too many passwords are being checked at once; the caller may try again shortly.
    #[error("busy")]
    Busy,
    /// An operation this deployment cannot do, with an operator-facing explanation.
    #[error("{0}")]
    Unsupported(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Field(e)
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(mut e: Vec<FieldError>) -> Self {
        if e.len() == 1 {
            AppError::Field(e.remove(0))
        } else {
            AppError::Fields(e)
        }
    }
}

impl AppError {
    /// Every field error this carries (empty for other errors).
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            AppError::Field(f) => vec![f.clone()],
            AppError::Fields(v) => v.clone(),
            _ => Vec::new(),
        }
    }
}

impl From<patron_domain::scope::OutOfScope> for AppError {
    fn from(_: patron_domain::scope::OutOfScope) -> Self {
        AppError::Forbidden
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::OutOfScope => AppError::Forbidden,
            StoreError::Conflict { constraint } => match constraint.as_str() {
                "uq_stores_code" => AppError::Conflict {
                    key: "error.store_code.taken",
                    field: Some("code"),
                },
                "uq_staff_username" => AppError::Conflict {
                    key: "error.username.taken",
                    field: Some("username"),
                },
                "uq_customers_mobile_idx" => AppError::Conflict {
                    key: "error.customer.mobile_taken",
                    field: Some("mobile"),
                },
                "uq_custom_fields_field_key" => AppError::Conflict {
                    key: "error.custom_field.taken",
                    field: Some("field_key"),
                },
                "uq_customer_views_staff_id_name" => AppError::Conflict {
                    key: "error.view_name.taken",
                    field: Some("name"),
                },
                "uq_warranties_sku_serial" => AppError::Conflict {
                    key: "error.warranty.serial_taken",
                    field: Some("serial"),
                },
                "ck_orders_status" | "ck_appointments_status" => AppError::Conflict {
                    key: "error.order.changed",
                    field: None,
                },
                "uq_compensation_requests_ticket_id" => AppError::Conflict {
                    key: "error.ticket.approval_pending",
                    field: None,
                },
                "ck_compensation_requests_status" => AppError::Conflict {
                    key: "error.ticket.no_request",
                    field: None,
                },
                "ck_ticket_attachments_count" => AppError::Conflict {
                    key: "error.ticket.attachments_full",
                    field: Some("file"),
                },
                "merge_history" => AppError::Conflict {
                    key: "error.merge.history",
                    field: None,
                },
                "setup_done" => AppError::Conflict {
                    key: "error.setup.done",
                    field: None,
                },
                _ => AppError::Conflict {
                    key: "error.conflict",
                    field: None,
                },
            },
            StoreError::Unsupported(m) => AppError::Unsupported(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    /// A stable machine code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Field(_) | AppError::Fields(_) => "invalid_field",
            AppError::NotFound => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::TooManyAttempts => "too_many_attempts",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Busy => "busy",
            AppError::Unsupported(_) => "unsupported",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<patron_store::reports::SalesRefused> for AppError {
    fn from(e: patron_store::reports::SalesRefused) -> Self {
        match e {
            patron_store::reports::SalesRefused::Unsupported(_) => {
                FieldError::new("group_by", "error.report.unsupported").into()
            }
            patron_store::reports::SalesRefused::Store(s) => s.into(),
        }
    }
}

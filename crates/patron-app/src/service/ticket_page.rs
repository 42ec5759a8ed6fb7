//! The ticket page's content in one call: the ticket with its description and timeline
//! opened (the read is audited), a compensation awaiting approval, the attachments, who may
//! handle it, the desk's rules and the names to show.

use super::ServiceRules;
use super::resolution::PendingCompensation;
use super::ticket_files::AttachmentView;
use super::tickets::TicketView;
use crate::directory::Directory;
use crate::{App, AppError};
use patron_domain::Scope;
use patron_domain::audit::Actor;
use std::sync::Arc;

pub struct TicketPage {
    pub view: TicketView,
    pub pending: Option<PendingCompensation>,
    pub attachments: Vec<AttachmentView>,
    /// Staff who may take the ticket over (its store's handlers).
    pub handlers: Vec<i64>,
    pub rules: ServiceRules,
    pub directory: Arc<Directory>,
}

impl App {
    pub async fn ticket_page(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<TicketPage, AppError> {
        let view = self.view_ticket(actor, scope, id).await?;
        let (pending, attachments, handlers, rules, directory) = tokio::try_join!(
            self.pending_compensation(&view.row),
            self.ticket_attachments(&view.row),
            self.ticket_handlers(view.row.store_id),
            self.service_rules(),
            self.directory(),
        )?;
        Ok(TicketPage {
            view,
            pending,
            attachments,
            handlers,
            rules,
            directory,
        })
    }
}

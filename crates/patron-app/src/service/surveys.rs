//! Surveys: the builder, invitations by tokenised link (after a purchase, after a ticket's
//! resolution, or to a segment), answers without signing in, and what a ticket's
//! satisfaction follow-up does: an unsatisfied customer reopens the ticket, a satisfied one
//! closes it, and no answer in time closes it with a flag. Results: `survey_results`.

use crate::credentials::{random_token, token_hash};
use crate::i18n::Phrase;
use crate::outbox::template::Vars;
use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::messages::Channel;
use patron_domain::service::survey::{
    Question, QuestionKind, Trigger, parse_questions, render_questions,
};
use patron_domain::service::ticket::{Action, Status};
use patron_store::Scope;
use patron_store::messages::outbox::NewMessage;
use patron_store::service::surveys::{NewInvitation, NewSurvey, SurveyRow};

/// Days a survey link stays open when no ticket waits on it.
const LINK_DAYS: i64 = 30;

/// A survey as typed in the builder.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    pub name: String,
    /// One question per line (see `patron_domain::service::survey`).
    pub questions: String,
    pub trigger: String,
    pub delay_days: i64,
    /// The message template the invitation goes out with; blank: a plain e-mail.
    pub message: String,
    pub active: bool,
}

/// A stored survey, read.
#[derive(Debug, Clone)]
pub struct Survey {
    pub row: SurveyRow,
    pub questions: Vec<Question>,
    pub trigger: Trigger,
}

impl Survey {
    fn read(row: SurveyRow) -> Result<Self, AppError> {
        let questions = serde_json::from_str(&row.questions)
            .map_err(|e| AppError::Internal(format!("survey {} unreadable: {e}", row.id)))?;
        let trigger = row.trigger_kind;
        Ok(Self {
            row,
            questions,
            trigger,
        })
    }

    /// The builder's text of the questions.
    pub fn builder_text(&self) -> String {
        render_questions(&self.questions)
    }

    pub(crate) fn first_csat(&self) -> Option<usize> {
        self.questions
            .iter()
            .position(|q| q.kind == QuestionKind::Csat)
    }
}

/// What sending a survey to a segment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendReport {
    pub invited: u64,
    /// No channel (or no consent) reached them.
    pub unreachable: u64,
    /// Asked already in this batch.
    pub already: u64,
}

/// What the surveys job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SurveyJobReport {
    pub tickets_asked: u64,
    pub closed_unanswered: u64,
    pub purchases_asked: u64,
}

impl std::fmt::Display for SurveyJobReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "surveys: {} resolved tickets asked, {} closed unanswered, {} purchases asked",
            self.tickets_asked, self.closed_unanswered, self.purchases_asked
        )
    }
}

impl App {
    pub async fn surveys(&self) -> Result<Vec<Survey>, AppError> {
        self.db
            .surveys()
            .await?
            .into_iter()
            .map(Survey::read)
            .collect()
    }

    pub async fn survey(&self, id: i64) -> Result<Survey, AppError> {
        Survey::read(self.db.survey(id).await?)
    }

    /// Creates (`id` none) or changes a survey. A satisfaction follow-up must ask a CSAT
    /// question; one survey at a time goes out by itself on each trigger.
    /// Surveys serve the whole chain: a store-bound `scope` sends them, never edits them.
    pub async fn save_survey(
        &self,
        actor: &Actor,
        scope: Scope,
        id: Option<i64>,
        form: &SurveyForm,
    ) -> Result<i64, AppError> {
        scope.chain_wide()?;
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(FieldError::new("name", "error.survey.name").into());
        }
        let questions = parse_questions(&form.questions)?;
        let trigger = Trigger::parse(form.trigger.trim())?;
        if trigger == Trigger::AfterResolution
            && !questions.iter().any(|q| q.kind == QuestionKind::Csat)
        {
            return Err(FieldError::new("questions", "error.survey.csat_needed").into());
        }
        let delay_ok = match trigger {
            Trigger::AfterPurchase => (1..=90).contains(&form.delay_days),
            _ => form.delay_days == 0,
        };
        if !delay_ok {
            return Err(FieldError::new("delay_days", "error.survey.delay").into());
        }
        let message = form.message.trim();
        if !message.is_empty() && self.db.message_templates_named(message).await?.is_empty() {
            return Err(FieldError::new("message", "error.messages.no_template").into());
        }
        if form.active
            && trigger != Trigger::Manual
            && let Some(other) = self.db.active_survey(trigger.code()).await?
            && Some(other.id) != id
        {
            return Err(FieldError::new("trigger", "error.survey.trigger_taken").into());
        }
        let json = serde_json::to_string(&questions)
            .map_err(|e| AppError::Internal(format!("survey questions: {e}")))?;
        let s = NewSurvey {
            name,
            questions: &json,
            trigger_kind: trigger.code(),
            delay_days: form.delay_days,
            message,
            active: form.active,
        };
        self.db
            .save_survey(actor, id, &s, self.now())
            .await
            .map_err(|e| match e {
                patron_store::StoreError::Conflict { .. } => {
                    FieldError::new("name", "error.survey.name_taken").into()
                }
                e => e.into(),
            })
    }

    /// Asks one customer to answer `survey` on `occasion`: records the invitation and
    /// queues its message together. `Some((true, token))` invited, `Some((false, token))`
    /// nobody could be reached (the invitation is kept, so a ticket can still close),
    /// `None` asked before.
    pub(crate) async fn invite(
        &self,
        survey: &Survey,
        customer_id: i64,
        occasion: &str,
        link: (Option<i64>, Option<i64>),
        marketing: bool,
        expires_at: Timestamp,
    ) -> Result<Option<(bool, String)>, AppError> {
        let customer = self.load_customer(Scope::Chain, customer_id).await?;
        let token = random_token(32);
        let url = format!("{}/s/{token}", self.config.public_url());
        let days = expires_at
            .duration_since(self.now())
            .as_hours()
            .div_euclid(24)
            .max(1);
        let mut vars: Vars = Vars::new();
        vars.insert("link", url.clone());
        vars.insert("survey", survey.row.name.clone());
        vars.insert("expiry", format!("{days}"));
        let message = survey.row.message.trim();
        let composed = if message.is_empty() {
            self.survey_email(&customer, survey, &url, days, marketing)
                .await?
        } else {
            self.compose_for(&customer, message, &vars).await?
        };
        let purpose = if marketing { "survey" } else { "service" };
        let row: Option<NewMessage<'_>> = composed.as_ref().map(|m| {
            m.outbox_message(
                self.keys.as_ref(),
                purpose,
                customer.id,
                customer.store_id,
                Some("surveys"),
            )
        });
        let hash = token_hash(&token);
        let inv = NewInvitation {
            survey_id: survey.row.id,
            customer_id,
            store_id: customer.store_id,
            occasion,
            token_hash: &hash,
            ticket_id: link.0,
            sale_id: link.1,
            channel: composed.as_ref().map(|m| m.channel.as_str()),
            expires_at,
        };
        let made = self
            .db
            .invite_to_survey(&inv, row.as_ref(), self.now())
            .await?;
        Ok(made.map(|_| (composed.is_some(), token)))
    }

    /// The invitation as a plain e-mail (no template named): to the customer's address,
    /// with their marketing e-mail consent unless it follows up their own ticket.
    async fn survey_email(
        &self,
        customer: &crate::customers::Customer,
        survey: &Survey,
        url: &str,
        days: i64,
        marketing: bool,
    ) -> Result<Option<crate::messages::Composed>, AppError> {
        let Some(email) = customer.email.clone().filter(|e| !e.trim().is_empty()) else {
            return Ok(None);
        };
        if marketing
            && !self
                .consent_granted(customer.id, Channel::Email.marketing_consent())
                .await?
        {
            return Ok(None);
        }
        let store = self
            .db
            .get_store(Scope::Chain, customer.store_id)
            .await?
            .name;
        let mut body = self.language_of(customer).format(
            "notice.survey_invitation",
            &[
                ("name", &customer.name),
                ("store", &store),
                ("url", url),
                ("days", &days.to_string()),
            ],
        );
        if marketing {
            let link = self.unsubscribe_link(customer.id, Channel::Email.marketing_consent());
            let unsubscribe = crate::i18n::both("notice.unsubscribe", " / ", &[]);
            body.push_str(&format!("\n\n{unsubscribe}: {link}"));
        }
        Ok(Some(crate::messages::Composed {
            channel: Channel::Email,
            recipient: email,
            subject: format!("{store}：{}", survey.row.name),
            body,
            payload: None,
            marketing,
        }))
    }

    /// Asks the customer of a resolved ticket how satisfied they are (once per
    /// resolution). False when the ticket is not resolved or no follow-up survey is active.
    pub async fn ask_satisfaction(&self, ticket_id: i64) -> Result<bool, AppError> {
        match self.follow_up_survey().await? {
            Some((survey, wait_days)) => self.ask_with(&survey, wait_days, ticket_id).await,
            None => Ok(false),
        }
    }

    /// The active satisfaction follow-up and the days its customers have to answer.
    async fn follow_up_survey(&self) -> Result<Option<(Survey, u32)>, AppError> {
        let Some(row) = self
            .db
            .active_survey(Trigger::AfterResolution.code())
            .await?
        else {
            return Ok(None);
        };
        let wait_days = self.service_rules().await?.csat_wait_days;
        Ok(Some((Survey::read(row)?, wait_days)))
    }

    async fn ask_with(
        &self,
        survey: &Survey,
        wait_days: u32,
        ticket_id: i64,
    ) -> Result<bool, AppError> {
        let t = self.db.ticket(Scope::Chain, ticket_id).await?;
        if t.status != Status::Resolved {
            return Ok(false);
        }
        let expires = self.now() + SignedDuration::from_hours(24 * i64::from(wait_days));
        let occasion = format!("ticket:{}:{}", t.id, t.reopen_count);
        let made = self
            .invite(
                survey,
                t.customer_id,
                &occasion,
                (Some(t.id), t.sale_id),
                false,
                expires,
            )
            .await?;
        Ok(made.is_some())
    }

    /// Sends a survey to everyone in a segment within `scope`; `batch` names the sending, so
    /// sending the same batch twice asks nobody twice.
    pub async fn send_survey_to_segment(
        &self,
        scope: Scope,
        survey_id: i64,
        segment_id: i64,
        batch: &str,
    ) -> Result<SendReport, AppError> {
        let survey = self.survey(survey_id).await?;
        if !survey.row.active {
            return Err(FieldError::new("survey_id", "error.survey.inactive").into());
        }
        let members = self.segment_recipients(scope, segment_id).await?;
        let expires = self.now() + SignedDuration::from_hours(24 * LINK_DAYS);
        let occasion = format!("send:{batch}");
        let mut report = SendReport::default();
        for id in members {
            match self
                .invite(&survey, id, &occasion, (None, None), true, expires)
                .await?
            {
                Some((true, _)) => report.invited += 1,
                Some((false, _)) => report.unreachable += 1,
                None => report.already += 1,
            }
        }
        Ok(report)
    }

    /// The surveys job: asks resolved tickets' customers, closes tickets whose follow-up
    /// ran out unanswered, and asks about the purchases of the after-purchase survey's day.
    pub async fn run_surveys(&self, now: Timestamp) -> Result<SurveyJobReport, AppError> {
        let mut report = SurveyJobReport::default();
        if let Some((survey, wait_days)) = self.follow_up_survey().await? {
            for id in self.db.tickets_awaiting_survey(500).await? {
                if self.ask_with(&survey, wait_days, id).await? {
                    report.tickets_asked += 1;
                }
            }
        }
        for (invitation, ticket) in self.db.unanswered_ticket_surveys(now).await? {
            let row = self.db.ticket(Scope::Chain, ticket).await?;
            let outcome = match self
                .customer_changes_ticket(
                    &row,
                    Action::Close,
                    &Phrase::new("timeline.survey_unanswered").to_stored(),
                    None,
                    true,
                )
                .await
            {
                Ok(()) => {
                    report.closed_unanswered += 1;
                    "closed_unanswered"
                }
                // Staff moved it meanwhile.
                Err(AppError::Conflict { .. }) => "ignored",
                Err(e) => return Err(e),
            };
            self.db.set_invitation_outcome(invitation, outcome).await?;
        }
        if let Some(row) = self.db.active_survey(Trigger::AfterPurchase.code()).await? {
            let survey = Survey::read(row)?;
            let tz = self.config.timezone();
            let day = tz.to_datetime(now).date() - jiff::Span::new().days(survey.row.delay_days);
            let (from, to) = crate::clock::day_bounds(day, &tz)?;
            let expires = now + SignedDuration::from_hours(24 * LINK_DAYS);
            let mut after = 0;
            loop {
                let page = self.db.sales_to_survey(from, to, after, 500).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for s in page {
                    let occasion = format!("sale:{}", s.id);
                    if self
                        .invite(
                            &survey,
                            s.customer_id,
                            &occasion,
                            (None, Some(s.id)),
                            true,
                            expires,
                        )
                        .await?
                        .is_some_and(|(sent, _)| sent)
                    {
                        report.purchases_asked += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// A new link for the latest satisfaction follow-up of a ticket (the old one stops
    /// working), for staff to pass on when the customer lost the message.
    pub async fn renew_ticket_survey_link(
        &self,
        scope: Scope,
        ticket_id: i64,
    ) -> Result<String, AppError> {
        self.db.ticket(scope, ticket_id).await?;
        let token = random_token(32);
        self.db
            .renew_ticket_survey_token(ticket_id, &token_hash(&token))
            .await
            .map_err(|e| match e {
                // The ticket is there (read above); its follow-up is not, or was answered.
                patron_store::StoreError::NotFound => {
                    AppError::from(FieldError::new("ticket", "error.survey.no_link"))
                }
                e => e.into(),
            })?;
        Ok(format!("{}/s/{token}", self.config.public_url()))
    }
}

impl App {
    /// How many invitations a survey sent, and how many were answered.
    pub async fn survey_counts(&self, scope: Scope, id: i64) -> Result<(i64, i64), AppError> {
        Ok(self.db.survey_counts(scope, id).await?)
    }
}

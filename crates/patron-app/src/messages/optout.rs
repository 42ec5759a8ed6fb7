//! Refusals recorded as consent withdrawals: the unsubscribe link in marketing e-mail, and
//! the keywords customers reply to a marketing SMS (R, TD, 退订 ...). Also binding the WeChat
//! openid a customer follows the Official Account with.

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose};
use patron_domain::messages::is_opt_out_reply;
use patron_domain::phone::Phone;
use patron_store::Scope;

/// What an SMS reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// The marketing SMS consent of this many customers was withdrawn.
    Withdrawn(usize),
    /// Not a refusal, or no customer has that number: nothing changed.
    Ignored,
}

impl App {
    fn unsubscribe_mac(&self, customer_id: i64, purpose: ConsentPurpose) -> String {
        self.keys.blind_index(
            "unsubscribe",
            &format!("{customer_id}:{}", purpose.as_str()),
        )
    }

    /// Whether the customer's consent to `purpose` is in force.
    pub async fn consent_granted(
        &self,
        customer_id: i64,
        purpose: ConsentPurpose,
    ) -> Result<bool, AppError> {
        Ok(self
            .db
            .consent_state(customer_id)
            .await?
            .iter()
            .any(|(p, g, _)| p == purpose.as_str() && *g))
    }

    /// The link in a marketing message that withdraws `purpose` for this customer. It needs
    /// no login; the keyed MAC makes it unguessable for any other customer or purpose.
    pub fn unsubscribe_link(&self, customer_id: i64, purpose: ConsentPurpose) -> String {
        format!(
            "{}/unsubscribe/{customer_id}.{}.{}",
            self.config.public_url(),
            purpose.as_str(),
            self.unsubscribe_mac(customer_id, purpose)
        )
    }

    /// Checks an unsubscribe token (`<customer>.<purpose>.<mac>`): whose consent, and which.
    pub fn check_unsubscribe(&self, token: &str) -> Result<(i64, ConsentPurpose), AppError> {
        let mut parts = token.splitn(3, '.');
        let (Some(id), Some(purpose), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AppError::NotFound);
        };
        let customer_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
        let purpose = ConsentPurpose::parse(purpose).ok_or(AppError::NotFound)?;
        let expected = self.unsubscribe_mac(customer_id, purpose);
        // Constant-time enough: both are fixed-length hex, compared in full.
        let same = expected.len() == mac.len()
            && expected
                .bytes()
                .zip(mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok((customer_id, purpose))
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Withdraws the consent an unsubscribe link names (idempotent: a second click records
    /// nothing new).
    pub async fn unsubscribe(&self, token: &str) -> Result<ConsentPurpose, AppError> {
        let (customer_id, purpose) = self.check_unsubscribe(token)?;
        if self.consent_granted(customer_id, purpose).await? {
            self.set_consents(
                &Actor::system("unsubscribe"),
                Scope::Chain,
                customer_id,
                &[(purpose, false)],
                ConsentChannel::Unsubscribe,
            )
            .await?;
        }
        Ok(purpose)
    }

    /// Whether `token` is the configured reply token. Neither Tencent Cloud's reply callback
    /// (短信回复) nor Alibaba Cloud's HTTP push of replies (上行短信) signs its requests, so
    /// the secret in the address is all there is to check; it is compared in constant time
    /// (digests of equal length, so not even its length shows). Blank switches replies off.
    pub fn sms_reply_token_ok(&self, token: &str) -> bool {
        use sha2::{Digest, Sha256};
        let expected = &self.config.sms.reply_token;
        if expected.is_empty() {
            return false;
        }
        let (a, b) = (
            Sha256::digest(expected.as_bytes()),
            Sha256::digest(token.as_bytes()),
        );
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }

    /// A customer's reply to an SMS, as the provider passes it on. A refusal withdraws the
    /// marketing SMS consent of every active customer with that mobile number.
    pub async fn sms_reply(&self, phone: &str, text: &str) -> Result<ReplyOutcome, AppError> {
        if !is_opt_out_reply(text) {
            return Ok(ReplyOutcome::Ignored);
        }
        let Ok(p) = Phone::parse(phone) else {
            return Ok(ReplyOutcome::Ignored);
        };
        let found = self
            .db
            .customers_by_phone(Scope::Chain, &self.keys.blind_index("phone", p.e164()))
            .await?;
        let mut withdrawn = 0;
        for c in &found {
            let in_force = self
                .db
                .consent_state(c.id)
                .await?
                .iter()
                .any(|(p, g, _)| p == ConsentPurpose::MarketingSms.as_str() && *g);
            if in_force {
                self.set_consents(
                    &Actor::system("sms_reply"),
                    Scope::Chain,
                    c.id,
                    &[(ConsentPurpose::MarketingSms, false)],
                    ConsentChannel::SmsReply,
                )
                .await?;
                withdrawn += 1;
            }
        }
        Ok(if withdrawn > 0 {
            ReplyOutcome::Withdrawn(withdrawn)
        } else {
            ReplyOutcome::Ignored
        })
    }

    /// Binds the openid a customer follows the Official Account with (from the account's
    /// own integration: a member-card or login callback), or unbinds it with an empty value.
    pub async fn bind_wechat_openid(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        openid: &str,
    ) -> Result<(), AppError> {
        let c = self.load_customer(scope, customer_id).await?;
        let openid = openid.trim();
        if openid.len() > 64
            || !openid
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            return Err(FieldError::new("openid", "error.messages.openid").into());
        }
        let sealed = (!openid.is_empty())
            .then(|| crate::customers::sealing::seal(&self.keys, "wechat_openid", c.id, openid));
        self.db
            .set_wechat_openid(actor, c.id, sealed.as_deref(), self.now())
            .await?;
        Ok(())
    }
}

//! The points mall as staff and tills use it: the reward catalogue, redemption at a till (with
//! the same idempotency rules as checkout) or by staff on the customer page, and the orders'
//! fulfilment (placed → ready → fulfilled, or cancelled with the points given back).

use crate::sales::{Answer, Counter, InFlight, MemberRef, Retry, member_id, till_store};
use crate::security::Principal;
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::audit::Actor;
use patron_domain::membership::{RewardKind, RewardOrderStatus, RewardStatus};
use patron_domain::{Capability, FieldError};
use patron_store::Scope;
pub use patron_store::membership::mall::OrderRow;
pub use patron_store::membership::mall::RewardRow;
use patron_store::membership::mall::{NewOrder, RedeemRefused, Redeemed};
use patron_store::sales::Idempotency;
use serde::Serialize;

/// A new reward as typed in the console.
#[derive(Debug, Clone, Default)]
pub struct RewardInput {
    pub name: String,
    pub description: String,
    /// A coupon template makes this a coupon reward; none: goods handed over in a store.
    pub coupon_template_id: Option<i64>,
    pub points_price: i64,
    pub cash_fen: i64,
    /// None: unlimited.
    pub stock: Option<i64>,
    pub per_member_limit: Option<i64>,
    pub valid_from: Timestamp,
    pub valid_until: Option<Timestamp>,
}

/// The answer to a till's redemption.
#[derive(Debug, Clone, Serialize)]
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

/// A redemption request: who, what, how many.
#[derive(Debug, Clone)]
pub struct RedeemRequest {
    pub reward_id: i64,
    pub quantity: i64,
    pub note: String,
}

const MAX_QUANTITY: i64 = 99;

fn refused(e: RedeemRefused) -> AppError {
    let field = |f, k| AppError::Field(FieldError::new(f, k));
    match e {
        RedeemRefused::NotOffered => field("reward_id", "error.mall.not_offered"),
        RedeemRefused::OutOfStock => field("quantity", "error.mall.out_of_stock"),
        RedeemRefused::OverLimit => field("quantity", "error.mall.over_limit"),
        RedeemRefused::NotEnoughPoints => field("points", "error.mall.not_enough_points"),
        RedeemRefused::Raced => AppError::Conflict {
            key: "error.mall.raced",
            field: Some("points"),
        },
        RedeemRefused::Replayed(_) => AppError::Internal("unexpected replay".into()),
        RedeemRefused::Store(e) => e.into(),
    }
}

impl App {
    pub async fn create_reward(
        &self,
        actor: &Actor,
        scope: Scope,
        r: &RewardInput,
    ) -> Result<i64, AppError> {
        scope.chain_wide()?;
        let mut errors = Vec::new();
        let name = r.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            errors.push(FieldError::new("name", "error.mall.name"));
        }
        if r.description.chars().count() > 500 {
            errors.push(FieldError::new("description", "error.mall.description"));
        }
        if !(1..=100_000_000).contains(&r.points_price) {
            errors.push(FieldError::new("points_price", "error.mall.points_price"));
        }
        if !(0..=100_000_000).contains(&r.cash_fen) {
            errors.push(FieldError::new("cash", "error.mall.cash"));
        }
        if r.stock.is_some_and(|s| !(0..=10_000_000).contains(&s)) {
            errors.push(FieldError::new("stock", "error.mall.stock"));
        }
        if r.per_member_limit
            .is_some_and(|l| !(1..=1_000).contains(&l))
        {
            errors.push(FieldError::new("per_member_limit", "error.mall.limit"));
        }
        if r.valid_until.is_some_and(|u| u <= r.valid_from) {
            errors.push(FieldError::new("valid_until", "error.mall.window"));
        }
        if let Some(id) = r.coupon_template_id {
            match self.db.coupon_template(id).await {
                Ok(t) if t.status == patron_domain::membership::coupon::TemplateStatus::Active => {}
                Ok(_) | Err(patron_store::StoreError::NotFound) => errors.push(FieldError::new(
                    "coupon_template_id",
                    "error.coupon.retired",
                )),
                Err(e) => return Err(e.into()),
            }
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let row = RewardRow {
            id: 0,
            name: name.to_string(),
            description: r.description.trim().to_string(),
            kind: if r.coupon_template_id.is_some() {
                RewardKind::Coupon
            } else {
                RewardKind::Goods
            },
            coupon_template_id: r.coupon_template_id,
            points_price: r.points_price,
            cash_fen: r.cash_fen,
            stock: r.stock,
            per_member_limit: r.per_member_limit,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            status: RewardStatus::Active,
            redeemed: 0,
        };
        Ok(self
            .db
            .create_reward(actor, scope, &row, self.now())
            .await?)
    }

    /// Adds to a limited stock, and/or retires (`Some(false)`) or re-offers it.
    pub async fn update_reward(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        more_stock: i64,
        active: Option<bool>,
    ) -> Result<(), AppError> {
        if !(0..=10_000_000).contains(&more_stock) {
            return Err(FieldError::new("stock", "error.mall.stock").into());
        }
        let status = active.map(|a| {
            if a {
                RewardStatus::Active
            } else {
                RewardStatus::Retired
            }
        });
        match self
            .db
            .update_reward(actor, scope, id, more_stock, status, self.now())
            .await?
        {
            true => Ok(()),
            false => Err(AppError::NotFound),
        }
    }

    /// Checks the request, and gives what the store needs: codes for a coupon reward and
    /// the template's validity.
    async fn prepare_order(
        &self,
        customer_id: i64,
        req: &RedeemRequest,
    ) -> Result<(Vec<String>, i64), AppError> {
        if !(1..=MAX_QUANTITY).contains(&req.quantity) {
            return Err(FieldError::new("quantity", "error.mall.quantity").into());
        }
        if req.note.chars().count() > 200 {
            return Err(FieldError::new("note", "error.mall.note").into());
        }
        if self.db.membership_ended(customer_id).await?.is_some() {
            return Err(FieldError::new("member", "error.member.ended").into());
        }
        let reward = match self.db.reward(req.reward_id).await {
            Ok(r) => r,
            Err(patron_store::StoreError::NotFound) => {
                return Err(FieldError::new("reward_id", "error.mall.not_offered").into());
            }
            Err(e) => return Err(e.into()),
        };
        match reward.coupon_template_id {
            None => Ok((Vec::new(), 0)),
            Some(t) => {
                let template = self.db.coupon_template(t).await?;
                let codes = (0..req.quantity)
                    .map(|_| super::coupons::new_code())
                    .collect();
                Ok((codes, template.valid_days))
            }
        }
    }

    /// Redeems for a member by staff (customer page): the order is collected at the staff
    /// member's store.
    pub async fn redeem_reward(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        req: &RedeemRequest,
    ) -> Result<Redeemed, AppError> {
        self.db.get_customer(scope, customer_id).await?;
        let (codes, valid_days) = self.prepare_order(customer_id, req).await?;
        let order = NewOrder {
            customer_id,
            reward_id: req.reward_id,
            store_id: actor.store_id,
            quantity: req.quantity,
            note: req.note.trim(),
            coupon_codes: &codes,
            now: self.now(),
        };
        self.db
            .redeem_reward(actor, &order, valid_days, None)
            .await
            .map(|(r, _)| r)
            .map_err(refused)
    }

    /// Redeems at a till, keyed like checkout: a retry gets the first answer.
    pub async fn redeem_at_till(
        &self,
        actor: &Actor,
        counter: &Counter,
        retry: &Retry,
        store_code: &str,
        member: &MemberRef,
        req: &RedeemRequest,
    ) -> Result<Answer, AppError> {
        if let Some(stored) = self.db.stored_answer(&retry.scope, &retry.key).await? {
            return retry.replay(stored);
        }
        let _guard = InFlight::enter(self, retry)?;
        let (store_id, _) = till_store(counter, store_code)?;
        let Some(customer_id) = member_id(self, member).await? else {
            return Err(FieldError::new("member", "error.mall.needs_member").into());
        };
        let programme = self.loyalty().await?;
        self.member_present(counter, member, Some(customer_id), &programme)
            .await?;
        let (codes, valid_days) = self.prepare_order(customer_id, req).await?;
        let quantity = req.quantity;
        let respond = move |r: &Redeemed| {
            let receipt = RedeemReceipt {
                order_id: r.order_id,
                reward: r.reward_name.clone(),
                quantity,
                points: r.points,
                cash_fen: r.cash_fen,
                status: r.status.clone(),
                coupon_codes: r.coupon_codes.clone(),
                balance: r.balance,
            };
            (201, serde_json::to_string(&receipt).unwrap_or_default())
        };
        let idem = Idempotency {
            scope: &retry.scope,
            key: &retry.key,
            request_hash: &retry.hash,
            respond: &respond,
        };
        let order = NewOrder {
            customer_id,
            reward_id: req.reward_id,
            store_id: Some(store_id),
            quantity,
            note: req.note.trim(),
            coupon_codes: &codes,
            now: self.now(),
        };
        match self
            .db
            .redeem_reward(actor, &order, valid_days, Some(&idem))
            .await
        {
            Ok((_, body)) => Ok(Answer {
                status: 201,
                body: body.unwrap_or_default(),
                replayed: false,
            }),
            Err(RedeemRefused::Replayed(stored)) => retry.replay(stored),
            Err(e) => Err(refused(e)),
        }
    }

    /// Moves an order to `ready` or `fulfilled`.
    pub async fn move_reward_order(
        &self,
        actor: &Actor,
        scope: Scope,
        order_id: i64,
        to: &str,
    ) -> Result<(), AppError> {
        let to = match RewardOrderStatus::parse(to) {
            Some(to @ (RewardOrderStatus::Ready | RewardOrderStatus::Fulfilled)) => to,
            _ => return Err(FieldError::new("status", "error.mall.status").into()),
        };
        match self
            .db
            .move_reward_order(actor, scope, order_id, to, self.now())
            .await?
        {
            true => Ok(()),
            false => Err(AppError::Conflict {
                key: "error.mall.order_state",
                field: Some("status"),
            }),
        }
    }

    /// Cancels an order not yet fulfilled, giving the points back.
    pub async fn cancel_reward_order(
        &self,
        actor: &Actor,
        scope: Scope,
        order_id: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        let reason = reason.trim();
        if reason.chars().count() < 2 || reason.chars().count() > 200 {
            return Err(FieldError::new("reason", "error.adjust.reason").into());
        }
        match self
            .db
            .cancel_reward_order(actor, scope, order_id, reason, self.now())
            .await?
        {
            true => Ok(()),
            false => Err(AppError::Conflict {
                key: "error.mall.order_state",
                field: Some("status"),
            }),
        }
    }
}

/// The mall as the console and tills read it.
impl App {
    /// Rewards on offer now (for a till or the member's side).
    pub async fn rewards_offered(&self) -> Result<Vec<RewardRow>, AppError> {
        Ok(self.db.rewards_offered(self.now()).await?)
    }

    /// Every reward, offered or not (the console's mall page).
    pub async fn rewards(&self) -> Result<Vec<RewardRow>, AppError> {
        Ok(self.db.rewards().await?)
    }

    /// Redemptions in one status, newest first, at most `limit`.
    pub async fn reward_orders(
        &self,
        scope: Scope,
        status: &str,
        limit: i64,
    ) -> Result<Vec<OrderRow>, AppError> {
        Ok(self.db.reward_orders(scope, status, limit).await?)
    }
}

/// What the console's mall page shows: the redemptions in the status asked for, every
/// reward, and the active coupon templates a reward may give when the viewer manages them.
#[derive(Debug, Clone)]
pub struct MallPage {
    pub orders: Vec<OrderRow>,
    pub rewards: Vec<RewardRow>,
    /// Active templates (id, name); empty unless `can_manage`.
    pub coupon_templates: Vec<(i64, String)>,
    pub can_manage: bool,
}

impl App {
    /// The mall page for `p`: redemptions in `status` (empty for every status, `open` for
    /// placed and ready), at most `limit`.
    pub async fn mall_page(
        &self,
        p: &Principal,
        status: &str,
        limit: i64,
    ) -> Result<MallPage, AppError> {
        let can_manage = p.can(Capability::CouponManage);
        let templates = async {
            if !can_manage {
                return Ok(Vec::new());
            }
            self.active_coupon_templates().await
        };
        let (orders, rewards, coupon_templates) = tokio::try_join!(
            self.reward_orders(p.scope(), status, limit),
            self.rewards(),
            templates,
        )?;
        Ok(MallPage {
            orders,
            rewards,
            coupon_templates,
            can_manage,
        })
    }
}

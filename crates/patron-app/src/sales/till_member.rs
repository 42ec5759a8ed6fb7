//! The member on the till page: who the phone number names (an audited lookup), their
//! membership, their tier's price and the coupons they can use now, in one call.

use crate::customers::Lookup;
use crate::membership::view::MembershipView;
use crate::{App, AppError};
use patron_domain::Scope;
use patron_domain::audit::Actor;
use patron_domain::membership::Tier;
use patron_store::membership::coupons::CouponRow;

/// What the till page shows of the member it is ringing up for.
#[derive(Debug, Clone)]
pub struct TillMember {
    pub member: Lookup,
    pub membership: MembershipView,
    /// The member's tier, with its price (`discount_permille`).
    pub tier: Tier,
    pub coupons: Vec<CouponRow>,
}

impl App {
    /// Finds the member by phone (audited as the till's lookup) and reads what the till page
    /// needs of them.
    pub async fn till_member(
        &self,
        actor: &Actor,
        scope: Scope,
        phone: &str,
    ) -> Result<TillMember, AppError> {
        let member = self.lookup_member(actor, scope, phone).await?;
        let (membership, programme, coupons) = tokio::try_join!(
            self.membership_of(member.id),
            self.loyalty(),
            self.usable_coupons(member.id),
        )?;
        let tier = programme
            .ladder
            .at(programme.ladder.rank(&membership.tier_code))
            .clone();
        Ok(TillMember {
            member,
            membership,
            tier,
            coupons,
        })
    }
}

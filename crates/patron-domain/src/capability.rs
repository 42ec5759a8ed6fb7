//! Named capabilities and the built-in roles. A role is a set of capabilities; admins may
//! change the sets of every role but their own, so nobody can lock the chain out of itself.

use std::collections::BTreeSet;

macro_rules! capabilities {
    ($($variant:ident => $name:literal,)*) => {
        /// Something a staff member may do. Routes declare exactly one (or none, for
        /// self-service pages) and the role table decides who holds it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Capability { $($variant,)* }

        impl Capability {
            pub const ALL: &'static [Capability] = &[$(Capability::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Capability::$variant => $name,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some(Capability::$variant),)* _ => None }
            }
        }
    };
}

capabilities! {
    StoreRead => "store.read",
    StoreManage => "store.manage",
    StaffRead => "staff.read",
    StaffManage => "staff.manage",
    RoleManage => "role.manage",
    ApiKeyManage => "apikey.manage",
    AuditRead => "audit.read",
    SettingsManage => "settings.manage",
    OutboxRead => "outbox.read",
    CustomerRead => "customer.read",
    CustomerWrite => "customer.write",
    CustomerPiiReveal => "customer.pii.reveal",
    CustomerExport => "customer.export",
    CustomerImport => "customer.import",
    CustomerMerge => "customer.merge",
    SaleRecord => "sale.record",
    PointsAdjust => "points.adjust",
    CouponManage => "coupon.manage",
    SegmentManage => "segment.manage",
    CampaignManage => "campaign.manage",
    OrderManage => "order.manage",
    TicketManage => "ticket.manage",
    TicketApprove => "ticket.approve",
    WarrantyManage => "warranty.manage",
    ReportRead => "report.read",
}

/// The built-in roles. The set is fixed; what each may do is data (see `default_capabilities`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    StoreManager,
    SalesAssociate,
    Marketing,
    AfterSales,
    DataClerk,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Admin,
        Role::StoreManager,
        Role::SalesAssociate,
        Role::Marketing,
        Role::AfterSales,
        Role::DataClerk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::StoreManager => "store_manager",
            Role::SalesAssociate => "sales_associate",
            Role::Marketing => "marketing",
            Role::AfterSales => "after_sales",
            Role::DataClerk => "data_clerk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// Chain-wide roles see every store; the others are bound to the one store they work in,
    /// and every query they cause is filtered by it.
    pub fn is_chain_wide(self) -> bool {
        matches!(self, Role::Admin | Role::Marketing)
    }

    /// Whether admins may change this role's capability set. The admin role always holds
    /// everything, so a mistaken edit can never leave the chain without an administrator.
    pub fn is_editable(self) -> bool {
        self != Role::Admin
    }

    /// The capability set a new installation starts with.
    pub fn default_capabilities(self) -> BTreeSet<Capability> {
        use Capability::*;
        let list: &[Capability] = match self {
            Role::Admin => Capability::ALL,
            Role::StoreManager => &[
                StoreRead,
                StaffRead,
                StaffManage,
                ApiKeyManage,
                AuditRead,
                OutboxRead,
                CustomerRead,
                CustomerWrite,
                CustomerPiiReveal,
                CustomerExport,
                CustomerImport,
                CustomerMerge,
                SaleRecord,
                PointsAdjust,
                CouponManage,
                OrderManage,
                TicketManage,
                TicketApprove,
                WarrantyManage,
                ReportRead,
            ],
            Role::SalesAssociate => &[StoreRead, CustomerRead, CustomerWrite, SaleRecord],
            Role::Marketing => &[
                StoreRead,
                CustomerRead,
                SegmentManage,
                CampaignManage,
                CouponManage,
                ReportRead,
            ],
            Role::AfterSales => &[
                StoreRead,
                CustomerRead,
                OrderManage,
                TicketManage,
                WarrantyManage,
            ],
            Role::DataClerk => &[
                StoreRead,
                CustomerRead,
                CustomerWrite,
                CustomerImport,
                CustomerExport,
                CustomerMerge,
            ],
        };
        list.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.as_str()), Some(*c));
            assert!(seen.insert(c.as_str()), "duplicate name {}", c.as_str());
        }
        assert_eq!(Capability::parse("customer.everything"), None);
    }

    #[test]
    fn admin_holds_everything_and_marketing_cannot_reveal_personal_data() {
        assert_eq!(
            Role::Admin.default_capabilities().len(),
            Capability::ALL.len()
        );
        assert!(
            !Role::Marketing
                .default_capabilities()
                .contains(&Capability::CustomerPiiReveal)
        );
        assert!(
            !Role::SalesAssociate
                .default_capabilities()
                .contains(&Capability::StaffManage)
        );
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

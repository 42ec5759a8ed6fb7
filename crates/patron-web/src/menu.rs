//! The console's menu, grouped the way a store person thinks of the work: the sections, their
//! entries and who may see each. The sidebar and every page's breadcrumb are read from this
//! one table; a test holds each entry's rule to its route's.

use patron_domain::Capability as C;

/// One page of the menu: its address, its short label, the title key of the page it opens
/// (a page with another title is a sub-page of the entry), and the capability it needs.
pub struct Entry {
    pub href: &'static str,
    pub label: &'static str,
    pub title: &'static str,
    pub gate: Option<C>,
}

pub struct Section {
    /// A name for the section's element (`section-customers`), for tests and styles.
    pub id: &'static str,
    pub label: &'static str,
    pub entries: &'static [Entry],
}

const fn e(href: &'static str, label: &'static str, title: &'static str, gate: Option<C>) -> Entry {
    Entry {
        href,
        label,
        title,
        gate,
    }
}

/// Adding a page to the menu is one line in its section.
#[rustfmt::skip]
pub const MENU: &[Section] = &[
    Section { id: "workbench", label: "nav.section_workbench", entries: &[
        e("/console",                     "nav.home",             "home.title",               None),
        e("/console/till",                "nav.till",             "till.title",               Some(C::SaleRecord)),
        e("/console/followups",           "nav.followups",        "followup.title",           Some(C::CustomerRead)),
        e("/console/customers/mine",      "nav.my_customers",     "customers.mine_title",     Some(C::CustomerRead)),
    ]},
    Section { id: "customers", label: "nav.section_customers", entries: &[
        e("/console/customers",           "nav.customers",        "customers.title",          Some(C::CustomerRead)),
        e("/console/segments",            "nav.segments",         "segment.title",            Some(C::CustomerRead)),
        e("/console/customers/import",    "nav.import",           "import.title",             Some(C::CustomerImport)),
        e("/console/customers/export",    "nav.export",           "export.title",             Some(C::CustomerExport)),
        e("/console/customers/duplicates", "nav.duplicates",      "customers.dupes_title",    Some(C::CustomerMerge)),
        e("/console/customers/handover",  "nav.handover",         "customers.handover_title", Some(C::StaffManage)),
        e("/console/custom-fields",       "nav.custom_fields",    "fields.title",             Some(C::SettingsManage)),
    ]},
    Section { id: "membership", label: "nav.section_membership", entries: &[
        e("/console/points",              "nav.points",           "points.title",             Some(C::PointsAdjust)),
        e("/console/coupons",             "nav.coupons",          "coupons.title",            Some(C::CouponManage)),
        e("/console/mall",                "nav.mall",             "mall.title",               Some(C::SaleRecord)),
        e("/console/reports/leaderboard", "nav.leaderboard",      "ranking.title",            Some(C::ReportRead)),
        e("/console/loyalty",             "nav.loyalty",          "loyalty.title",            Some(C::SettingsManage)),
    ]},
    Section { id: "care", label: "nav.section_care", entries: &[
        e("/console/care/calendar",       "nav.calendar",         "calendar.title",           None),
        e("/console/care/classes",        "nav.classes",          "classes.title",            Some(C::CustomerRead)),
        e("/console/care/churn",          "nav.churn",            "churn.title",              Some(C::CustomerRead)),
        e("/console/messages",            "nav.messages",         "messages.title",           Some(C::CampaignManage)),
        e("/console/outbox",              "nav.outbox",           "outbox.title",             Some(C::OutboxRead)),
    ]},
    Section { id: "service", label: "nav.section_service", entries: &[
        e("/console/service",             "nav.service",          "service.title",            Some(C::TicketManage)),
        e("/console/orders",              "nav.orders",           "order.list_title",         Some(C::OrderManage)),
        e("/console/service/calendar",    "nav.visit_calendar",   "visit.calendar_title",     Some(C::OrderManage)),
        e("/console/warranties",          "nav.warranties",       "warranty.title",           Some(C::WarrantyManage)),
        e("/console/surveys",             "nav.surveys",          "survey.title",             Some(C::ReportRead)),
        e("/console/service/settings",    "nav.service_settings", "service.settings",         Some(C::SettingsManage)),
    ]},
    Section { id: "reports", label: "nav.section_reports", entries: &[
        e("/console/reports",             "nav.reports_overview", "reports.summary.title",    Some(C::ReportRead)),
        e("/console/reports/sales",       "nav.reports_sales",    "reports.sales.title",      Some(C::ReportRead)),
        e("/console/reports/customers",   "nav.reports_customers", "reports.customers.title", Some(C::ReportRead)),
        e("/console/reports/cohorts",     "nav.reports_cohorts",  "reports.cohorts.title",    Some(C::ReportRead)),
        e("/console/reports/loyalty",     "nav.reports_loyalty",  "reports.loyalty.title",    Some(C::ReportRead)),
        e("/console/reports/targets",     "nav.reports_targets",  "reports.targets.title",    Some(C::ReportRead)),
        e("/console/reports/points",      "nav.points_report",    "points.liability",         Some(C::ReportRead)),
        e("/console/service/reports",     "nav.service_reports",  "report.title",             Some(C::ReportRead)),
    ]},
    Section { id: "settings", label: "nav.section_settings", entries: &[
        e("/console/stores",              "nav.stores",           "stores.title",             Some(C::StoreRead)),
        e("/console/staff",               "nav.staff",            "staff.title",              Some(C::StaffRead)),
        e("/console/roles",               "nav.roles",            "roles.title",              Some(C::RoleManage)),
        e("/console/keys",                "nav.keys",             "keys.title",               Some(C::ApiKeyManage)),
        e("/console/audit",               "nav.audit",            "audit.title",              Some(C::AuditRead)),
        e("/console/settings",            "nav.settings",         "settings.title",           Some(C::SettingsManage)),
        e("/console/account",             "nav.account",          "account.title",            None),
    ]},
];

/// The section and entry a page belongs to, by the entry's address.
pub fn locate(current: &str) -> Option<(&'static Section, &'static Entry)> {
    MENU.iter()
        .find_map(|s| s.entries.iter().find(|e| e.href == current).map(|e| (s, e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Access;

    /// An entry is shown to exactly those its page lets in, so the menu never offers a page
    /// that answers 403 nor hides one a person may open.
    #[test]
    fn each_entry_is_gated_like_its_page() {
        let routes = crate::routes::route_table();
        let mut seen = std::collections::BTreeSet::new();
        for entry in MENU.iter().flat_map(|s| s.entries) {
            assert!(
                seen.insert(entry.href),
                "{} is in the menu twice",
                entry.href
            );
            let route = routes
                .iter()
                .find(|r| r.method == "GET" && r.path == entry.href)
                .unwrap_or_else(|| panic!("{} is not a page", entry.href));
            let expected = match entry.gate {
                Some(c) => Access::Cap(c),
                None => Access::SignedIn,
            };
            assert_eq!(route.access, expected, "{}", entry.href);
        }
    }

    #[test]
    fn every_label_and_title_is_in_the_catalogs() {
        for s in MENU {
            assert!(
                crate::i18n::Lang::Zh.try_t(s.label).is_some(),
                "{}",
                s.label
            );
            for e in s.entries {
                for key in [e.label, e.title] {
                    for lang in [crate::i18n::Lang::Zh, crate::i18n::Lang::En] {
                        assert!(lang.try_t(key).is_some(), "{key}");
                    }
                }
            }
        }
    }
}

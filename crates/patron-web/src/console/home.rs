//! The console home, a cockpit by role (see `patron_app::reports::cockpit`): a manager's
//! figures for today and the month against a year earlier, the last 30 days of sales, the
//! chain's store ranking, follow-ups and the first things to do today, points and cards
//! running out, an associate's own month and their customers' birthdays, the service queue; and for an administrator the set-up still to do and the latest
//! actions.

use super::Flash;
use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::audit::AuditFilter;
use patron_domain::Capability;

pub struct RecentEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    page: Page,
    stores: usize,
    staff: usize,
    keys: usize,
    outbox: Vec<(String, i64)>,
    recent: Vec<RecentEvent>,
    todo: Vec<(&'static str, &'static str)>,
    /// Follow-ups of the signed-in person: overdue and due today.
    followups: Option<(usize, usize)>,
    /// The first follow-ups to do: (customer page, customer, what).
    tasks: Vec<(String, String, String)>,
    /// (label, value, change against a year earlier) for today and the month.
    today: Vec<super::reports::Card>,
    month: Vec<super::reports::Card>,
    charts: Vec<String>,
    /// The associate's own month: net sales, receipts.
    my_month: Option<(String, String)>,
    tickets: Option<(i64, i64)>,
    /// In the next 30 days: members with points expiring, those points, member cards.
    expiring: Option<(String, String, String)>,
    /// The associate's customers with a birthday this week: (customer page, name, day).
    birthdays: Vec<(String, String, String)>,
    /// This month against its target: target, net sales, attained %, elapsed %, the meter.
    target: Option<TargetView>,
}

pub struct TargetView {
    target: String,
    net_sales: String,
    attained: String,
    elapsed: String,
    /// The meter's value: attained in whole percent, 0 to 100.
    attained_pct: i64,
    /// Elapsed in whole percent: below it the meter shows behind pace.
    elapsed_pct: i64,
}

/// The figures the cockpit shows for a day and for the month so far.
const COCKPIT_FIGURES: [&str; 5] = [
    "net_sales_fen",
    "receipts",
    "average_order_fen",
    "active_customers",
    "new_customers",
];

fn cards(
    s: &patron_app::reports::summary::Summary,
    lang: crate::i18n::Lang,
) -> Vec<super::reports::Card> {
    use patron_app::reports::table::{figure_cell, figure_value};
    COCKPIT_FIGURES
        .iter()
        .map(|key| super::reports::Card {
            id: key,
            label: lang.t(&format!("reports.fig.{key}")).to_string(),
            definition: lang.t(&format!("reports.def.{key}")).to_string(),
            value: figure_cell(&s.figures, key).display(),
            vs_previous: super::reports::change_for(
                key,
                figure_value(&s.figures, key),
                figure_value(&s.previous, key),
            ),
            vs_year_ago: super::reports::change_for(
                key,
                figure_value(&s.figures, key),
                figure_value(&s.year_ago, key),
            ),
            spark: String::new(),
        })
        .collect()
}

pub async fn home(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    let result: Result<HomePage, AppError> = async {
        let app = &state.app;
        let scope = p.scope();
        let directory = app.directory().await?;
        let stores = directory.stores(scope).count();
        let staff = if p.can(Capability::StaffRead) {
            directory.staff(scope).count()
        } else {
            0
        };
        let keys = if p.can(Capability::ApiKeyManage) {
            app.api_keys(scope).await?
        } else {
            Vec::new()
        };
        let outbox = if p.can(Capability::OutboxRead) {
            app.outbox_counts(scope).await?
        } else {
            Vec::new()
        };
        let tz = state.app.config().timezone();
        let recent = if p.can(Capability::AuditRead) {
            app.audit_log(
                scope,
                &AuditFilter {
                    limit: 8,
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .map(|r| RecentEvent {
                at: when(r.at_ms, ctx.lang, &tz),
                actor: r.actor_name,
                action: r.action,
                outcome: r.outcome,
            })
            .collect()
        } else {
            Vec::new()
        };
        let mut todo = Vec::new();
        if p.can(Capability::StoreManage) && stores == 0 {
            todo.push(("/console/stores", ctx.lang.t("home.todo_store")));
        }
        if p.can(Capability::StaffManage) && staff <= 1 {
            todo.push(("/console/staff/new", ctx.lang.t("home.todo_staff")));
        }
        if p.can(Capability::ApiKeyManage) && keys.is_empty() {
            todo.push(("/console/keys", ctx.lang.t("home.todo_key")));
        }
        let cockpit = state.app.cockpit(&p).await?;
        let lang = ctx.lang;
        let mut charts = Vec::new();
        if let Some(t) = &cockpit.trend {
            let categories: Vec<String> = t.rows.iter().map(|r| r.key[5..].to_string()).collect();
            let series = [crate::charts::Series::new(
                lang.t("reports.col.net_sales"),
                t.rows.iter().map(|r| r.net_sales_fen as f64).collect(),
            )];
            charts.push(crate::charts::line(&crate::charts::Chart {
                title: lang.t("reports.trend.title"),
                x_label: lang.t("reports.axis.day"),
                y_label: lang.t("reports.axis.amount"),
                categories: &categories,
                series: &series,
                format: &super::reports::axis_yuan,
                empty: lang.t("reports.no_data"),
            }));
        }
        if let Some(r) = &cockpit.ranking {
            let categories: Vec<String> = r.rows.iter().map(|x| x.name.clone()).collect();
            let series = [crate::charts::Series::new(
                lang.t("reports.col.net_sales"),
                r.rows.iter().map(|x| x.net_sales_fen as f64).collect(),
            )];
            charts.push(crate::charts::horizontal_bars(&crate::charts::Chart {
                title: lang.t("home.ranking"),
                x_label: lang.t("reports.store"),
                y_label: lang.t("reports.axis.amount"),
                categories: &categories,
                series: &series,
                format: &super::reports::axis_yuan,
                empty: lang.t("reports.no_data"),
            }));
        }
        let tasks = cockpit
            .todo
            .iter()
            .map(|t| {
                (
                    format!("/console/customers/{}", t.row.customer_id),
                    t.row.customer_name.clone(),
                    lang.t(&format!("followup.kind.{}", t.row.kind.as_str()))
                        .to_string(),
                )
            })
            .collect();
        let my_month = cockpit.my_month.as_ref().map(|r| {
            (
                patron_app::reports::table::yuan(r.total.net_sales_fen),
                r.total.receipts.to_string(),
            )
        });
        Ok(HomePage {
            followups: cockpit.followups,
            tasks,
            today: cockpit
                .today
                .as_ref()
                .map(|s| cards(s, lang))
                .unwrap_or_default(),
            month: cockpit
                .month
                .as_ref()
                .map(|s| cards(s, lang))
                .unwrap_or_default(),
            charts,
            my_month,
            tickets: cockpit.tickets,
            expiring: cockpit.expiring.map(|e| {
                use patron_app::reports::table::group_digits;
                (
                    group_digits(e.members),
                    group_digits(e.points),
                    group_digits(e.cards),
                )
            }),
            target: cockpit.target.map(|t| {
                let pct = |v: f64| format!("{:.1} %", v * 100.0);
                TargetView {
                    target: patron_app::reports::table::yuan(t.target_fen),
                    net_sales: patron_app::reports::table::yuan(t.net_sales_fen),
                    attained: t.attainment.map(pct).unwrap_or_else(|| "—".into()),
                    elapsed: pct(t.elapsed),
                    elapsed_pct: (t.elapsed * 100.0).round() as i64,
                    attained_pct: t
                        .attainment
                        .map_or(0, |a| (a * 100.0).round().clamp(0.0, 100.0) as i64),
                }
            }),
            birthdays: cockpit
                .birthdays
                .iter()
                .map(|b| {
                    (
                        format!("/console/customers/{}", b.customer_id),
                        b.name.clone(),
                        b.on.to_string(),
                    )
                })
                .collect(),
            page: Page::console(ctx.lang, &p, "home.title", "/console").with_flash(&flash.ok),
            stores,
            staff,
            keys: keys.iter().filter(|k| k.revoked_at.is_none()).count(),
            outbox,
            recent,
            todo,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

//! The customer page, in tabs: overview (profile masked, with reveal for those allowed,
//! completeness, household, owner, possible duplicates), purchases, points and coupons,
//! service, consent and privacy (one-click grant and withdraw), and the interactions
//! timeline. Tabs are links (`?tab=`), only the chosen one is rendered, and every form on a
//! tab lands back on it.

use super::membership::MemberPanel;
use super::service_panel::ServicePanel;
use super::{Choices, Names, choices_in};
use crate::console::see_other;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::customers::{Customer, CustomerProfile, InteractionInput};
use patron_app::security::Principal;
use patron_domain::Capability;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, InteractionKind};

/// A personal field: its label, masked or revealed value, and whether it can be revealed.
pub struct PersonalField {
    pub field: &'static str,
    pub label: &'static str,
    pub value: String,
    pub revealed: bool,
}

pub struct ConsentLine {
    pub purpose: String,
    pub label: String,
    pub granted: bool,
    pub at: String,
}

/// A tab of the customer page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Overview,
    Purchases,
    Points,
    Service,
    Privacy,
    Interactions,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Purchases,
        Tab::Points,
        Tab::Service,
        Tab::Privacy,
        Tab::Interactions,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Purchases => "purchases",
            Tab::Points => "points",
            Tab::Service => "service",
            Tab::Privacy => "privacy",
            Tab::Interactions => "interactions",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "nav.tab_overview",
            Tab::Purchases => "nav.tab_purchases",
            Tab::Points => "nav.tab_points",
            Tab::Service => "nav.tab_service",
            Tab::Privacy => "nav.tab_privacy",
            Tab::Interactions => "nav.tab_interactions",
        }
    }

    /// The tab named in the address; the overview for anything else.
    fn parse(code: &str) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| t.code() == code)
            .unwrap_or_default()
    }

    /// Where a form on this tab sends the reader after it is saved, with the flash `ok`.
    pub fn after_save(self, id: i64, ok: &str) -> String {
        match self {
            Tab::Overview => format!("/console/customers/{id}?ok={ok}"),
            tab => format!("/console/customers/{id}?tab={}&ok={ok}", tab.code()),
        }
    }
}

pub struct TimelineLine {
    pub at: String,
    pub title: String,
    pub detail: String,
    pub note: String,
    pub actor: String,
}

#[derive(Template)]
#[template(path = "customer.html")]
pub struct CustomerPage {
    page: Page,
    tab: &'static str,
    /// (code, label, whether it is the one shown) of each tab the reader may use.
    tabs: Vec<(&'static str, &'static str, bool)>,
    c: Customer,
    store: String,
    owner: String,
    personal: Vec<PersonalField>,
    profile: Vec<(&'static str, String)>,
    missing: Vec<&'static str>,
    stale: bool,
    created: String,
    verified: String,
    consents: Vec<ConsentLine>,
    timeline: Vec<TimelineLine>,
    duplicates: Vec<(i64, String, &'static str)>,
    owners: Vec<Choices>,
    kinds: Vec<Choices>,
    can_write: bool,
    can_reveal: bool,
    can_merge: bool,
    can_adjust: bool,
    can_redeem: bool,
    merged_into: i64,
    household: Vec<(i64, String, String)>,
    member: MemberPanel,
    service: ServicePanel,
}

impl CustomerPage {
    fn dupe_label(&self, reason: &str) -> &'static str {
        self.page.t(&format!("dupe.{reason}"))
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageParams {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    tab: String,
}

/// How the page is to be shown: on which tab, with which message, a field revealed after a
/// reason was given, or a form's error.
#[derive(Default)]
struct Showing<'a> {
    tab: Tab,
    flash: &'a str,
    revealed: Option<(&'static str, String)>,
    error: Option<&'a AppError>,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    showing: Showing<'_>,
) -> Response {
    let Showing {
        tab,
        flash,
        revealed,
        error,
    } = showing;
    let lang = ctx.lang;
    let t = |k: &str| lang.t(k);
    let tz = state.app.config().timezone();
    let profile = match state.app.customer_profile(p, ctx.rid(), id).await {
        Ok(x) => x,
        Err(e) => return crate::error::WebError::page(e, lang).into_response_page(),
    };
    let (_, owners) = choices_in(&profile.directory, p.scope());
    let service = ServicePanel::of(&profile, lang, &tz, state.app.now());
    // The service tab lists what the reader may handle; with nothing to list it is left out.
    let shown_tabs: Vec<Tab> = Tab::ALL
        .into_iter()
        .filter(|t| *t != Tab::Service || !service.sections.is_empty())
        .collect();
    let tab = if shown_tabs.contains(&tab) {
        tab
    } else {
        Tab::Overview
    };
    let tabs = shown_tabs
        .iter()
        .map(|x| (x.code(), t(x.label()), *x == tab))
        .collect();
    let CustomerProfile {
        customer: c,
        directory,
        consents,
        timeline,
        duplicates,
        household,
        membership: member,
        ..
    } = profile;
    let names = Names(directory);
    let shown = |field: &'static str, masked: String| -> PersonalField {
        let (value, revealed) = match &revealed {
            Some((f, v)) if *f == field => (v.clone(), true),
            _ => (masked, false),
        };
        PersonalField {
            field,
            label: t(&format!("field.{field}")),
            value,
            revealed,
        }
    };
    let personal = vec![
        shown("mobile", c.masked_mobile()),
        shown(
            "other_phones",
            c.other_phones
                .iter()
                .map(|p| p.masked())
                .collect::<Vec<_>>()
                .join("；"),
        ),
        shown("email", c.masked_email()),
        shown("addresses", c.masked_addresses().join("；")),
        shown("birthday", c.masked_birthday()),
        shown("id_number", c.masked_id_number()),
    ];
    let pr = &c.profile;
    let mut profile: Vec<(&'static str, String)> = vec![
        (
            t("field.gender"),
            t(&format!("gender.{}", c.gender.as_str())).to_string(),
        ),
        (
            t("field.lunar_birthday"),
            c.lunar_birthday.map(|l| l.render()).unwrap_or_default(),
        ),
        (t("field.wechat"), pr.wechat.clone()),
        (t("field.employer"), pr.employer.clone()),
        (t("field.job_title"), pr.job_title.clone()),
        (t("field.occupation"), pr.occupation.clone()),
        (t("field.family_status"), pr.family_status.clone()),
        (t("field.hobbies"), pr.hobbies.clone()),
        (t("field.habits"), pr.habits.clone()),
        (t("field.clothing_size"), pr.clothing_size.clone()),
        (t("field.shoe_size"), pr.shoe_size.clone()),
        (
            t("field.preferred_channel"),
            if pr.preferred_channel.is_empty() {
                String::new()
            } else {
                t(&format!("contact.{}", pr.preferred_channel)).to_string()
            },
        ),
        (
            t("field.language"),
            if pr.language.is_empty() {
                String::new()
            } else {
                t(&format!("language.{}", pr.language)).to_string()
            },
        ),
        (t("field.contact_time"), pr.contact_time.clone()),
        (
            t("field.source"),
            t(&format!("source.{}", c.source.as_str())).to_string(),
        ),
    ];
    for (k, v) in &pr.custom {
        profile.push((t("field.custom"), format!("{k}: {v}")));
    }
    profile.retain(|(_, v)| !v.is_empty());
    let consents = consents
        .into_iter()
        .map(|(purpose, granted, at)| ConsentLine {
            purpose: purpose.as_str().into(),
            label: t(&format!("purpose.{}", purpose.as_str())).into(),
            granted,
            at: at.map(|a| when(a, lang, &tz)).unwrap_or_default(),
        })
        .collect();
    let timeline = timeline
        .into_iter()
        .map(|e| {
            let (title, detail) = match e.kind {
                "interaction" => (
                    t(&format!("interaction.{}", e.what)).to_string(),
                    [e.channel.as_str(), e.outcome.as_str()]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" · "),
                ),
                "consent" => (
                    format!(
                        "{}：{}",
                        t(&format!("purpose.{}", e.what)),
                        if e.granted == Some(true) {
                            t("customers.granted")
                        } else {
                            t("customers.withdrawn")
                        }
                    ),
                    format!("{} · {}", e.channel, e.outcome),
                ),
                _ => (
                    t("customers.owner_changed").to_string(),
                    format!(
                        "{} → {} · {}",
                        names.staff(e.from_staff),
                        names.staff(e.to_staff),
                        e.what
                    ),
                ),
            };
            TimelineLine {
                at: when(e.at_ms, lang, &tz),
                title,
                detail,
                note: e.note,
                actor: e.actor,
            }
        })
        .collect();
    let mut page =
        Page::console(lang, p, "customers.profile_title", "/console/customers").with_flash(flash);
    if let Some(e) = error {
        page = page.with_error(e);
    }
    let missing = c
        .missing
        .iter()
        .map(|m| t(&format!("missing.{m}")))
        .collect();
    render(&CustomerPage {
        page,
        tab: tab.code(),
        tabs,
        store: names.store(c.store_id),
        owner: names.staff(c.owner_staff_id),
        personal,
        profile,
        missing,
        stale: state.app.reverification_due(c.verified_at),
        created: when(c.created_at, lang, &tz),
        verified: when(c.verified_at, lang, &tz),
        consents,
        timeline,
        duplicates,
        owners,
        kinds: InteractionKind::ALL
            .iter()
            .map(|k| Choices {
                value: k.as_str().into(),
                label: t(&format!("interaction.{}", k.as_str())).into(),
            })
            .collect(),
        can_write: p.can(Capability::CustomerWrite)
            && c.status == patron_domain::customers::CustomerStatus::Active,
        can_reveal: p.can(Capability::CustomerPiiReveal),
        can_merge: p.can(Capability::CustomerMerge),
        can_adjust: p.can(Capability::PointsAdjust)
            && c.status == patron_domain::customers::CustomerStatus::Active,
        can_redeem: p.can(Capability::SaleRecord)
            && c.status == patron_domain::customers::CustomerStatus::Active,
        merged_into: c.merged_into.unwrap_or_default(),
        household,
        member: MemberPanel::new(member, lang, &tz, state.app.now().as_millisecond()),
        service,
        c,
    })
}

pub async fn customer_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(params): Query<PageParams>,
) -> Response {
    let showing = Showing {
        tab: Tab::parse(&params.tab),
        flash: &params.ok,
        ..Showing::default()
    };
    show(&state, &p, &ctx, id, showing).await
}

/// The customer page showing an error from a form on `tab`, on that tab.
pub async fn show_with_error(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    tab: Tab,
    e: &AppError,
) -> Response {
    crate::console::on_form_error(e, ctx.lang, async {
        let showing = Showing {
            tab,
            error: Some(e),
            ..Showing::default()
        };
        show(state, p, ctx, id, showing).await
    })
    .await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    field: String,
    #[serde(default)]
    reason: String,
}

/// Shows one field in full on the page (never in a URL), after recording why.
pub async fn reveal(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> Response {
    match state
        .app
        .reveal_customer_field(&p, ctx.rid(), id, &form.field, &form.reason)
        .await
    {
        Ok(value) => {
            let field: &'static str = match form.field.as_str() {
                "mobile" => "mobile",
                "other_phones" => "other_phones",
                "email" => "email",
                "addresses" => "addresses",
                "birthday" => "birthday",
                _ => "id_number",
            };
            let showing = Showing {
                revealed: Some((field, value)),
                ..Showing::default()
            };
            show(&state, &p, &ctx, id, showing).await
        }
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Overview, &e).await,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    granted: String,
    #[serde(default)]
    channel: String,
}

/// Grants or withdraws one purpose: one click either way.
pub async fn consent(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<ConsentForm>,
) -> Response {
    let Some(purpose) = ConsentPurpose::parse(&form.purpose) else {
        let e = AppError::from(patron_domain::FieldError::new(
            "consents",
            "error.consent.purpose",
        ));
        return show_with_error(&state, &p, &ctx, id, Tab::Privacy, &e).await;
    };
    let channel = ConsentChannel::parse(&form.channel).unwrap_or(ConsentChannel::Counter);
    match state
        .app
        .set_consents(
            &p.actor(ctx.rid()),
            p.scope(),
            id,
            &[(purpose, form.granted == "1")],
            channel,
        )
        .await
    {
        Ok(()) => see_other(&Tab::Privacy.after_save(id, "consent_saved")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Privacy, &e).await,
    }
}

pub async fn interaction(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<InteractionInput>,
) -> Response {
    match state
        .app
        .add_interaction(&p.actor(ctx.rid()), p.scope(), id, Some(p.staff_id), &form)
        .await
    {
        Ok(_) => see_other(&Tab::Interactions.after_save(id, "interaction_saved")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Interactions, &e).await,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct HouseholdForm {
    #[serde(default)]
    archive_no: String,
    #[serde(default)]
    relation: String,
}

pub async fn household(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<HouseholdForm>,
) -> Response {
    match state
        .app
        .link_household(
            &p.actor(ctx.rid()),
            p.scope(),
            id,
            &form.archive_no,
            &form.relation,
        )
        .await
    {
        Ok(_) => see_other(&Tab::Overview.after_save(id, "household_saved")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Overview, &e).await,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct OwnerForm {
    #[serde(default)]
    owner_staff_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn owner(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<OwnerForm>,
) -> Response {
    let to = crate::console::opt_id(&form.owner_staff_id);
    match state
        .app
        .assign_owner(&p.actor(ctx.rid()), p.scope(), &[id], to, &form.reason)
        .await
    {
        Ok(_) => see_other(&Tab::Overview.after_save(id, "owner_saved")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Overview, &e).await,
    }
}

/// The customer confirmed the file is current: resets the re-verification clock.
pub async fn verify(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .mark_verified(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(()) => see_other(&Tab::Overview.after_save(id, "customer_verified")),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

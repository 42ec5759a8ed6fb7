//! The greeting and campaign calendar: the coming weeks' occasions (what greetings go out
//! when), a year's festivals and official rest days, the greeting rules (marketing), and the
//! holiday table (admins add each year's schedule as it is announced).

use crate::console::{field_message as message, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::care::greetings::{
    GreetingRules, MESSAGE_FIELDS, MessageNames, Occasion, Templates, VARIABLES, festival_name,
    festival_wish, member_day_benefit,
};
use patron_app::care::holidays::HolidayError;
use patron_app::outbox::template;
use patron_app::security::Principal;
use patron_domain::calendar::Festival;
use patron_domain::{Capability, FieldError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// How far ahead the plan looks.
const PLAN_DAYS: i32 = 45;

pub struct DayView {
    pub date: String,
    pub rest: bool,
    pub official: String,
    pub occasions: Vec<String>,
}

pub struct FestivalView {
    pub code: &'static str,
    pub label: &'static str,
    pub date: String,
    pub lunar: bool,
    pub greeted: bool,
}

pub struct TemplateView {
    pub field: &'static str,
    pub label: &'static str,
    pub source: String,
    pub variables: String,
    /// The template rendered for a sample customer, or its error.
    pub preview: String,
    /// The form field naming the message template this kind goes out through, and its value.
    pub message_field: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    page: Page,
    year: i16,
    plan: Vec<DayView>,
    festivals: Vec<FestivalView>,
    official: Vec<DayView>,
    published: bool,
    can_greet: bool,
    can_holidays: bool,
    birthday: bool,
    member_days: bool,
    anniversaries: String,
    templates: Vec<TemplateView>,
    /// The message library's template names, for the channel choice of each kind.
    message_names: Vec<String>,
    holidays: String,
}

impl CalendarPage {
    fn message_selected(&self, t: &TemplateView, name: &String) -> bool {
        &t.message == name
    }
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    pub year: Option<i16>,
    #[serde(default)]
    pub ok: String,
}

struct Unsaved<'a> {
    rules: Option<&'a GreetingRules>,
    holidays: Option<&'a str>,
    error: String,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    year: Option<i16>,
    flash: &str,
    unsaved: Unsaved<'_>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let today = app.config().timezone().to_datetime(app.now()).date();
        let year = year.unwrap_or(today.year());
        let saved = app.greeting_rules().await?;
        let rules = unsaved.rules.unwrap_or(&saved);
        let holiday_cal = app.holiday_calendar().await?;
        let stores = app.store_names().await?;
        let source = app.occasion_source(rules).await?;
        // Playbooks scheduled as campaigns, by day.
        let mut campaigns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pb in app.playbooks().await? {
            if let Some(on) = pb.run_on {
                let label = match pb.ran_on {
                    Some(_) => format!(
                        "{}{}（{}）",
                        ctx.lang.t("calendar.campaign"),
                        pb.name,
                        ctx.lang.t("calendar.campaign_ran")
                    ),
                    None => format!("{}{}", ctx.lang.t("calendar.campaign"), pb.name),
                };
                campaigns.entry(on).or_default().push(label);
            }
        }
        let mut plan = Vec::new();
        let mut day = today;
        for _ in 0..PLAN_DAYS {
            let mut occasions: Vec<String> = source
                .on(day)
                .into_iter()
                .map(|o| match o {
                    Occasion::Festival(f) => festival_name(ctx.lang, f).to_string(),
                    Occasion::Anniversary { store_id, years } => format!(
                        "{} {} {years}",
                        stores.get(&store_id).cloned().unwrap_or_default(),
                        ctx.lang.t("calendar.anniversary"),
                    ),
                    Occasion::MemberDay { times } => format!(
                        "{}（{}）",
                        ctx.lang.t("calendar.member_day"),
                        patron_app::care::greetings::member_day_benefit(ctx.lang, &times)
                    ),
                })
                .collect();
            occasions.extend(campaigns.remove(&day.to_string()).unwrap_or_default());
            let off = holiday_cal.day(day);
            if !occasions.is_empty() || off.is_some() {
                plan.push(DayView {
                    date: day.to_string(),
                    rest: holiday_cal.is_rest_day(day),
                    official: off.map(|o| o.name.clone()).unwrap_or_default(),
                    occasions,
                });
            }
            day = match day.tomorrow() {
                Ok(d) => d,
                Err(_) => break,
            };
        }
        let cal = patron_app::care::holidays::year_calendar(&holiday_cal, year)?;
        let festivals = cal
            .festivals
            .iter()
            .map(|f| FestivalView {
                code: f.code,
                label: Festival::from_code(f.code).map_or(f.name, |x| festival_name(ctx.lang, x)),
                date: f.date.to_string(),
                lunar: f.lunar,
                greeted: rules.festivals.iter().any(|c| c == f.code),
            })
            .collect();
        let official = cal
            .official
            .iter()
            .map(|d| DayView {
                date: d.date.to_string(),
                rest: d.rest,
                official: d.name.clone(),
                occasions: Vec::new(),
            })
            .collect();
        let t = &rules.templates;
        let templates = [&t.birthday, &t.festival, &t.anniversary, &t.member_day]
            .into_iter()
            .zip(VARIABLES)
            .zip(rules.messages.all().into_iter().zip(MESSAGE_FIELDS))
            .map(
                |((source, (field, names)), (message, message_field))| TemplateView {
                    field,
                    label: ctx.lang.t(&format!("field.{field}")),
                    source: source.clone(),
                    variables: names.join(", "),
                    preview: preview(source, field, ctx, state.app.config().language()),
                    message_field,
                    message: message.to_string(),
                },
            )
            .collect();
        let mut message_names: Vec<String> = app
            .message_templates()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        message_names.dedup();
        let anniversaries = rules
            .anniversaries
            .iter()
            .map(|(code, date)| format!("{code} {date}"))
            .collect::<Vec<_>>()
            .join("\n");
        let holidays = match unsaved.holidays {
            Some(h) => h.to_string(),
            None => app.holiday_text().await?,
        };
        let mut page = Page::console(ctx.lang, p, "calendar.title", "/console/care/calendar")
            .with_flash(flash);
        page.error = unsaved.error;
        Ok(render(&CalendarPage {
            page,
            year,
            plan,
            festivals,
            official,
            published: cal.published,
            can_greet: p.can(Capability::CampaignManage),
            can_holidays: p.can(Capability::SettingsManage),
            birthday: rules.birthday,
            member_days: rules.member_days,
            anniversaries,
            templates,
            message_names,
            holidays,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

/// A sample customer's message, so the editor sees what members will read: the e-mail text
/// goes out with its values in the configured language (`server.language`), whoever edits it.
fn preview(source: &str, field: &'static str, ctx: &Ctx, lang: patron_app::i18n::Lang) -> String {
    let points = lang.format("notice.gift_points", &[("points", "200")]);
    let vars: template::Vars = [
        ("name", lang.t("calendar.sample_name").to_string()),
        ("store", lang.t("calendar.sample_store").to_string()),
        ("tier", lang.t("calendar.sample_tier").to_string()),
        ("gift", lang.format("notice.gift", &[("parts", &points)])),
        (
            "festival",
            festival_name(lang, Festival::MidAutumn).to_string(),
        ),
        ("wish", festival_wish(lang, Festival::MidAutumn).to_string()),
        ("years", "10".to_string()),
        ("benefit", member_day_benefit(lang, "2")),
    ]
    .into_iter()
    .collect();
    template::render(source, &vars, field).unwrap_or_else(|e| ctx.lang.t(e.key).to_string())
}

pub async fn calendar_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<YearQuery>,
) -> Response {
    let none = Unsaved {
        rules: None,
        holidays: None,
        error: String::new(),
    };
    show(&state, &p, &ctx, q.year, &q.ok, none).await
}

/// Reads the rules form: checkboxes present when ticked, anniversaries one `CODE date` a line.
fn rules_from(form: &[(String, String)]) -> Result<GreetingRules, FieldError> {
    let one: HashMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |k: &str| one.get(k).copied().unwrap_or("").to_string();
    let mut anniversaries = BTreeMap::new();
    for line in get("anniversaries")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (code, date) = line
            .trim()
            .split_once(char::is_whitespace)
            .ok_or(FieldError::new(
                "anniversaries",
                "error.greetings.anniversary",
            ))?;
        anniversaries.insert(code.trim().to_string(), date.trim().to_string());
    }
    Ok(GreetingRules {
        birthday: one.contains_key("birthday"),
        festivals: form
            .iter()
            .filter(|(k, _)| k == "festival")
            .map(|(_, v)| v.clone())
            .collect(),
        member_days: one.contains_key("member_days"),
        anniversaries,
        templates: Templates {
            birthday: get("birthday_template"),
            festival: get("festival_template"),
            anniversary: get("anniversary_template"),
            member_day: get("member_day_template"),
        },
        messages: MessageNames {
            birthday: get("birthday_message"),
            festival: get("festival_message"),
            anniversary: get("anniversary_message"),
            member_day: get("member_day_message"),
        },
    })
}

pub async fn save_greetings(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let rules = match rules_from(&form) {
        Ok(r) => r,
        Err(e) => {
            let unsaved = Unsaved {
                rules: None,
                holidays: None,
                error: message(&ctx, &e),
            };
            return show(&state, &p, &ctx, None, "", unsaved).await;
        }
    };
    match state
        .app
        .save_greeting_rules(&p.actor(ctx.rid()), &rules)
        .await
    {
        Ok(()) => see_other("/console/care/calendar?ok=greetings_saved"),
        Err(e) => {
            let error = match e.field_errors().first() {
                Some(f) => message(&ctx, f),
                None => {
                    return crate::error::WebError::page(e, ctx.lang).into_response_page();
                }
            };
            let unsaved = Unsaved {
                rules: Some(&rules),
                holidays: None,
                error,
            };
            show(&state, &p, &ctx, None, "", unsaved).await
        }
    }
}

#[derive(Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    pub holidays: String,
}

pub async fn save_holidays(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<HolidayForm>,
) -> Response {
    match state
        .app
        .save_holidays(&p.actor(ctx.rid()), &form.holidays)
        .await
    {
        Ok(()) => see_other("/console/care/calendar?ok=holidays_saved"),
        Err(HolidayError::App(e)) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        Err(HolidayError::Line(e)) => {
            let error = format!(
                "{}：{}",
                ctx.lang
                    .t("calendar.line")
                    .replace("{n}", &e.line.to_string()),
                ctx.lang.t(e.error.key)
            );
            let unsaved = Unsaved {
                rules: None,
                holidays: Some(&form.holidays),
                error,
            };
            show(&state, &p, &ctx, None, "", unsaved).await
        }
    }
}

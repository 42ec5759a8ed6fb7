//! The year's festivals and official rest days, for staff planning campaigns. Not personal
//! data: any signed-in staff member or token may read it.

use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use patron_app::care::greetings::festival_name;
use patron_domain::FieldError;
use patron_domain::calendar::Festival;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct YearQuery {
    /// A solar year, 1901 to 2099; the current year when absent.
    #[serde(default)]
    pub year: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FestivalBody {
    /// `spring_festival`, `mid_autumn` ...
    pub code: &'static str,
    /// In the reader's language (`Accept-Language`; 中秋节 by default).
    pub name: &'static str,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The date follows the lunar calendar.
    pub lunar: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OfficialDayBody {
    pub date: String,
    /// True for a holiday, false for a weekend day made a working day (调休).
    pub rest: bool,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarBody {
    pub year: i16,
    pub festivals: Vec<FestivalBody>,
    pub official_days: Vec<OfficialDayBody>,
    /// False until the year's official schedule is in the holiday table.
    pub official_published: bool,
}

#[utoipa::path(get, path = "/api/v1/calendar/festivals", tag = "calendar",
    params(("year" = Option<i16>, Query, description = "solar year, 1901-2099")),
    responses((status = 200, body = CalendarBody), (status = 422, body = Problem)))]
pub async fn festivals(
    State(state): State<AppState>,
    Staff(_p, ctx): Staff,
    Query(q): Query<YearQuery>,
) -> Result<Json<CalendarBody>, WebError> {
    let year = match q.year.as_deref().map(str::trim) {
        None | Some("") => state
            .app
            .config()
            .timezone()
            .to_datetime(state.app.now())
            .year(),
        Some(y) => y
            .parse()
            .map_err(|_| WebError::api(FieldError::new("year", "error.calendar.year"), ctx.lang))?,
    };
    let cal = state
        .app
        .year_calendar(year)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(CalendarBody {
        year: cal.year,
        festivals: cal
            .festivals
            .into_iter()
            .map(|f| FestivalBody {
                code: f.code,
                name: Festival::from_code(f.code).map_or(f.name, |x| festival_name(ctx.lang, x)),
                date: f.date.to_string(),
                lunar: f.lunar,
            })
            .collect(),
        official_days: cal
            .official
            .into_iter()
            .map(|d| OfficialDayBody {
                date: d.date.to_string(),
                rest: d.rest,
                name: d.name,
            })
            .collect(),
        official_published: cal.published,
    }))
}

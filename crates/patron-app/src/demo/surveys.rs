//! Demo surveys: the satisfaction follow-up of one resolved ticket answered (closing it),
//! and a store-experience survey with NPS, a choice and comments answered by a few dozen
//! demo customers, so the results page has figures to show.

use crate::service::surveys::SurveyForm;
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_domain::audit::Actor;

const QUESTIONS: &str = "nps: 您有多大可能向亲友推荐本店？\n\
    single: 您是怎么知道我们的？ | 朋友介绍 | 小区广告 | 路过 | 网上搜索\n\
    text: 还有什么想告诉我们的？";

/// Scores of the answering customers, in turn (a realistic spread: mostly promoters).
const SCORES: [&str; 20] = [
    "10", "9", "9", "8", "7", "10", "6", "9", "10", "5", "9", "8", "10", "9", "3", "9", "10", "8",
    "7", "9",
];

const COMMENTS: [&str; 4] = [
    "店员很耐心，讲解清楚",
    "门口停车位太少",
    "送货比约定晚了半天",
    "希望周末营业到晚上九点",
];

/// The token of a link (`.../s/<token>`).
fn token_of(link: &str) -> &str {
    link.rsplit('/').next().unwrap_or_default()
}

/// The customer of a resolved demo ticket answers its follow-up: satisfied, with a word.
pub(crate) async fn answer_follow_up(app: &App, ticket: i64) -> Result<(), AppError> {
    let link = app
        .renew_ticket_survey_link(patron_store::Scope::Chain, ticket)
        .await?;
    let answers = [vec!["5"], vec!["师傅很专业，问题解决得很快"]];
    app.answer_survey(token_of(&link), |i| {
        answers.get(i).cloned().unwrap_or_default()
    })
    .await?;
    Ok(())
}

pub(crate) async fn seed(app: &App, customers: &[(i64, i64)]) -> Result<(), AppError> {
    let form = SurveyForm {
        name: "到店体验调查".into(),
        questions: QUESTIONS.into(),
        trigger: "manual".into(),
        active: true,
        ..Default::default()
    };
    let survey = app
        .save_survey(&Actor::cli("demo"), patron_store::Scope::Chain, None, &form)
        .await?;
    let survey = app.survey(survey).await?;
    let expires = app.now() + SignedDuration::from_hours(24 * 30);
    // Every fifth customer is asked; four in five of them answer.
    for (n, (customer_id, _)) in customers.iter().step_by(5).take(25).enumerate() {
        let Some((_, token)) = app
            .invite(
                &survey,
                *customer_id,
                "send:demo",
                (None, None),
                true,
                expires,
            )
            .await?
        else {
            continue;
        };
        if n % 5 == 4 {
            continue;
        }
        let score = SCORES[n % SCORES.len()];
        let choice = (n % 4).to_string();
        let comment = if n % 3 == 0 {
            COMMENTS[(n / 3) % COMMENTS.len()]
        } else {
            ""
        };
        let answers = [vec![score], vec![choice.as_str()], vec![comment]];
        app.answer_survey(&token, |i| answers.get(i).cloned().unwrap_or_default())
            .await?;
    }
    Ok(())
}

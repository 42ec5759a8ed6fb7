//! Demo surveys: the satisfaction follow-up of one resolved ticket answered (closing it), a
//! store-experience survey with NPS, a choice and comments answered by a few dozen demo
//! customers this month, and a purchase follow-up (CSAT and NPS) answered after purchases
//! over the two years of sales, so the results page has figures and a trend to show.

use crate::demo::customers::Dice;
use crate::demo::sales::Surveyed;
use crate::service::survey_answers::OpenSurvey;
use crate::service::surveys::SurveyForm;
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_domain::audit::Actor;
use patron_store::service::surveys::{InvitationRow, NewInvitation};

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

pub(crate) async fn seed(
    app: &App,
    customers: &[(i64, i64)],
    surveyed: &[Surveyed],
) -> Result<(), AppError> {
    seed_after_purchase(app, surveyed).await?;
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

const AFTER_PURCHASE: &str = "csat: 您对这次购物满意吗？\n\
    nps: 您有多大可能向亲友推荐本店？\n\
    text: 还有什么想告诉我们的？";

const PURCHASE_COMMENTS: [&str; 6] = [
    "导购很专业，帮我算好了用量",
    "送货师傅很准时",
    "样品和实物有一点色差",
    "结账排队有点久",
    "会员日活动很划算",
    "安装师傅收拾得很干净",
];

/// The purchase follow-up: the day after each of `surveyed`, by text message; about seven
/// in ten answer within a day. Satisfaction improves over the two years (more 5s and
/// promoters, fewer detractors), so the trend has a direction. Written as it happened, at
/// its own moments, with no message queued now.
async fn seed_after_purchase(app: &App, surveyed: &[Surveyed]) -> Result<(), AppError> {
    let form = SurveyForm {
        name: "购物满意度回访".into(),
        questions: AFTER_PURCHASE.into(),
        trigger: "manual".into(),
        active: true,
        ..Default::default()
    };
    let id = app
        .save_survey(&Actor::cli("demo"), patron_store::Scope::Chain, None, &form)
        .await?;
    let survey = app.survey(id).await?;
    let now = app.now();
    let (Some(first), Some(last)) = (
        surveyed.iter().map(|s| s.at).min(),
        surveyed.iter().map(|s| s.at).max(),
    ) else {
        return Ok(());
    };
    let span = last.duration_since(first).as_secs_f64().max(1.0);
    let mut d = Dice(20_261_126);
    for s in surveyed {
        let sent = s.at + SignedDuration::from_hours(20 + d.below(4) as i64);
        let answered = sent + SignedDuration::from_mins(10 + d.below(24 * 60) as i64);
        if answered >= now {
            continue;
        }
        let token = crate::credentials::random_token(32);
        let hash = crate::credentials::token_hash(&token);
        let occasion = format!("purchase:{}", s.at.as_millisecond());
        let expires_at = sent + SignedDuration::from_hours(24 * 14);
        let inv = NewInvitation {
            survey_id: id,
            customer_id: s.customer_id,
            store_id: s.store_id,
            occasion: &occasion,
            token_hash: &hash,
            ticket_id: None,
            sale_id: None,
            channel: Some("sms"),
            expires_at,
        };
        let Some(invitation) = app.db.invite_to_survey(&inv, None, sent).await? else {
            continue;
        };
        if d.below(10) >= 7 {
            continue;
        }
        // 0 at the start of the sales, 1 at their end.
        let f = s.at.duration_since(first).as_secs_f64() / span;
        let roll = d.unit() * 100.0;
        let csat = if roll < 40.0 + 20.0 * f {
            "5"
        } else if roll < 75.0 + 10.0 * f {
            "4"
        } else if roll < 91.0 + 5.0 * f {
            "3"
        } else if roll < 97.0 + 2.0 * f {
            "2"
        } else {
            "1"
        };
        let roll = d.unit() * 100.0;
        let nps = if roll < 40.0 + 18.0 * f {
            ["9", "10"][d.below(2)]
        } else if roll < 75.0 + 12.0 * f {
            ["7", "8"][d.below(2)]
        } else {
            ["3", "5", "6"][d.below(3)]
        };
        let comment = if d.chance(15) {
            PURCHASE_COMMENTS[d.below(PURCHASE_COMMENTS.len())]
        } else {
            ""
        };
        let open = OpenSurvey {
            survey: survey.clone(),
            store: String::new(),
            invitation: InvitationRow {
                id: invitation,
                survey_id: id,
                customer_id: s.customer_id,
                store_id: s.store_id,
                ticket_id: None,
                sent_at: sent,
                expires_at,
                answered_at: None,
                outcome: None,
            },
            closed: false,
        };
        let answers = [vec![csat], vec![nps], vec![comment]];
        app.answer_at(
            &open,
            |i| answers.get(i).cloned().unwrap_or_default(),
            answered,
        )
        .await?;
    }
    Ok(())
}

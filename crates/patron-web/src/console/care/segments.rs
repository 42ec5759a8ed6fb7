//! Segments: the list with live counts, the builder (up to three groups of conditions, a
//! customer in the segment when one group holds entirely), and one segment's members with
//! the ways it can be used (coupons, points, a playbook with tasks and messages).

use crate::console::{field_message as message, opt_id, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::customers::CustomerQuery;
use patron_app::customers::segments::{MAX_GROUPS, SegmentInput, groups_of};
use patron_app::security::Principal;
use patron_domain::Capability;
use patron_domain::Scope;
use serde::Deserialize;

#[derive(Clone)]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    pub store: String,
    /// Live count, or "100000+".
    pub count: String,
    pub updated: String,
}

/// One group of the builder, numbered from 1, with what it holds.
pub struct GroupView {
    pub n: usize,
    pub q: CustomerQuery,
}

pub struct MemberView {
    pub id: i64,
    pub name: String,
    pub archive_no: String,
}

#[derive(Template)]
#[template(path = "segments.html")]
pub struct SegmentsPage {
    page: Page,
    segments: Vec<SegmentView>,
    can_manage: bool,
    /// Chain-wide editors choose the store; store staff save for their own.
    stores: Vec<(i64, String)>,
    /// The segment open in the builder (`None`: a new one).
    editing: Option<SegmentView>,
    editing_store: Option<i64>,
    groups: Vec<GroupView>,
    name: String,
    members: Vec<MemberView>,
    months: Vec<i64>,
}

impl SegmentsPage {
    fn store_selected(&self, id: &i64) -> bool {
        self.editing_store == Some(*id)
    }

    fn month_selected(&self, q: &CustomerQuery, month: &i64) -> bool {
        q.birth_month == Some(*month)
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub ok: String,
}

fn count_text(count: Option<usize>) -> String {
    match count {
        Some(n) => n.to_string(),
        None => format!("{}+", patron_app::membership::recipients::MAX_RECIPIENTS),
    }
}

struct Shown {
    editing: Option<i64>,
    name: String,
    store: Option<i64>,
    groups: Vec<CustomerQuery>,
}

impl Shown {
    /// The list with an empty builder.
    fn blank() -> Self {
        Shown {
            editing: None,
            name: String::new(),
            store: None,
            groups: Vec::new(),
        }
    }
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    what: Shown,
    flash: &str,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let tz = app.config().timezone();
        let stores = app.stores(p.scope()).await?;
        let store_name = |id: Option<i64>| match id {
            None => ctx.lang.t("segment.chain").to_string(),
            Some(id) => stores
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| format!("#{id}")),
        };
        let mut segments = Vec::new();
        let mut editing = None;
        let mut members = Vec::new();
        for (row, ids) in app.segments_with_members(p.scope()).await? {
            let view = SegmentView {
                id: row.id,
                name: row.name.clone(),
                store: store_name(row.store_id),
                count: count_text(ids.as_ref().map(Vec::len)),
                updated: when(row.updated_at, ctx.lang, &tz),
            };
            if what.editing == Some(row.id) {
                let first = ids.as_deref().unwrap_or_default();
                members = app
                    .open_members(p.scope(), &first[..first.len().min(50)])
                    .await?
                    .into_iter()
                    .map(|c| MemberView {
                        id: c.id,
                        name: c.name,
                        archive_no: c.archive_no,
                    })
                    .collect();
                editing = Some(view.clone());
            }
            segments.push(view);
        }
        let mut groups: Vec<GroupView> = what
            .groups
            .into_iter()
            .enumerate()
            .map(|(i, q)| GroupView { n: i + 1, q })
            .collect();
        while groups.len() < MAX_GROUPS {
            groups.push(GroupView {
                n: groups.len() + 1,
                q: CustomerQuery::default(),
            });
        }
        let mut page =
            Page::console(ctx.lang, p, "segment.title", "/console/segments").with_flash(flash);
        page.error = error;
        Ok(render(&SegmentsPage {
            page,
            segments,
            can_manage: p.can(Capability::SegmentManage),
            stores: match p.scope() {
                Scope::Chain => stores.iter().map(|s| (s.id, s.name.clone())).collect(),
                Scope::Store(_) => Vec::new(),
            },
            editing,
            editing_store: what.store,
            groups,
            name: what.name,
            members,
            months: (1..=12).collect(),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn list_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let blank = Shown::blank();
    show(&state, &p, &ctx, blank, &q.ok, String::new()).await
}

pub async fn segment_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Response {
    let row = match state.app.segment(p.scope(), id).await {
        Ok(r) => r,
        Err(e) => {
            return crate::error::WebError::page(e, ctx.lang).into_response_page();
        }
    };
    let groups = match groups_of(&row) {
        Ok(g) => g,
        Err(e) => return crate::error::WebError::page(e, ctx.lang).into_response_page(),
    };
    let shown = Shown {
        editing: Some(id),
        name: row.name,
        store: row.store_id,
        groups,
    };
    show(&state, &p, &ctx, shown, &q.ok, String::new()).await
}

/// The builder's fields: `name`, `store`, and each group's list conditions prefixed with
/// `g<n>_` (`g1_class=key`, `g2_sku=T1` ...). Each group becomes the list's query string.
fn input_of(pairs: &[(String, String)]) -> SegmentInput {
    let mut input = SegmentInput::default();
    for n in 1..=MAX_GROUPS {
        let prefix = format!("g{n}_");
        let fields: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(k, v)| k.starts_with(&prefix) && !v.trim().is_empty())
            .map(|(k, v)| (&k[prefix.len()..], v.trim()))
            .collect();
        input
            .groups
            .push(serde_urlencoded::to_string(&fields).unwrap_or_default());
    }
    for (k, v) in pairs {
        match k.as_str() {
            "name" => input.name = v.clone(),
            "store" => input.store_id = opt_id(v),
            _ => {}
        }
    }
    input
}

async fn save(
    state: AppState,
    p: Principal,
    ctx: Ctx,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Response {
    let input = input_of(&pairs);
    match state.app.save_segment(&p, id, &input).await {
        Ok(id) => see_other(&format!("/console/segments/{id}?ok=segment_saved")),
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                let groups = input
                    .groups
                    .iter()
                    .map(|g| serde_urlencoded::from_str(g).unwrap_or_default())
                    .collect();
                let shown = Shown {
                    editing: id,
                    name: input.name.clone(),
                    store: input.store_id,
                    groups,
                };
                show(&state, &p, &ctx, shown, "", message(&ctx, f)).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save(state, p, ctx, None, pairs).await
}

pub async fn update(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save(state, p, ctx, Some(id), pairs).await
}

pub async fn delete(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.delete_segment(&p, id).await {
        Ok(()) => see_other("/console/segments?ok=segment_deleted"),
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                let blank = Shown::blank();
                show(&state, &p, &ctx, blank, "", message(&ctx, f)).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

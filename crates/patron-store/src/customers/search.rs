//! Finding customers: the paged, sorted list with filters, exact lookups through blind indexes,
//! and duplicate candidates. Name search is a prefix range on the `customer_keys` index
//! (pinyin spellings, initials and the name itself), so `zs` finds 张三 without a table scan.

use super::segment::{SegmentFilter, segment_conditions};
use super::{COLUMNS, CustomerRecord};
use crate::db::{in_list, numbered};
use crate::{Db, Scope, StoreError};

/// What the list is filtered by. The query text is classified by the app layer.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Prefix of a name key (pinyin, initials, or the name as written), lower case.
    pub name_prefix: Option<String>,
    /// Blind index of a phone: the mobile or another number of the customer.
    pub mobile_idx: Option<String>,
    pub last4_idx: Option<String>,
    pub id_idx: Option<String>,
    /// Archive number prefix (`S01-0001`).
    pub archive_prefix: Option<String>,
    pub tag: Option<String>,
    pub owner_staff_id: Option<i64>,
    pub store_id: Option<i64>,
    /// Only files not verified since this time (epoch ms): the re-verification list.
    pub verified_before: Option<i64>,
    /// Only files below this completeness (percent).
    pub completeness_below: Option<i64>,
    /// Only ids above this (paging through everything by id, for exports).
    pub after_id: Option<i64>,
    /// Segment conditions over classes, membership, consent and purchases.
    pub segment: SegmentFilter,
    pub sort: CustomerSort,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerSort {
    #[default]
    Newest,
    Archive,
    Name,
    LeastComplete,
    LongestUnverified,
    /// By id, for paging through everything with `after_id`.
    Id,
}

impl CustomerSort {
    pub fn parse(s: &str) -> Self {
        match s {
            "archive" => Self::Archive,
            "name" => Self::Name,
            "completeness" => Self::LeastComplete,
            "verified" => Self::LongestUnverified,
            _ => Self::Newest,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Archive => "archive",
            Self::Name => "name",
            Self::LeastComplete => "completeness",
            Self::LongestUnverified => "verified",
            Self::Id => "id",
        }
    }

    fn order_by(self) -> &'static str {
        match self {
            // Ids are handed out in creation order, so the newest file has the highest id.
            Self::Newest => "c.id DESC",
            Self::Archive => "c.store_id, c.archive_no",
            Self::Name => "c.name, c.id",
            Self::LeastComplete => "c.completeness, c.id",
            Self::LongestUnverified => "c.verified_at, c.id",
            Self::Id => "c.id",
        }
    }
}

/// Two active customers that may be one person, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicatePair {
    pub first: i64,
    pub second: i64,
    /// `phone`, `id_number`, `name_birthday` or `name_address`.
    pub reason: &'static str,
}

pub(super) enum Arg {
    Text(String),
    Int(i64),
}

/// Highest total the list counts exactly; beyond it the console shows "10000+".
pub const COUNT_CAP: i64 = 10_000;

impl Db {
    /// One page of matching active customers and the total (capped at `COUNT_CAP + 1`).
    pub async fn search_customers(
        &self,
        scope: Scope,
        f: &CustomerFilter,
    ) -> Result<(Vec<CustomerRecord>, i64), StoreError> {
        let mut conds = vec!["c.status = 'active'".to_string()];
        let mut args: Vec<Arg> = Vec::new();
        let push = |args: &mut Vec<Arg>, a: Arg| {
            args.push(a);
            args.len()
        };
        if let Some(s) = scope.store_filter() {
            let n = push(&mut args, Arg::Int(s));
            conds.push(format!("c.store_id = ${n}"));
        }
        if let Some(s) = f.store_id {
            let n = push(&mut args, Arg::Int(s));
            conds.push(format!("c.store_id = ${n}"));
        }
        if let Some(p) = &f.name_prefix {
            let lo = push(&mut args, Arg::Text(p.clone()));
            let hi = push(&mut args, Arg::Text(format!("{p}\u{10FFFF}")));
            conds.push(format!(
                "c.id IN (SELECT customer_id FROM customer_keys WHERE kind IN ('name', 'initials') \
                 AND value >= ${lo} AND value < ${hi})"
            ));
        }
        if let Some(v) = &f.mobile_idx {
            let n = push(&mut args, Arg::Text(v.clone()));
            // A UNION keeps both lookups on their indexes (an OR would scan the table).
            conds.push(format!(
                "c.id IN (SELECT id FROM customers WHERE mobile_idx = ${n} AND status = 'active' \
                 UNION SELECT customer_id FROM customer_keys WHERE kind = 'phone' AND value = ${n})"
            ));
        }
        if let Some(v) = &f.last4_idx {
            let n = push(&mut args, Arg::Text(v.clone()));
            conds.push(format!("c.last4_idx = ${n}"));
        }
        if let Some(v) = &f.id_idx {
            let n = push(&mut args, Arg::Text(v.clone()));
            conds.push(format!("c.id_idx = ${n}"));
        }
        if let Some(p) = &f.archive_prefix {
            let lo = push(&mut args, Arg::Text(p.clone()));
            let hi = push(&mut args, Arg::Text(format!("{p}\u{10FFFF}")));
            conds.push(format!("c.archive_no >= ${lo} AND c.archive_no < ${hi}"));
        }
        if let Some(t) = &f.tag {
            let n = push(&mut args, Arg::Text(t.clone()));
            // EXISTS lets the planner walk the sort order and probe, which wins for common
            // tags (a tag on a fifth of the customers needs a few hundred probes per page).
            conds.push(format!(
                "EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = ${n})"
            ));
        }
        if let Some(o) = f.owner_staff_id {
            let n = push(&mut args, Arg::Int(o));
            conds.push(format!("c.owner_staff_id = ${n}"));
        }
        if let Some(t) = f.verified_before {
            let n = push(&mut args, Arg::Int(t));
            conds.push(format!("c.verified_at < ${n}"));
        }
        if let Some(a) = f.after_id {
            let n = push(&mut args, Arg::Int(a));
            conds.push(format!("c.id > ${n}"));
        }
        if let Some(p) = f.completeness_below {
            let n = push(&mut args, Arg::Int(p));
            conds.push(format!("c.completeness < ${n}"));
        }
        segment_conditions(&f.segment, &mut conds, &mut args);
        if let Some(result) = self.search_by_name_only(scope, f).await? {
            return Ok(result);
        }
        let filter = conds.join(" AND ");
        let limit_n = args.len() + 1;
        // Two steps: order and cut the page on narrow rows, then fetch the wide rows (sealed
        // columns are large; sorting tens of thousands of them dominated a search at 1M).
        let order = f.sort.order_by();
        let list_sql = format!(
            "SELECT {COLUMNS} FROM customers c WHERE c.id IN (SELECT c.id FROM customers c \
             WHERE {filter} ORDER BY {order} LIMIT ${limit_n} OFFSET ${}) ORDER BY {order}",
            limit_n + 1
        );
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM customers c WHERE {filter} LIMIT ${limit_n}) t"
        );
        let mut list = sqlx::query_as::<_, CustomerRecord>(sqlx::AssertSqlSafe(list_sql));
        let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
        for a in &args {
            match a {
                Arg::Text(s) => {
                    list = list.bind(s.clone());
                    count = count.bind(s.clone());
                }
                Arg::Int(i) => {
                    list = list.bind(*i);
                    count = count.bind(*i);
                }
            }
        }
        let rows = list
            .bind(f.limit.clamp(1, 500))
            .bind(f.offset.max(0))
            .fetch_all(self.pool())
            .await?;
        let total = count.bind(COUNT_CAP + 1).fetch_one(self.pool()).await?;
        Ok((rows, total))
    }

    /// Tags of several customers at once: `(customer_id, tag)`.
    pub async fn tags_of(&self, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = in_list(self.backend(), ids.len());
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT customer_id, tag FROM customer_tags WHERE customer_id IN ({list}) \
             ORDER BY customer_id, tag"
        )));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// Refreshes the planner's statistics after a bulk load (a named dialect place).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let sql = self.dialect(
            "PRAGMA analysis_limit = 1000; ANALYZE",
            "ANALYZE customers, customer_keys, customer_tags",
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A name search with no other filter, newest first, answered from the key index alone:
    /// keys exist only for active files (a merge deletes the merged file's keys), and carry
    /// the store, so the wide customer rows are read for the page only. `None` when other
    /// filters or another sort apply.
    async fn search_by_name_only(
        &self,
        scope: Scope,
        f: &CustomerFilter,
    ) -> Result<Option<(Vec<CustomerRecord>, i64)>, StoreError> {
        let Some(prefix) = &f.name_prefix else {
            return Ok(None);
        };
        let only_name = f.sort == CustomerSort::Newest
            && f.mobile_idx.is_none()
            && f.last4_idx.is_none()
            && f.id_idx.is_none()
            && f.archive_prefix.is_none()
            && f.tag.is_none()
            && f.owner_staff_id.is_none()
            && f.verified_before.is_none()
            && f.completeness_below.is_none()
            && f.after_id.is_none()
            && f.segment.is_empty()
            && (f.store_id.is_none() || scope.store_filter().is_none());
        if !only_name {
            return Ok(None);
        }
        let store = scope.store_filter().or(f.store_id);
        let hi = format!("{prefix}\u{10FFFF}");
        let keys = "FROM customer_keys k WHERE k.kind IN ('name', 'initials') \
                    AND k.value >= $1 AND k.value < $2 AND ($3 IS NULL OR k.store_id = $3)";
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT k.customer_id {keys} ORDER BY k.customer_id DESC LIMIT $4 OFFSET $5"
        )))
        .bind(prefix)
        .bind(&hi)
        .bind(store)
        .bind(f.limit.clamp(1, 500))
        .bind(f.offset.max(0))
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM (SELECT DISTINCT k.customer_id {keys} LIMIT $4) t"
        )))
        .bind(prefix)
        .bind(&hi)
        .bind(store)
        .bind(COUNT_CAP + 1)
        .fetch_one(self.pool())
        .await?;
        if ids.is_empty() {
            return Ok(Some((Vec::new(), total)));
        }
        let list = in_list(self.backend(), ids.len());
        let mut q = sqlx::query_as::<_, CustomerRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM customers c WHERE c.id IN ({list}) ORDER BY c.id DESC"
        )));
        for id in &ids {
            q = q.bind(*id);
        }
        Ok(Some((q.fetch_all(self.pool()).await?, total)))
    }

    /// Active customers whose mobile (or another of their numbers) has this blind index.
    pub async fn customers_by_phone(
        &self,
        scope: Scope,
        mobile_idx: &str,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let f = CustomerFilter {
            mobile_idx: Some(mobile_idx.to_string()),
            limit: 20,
            ..Default::default()
        };
        Ok(self.search_customers(scope, &f).await?.0)
    }

    /// Active customers by phone, many phones at a time (imports): `(phone index, customer)`
    /// for the main mobile and every other phone on file. A phone may name several.
    pub async fn customer_ids_by_phones(
        &self,
        mobile_idxs: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut out = Vec::new();
        for chunk in mobile_idxs.chunks(500) {
            // Numbered on both backends: the list is used twice with one set of values.
            let list = numbered(1, chunk.len());
            let sql = format!(
                "SELECT mobile_idx, id FROM customers WHERE status = 'active' \
                 AND mobile_idx IN ({list}) UNION SELECT k.value, k.customer_id \
                 FROM customer_keys k JOIN customers c ON c.id = k.customer_id \
                 WHERE k.kind = 'phone' AND c.status = 'active' AND k.value IN ({list})"
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
            for idx in chunk {
                q = q.bind(idx.as_str());
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// Customers that may be the same person as the one described by these indexes, with
    /// reasons. `exclude` leaves out the customer being edited.
    pub async fn duplicate_candidates(
        &self,
        scope: Scope,
        probe: &DuplicateProbe,
        exclude: Option<i64>,
    ) -> Result<Vec<(i64, &'static str)>, StoreError> {
        let mut out: Vec<(i64, &'static str)> = Vec::new();
        let base = "status = 'active' AND ($2 IS NULL OR store_id = $2) AND id <> $3";
        let checks: [(Option<&String>, &'static str, String); 3] = [
            (
                probe.mobile_idx.as_ref(),
                "phone",
                format!(
                    "SELECT id FROM customers WHERE {base} AND id IN \
                     (SELECT id FROM customers WHERE mobile_idx = $1 AND status = 'active' \
                     UNION SELECT customer_id FROM customer_keys WHERE kind = 'phone' AND value = $1)"
                ),
            ),
            (
                probe.id_idx.as_ref(),
                "id_number",
                format!("SELECT id FROM customers WHERE {base} AND id_idx = $1"),
            ),
            (
                probe.namebirth_idx.as_ref(),
                "name_birthday",
                format!("SELECT id FROM customers WHERE {base} AND namebirth_idx = $1"),
            ),
        ];
        for (value, reason, sql) in checks {
            let Some(value) = value else { continue };
            let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(value)
                .bind(scope.store_filter())
                .bind(exclude.unwrap_or(0))
                .fetch_all(self.pool())
                .await?;
            out.extend(ids.into_iter().map(|id| (id, reason)));
        }
        // A similar name (a shared full pinyin spelling) at the same address.
        for address in &probe.address_keys {
            for spelling in &probe.name_spellings {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT a.customer_id FROM customer_keys a JOIN customer_keys n \
                     ON n.customer_id = a.customer_id AND n.kind = 'name' AND n.value = $4 \
                     JOIN customers c ON c.id = a.customer_id \
                     WHERE a.kind = 'address' AND a.value = $1 AND c.status = 'active' \
                     AND ($2 IS NULL OR c.store_id = $2) AND c.id <> $3",
                )
                .bind(address)
                .bind(scope.store_filter())
                .bind(exclude.unwrap_or(0))
                .bind(spelling)
                .fetch_all(self.pool())
                .await?;
                out.extend(ids.into_iter().map(|id| (id, "name_address")));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|(id, _)| seen.insert(*id));
        Ok(out)
    }

    /// Pairs of active customers in scope that look like one person, for the review page.
    pub async fn duplicate_pairs(
        &self,
        scope: Scope,
        limit: i64,
    ) -> Result<Vec<DuplicatePair>, StoreError> {
        let both = "a.status = 'active' AND b.status = 'active' \
                    AND ($1 IS NULL OR (a.store_id = $1 AND b.store_id = $1))";
        let queries: [(&'static str, String); 4] = [
            (
                "id_number",
                format!(
                    "SELECT a.id, b.id FROM customers a JOIN customers b \
                     ON a.id_idx = b.id_idx AND a.id < b.id WHERE {both} LIMIT $2"
                ),
            ),
            (
                "name_birthday",
                format!(
                    "SELECT a.id, b.id FROM customers a JOIN customers b \
                     ON a.namebirth_idx = b.namebirth_idx AND a.id < b.id WHERE {both} LIMIT $2"
                ),
            ),
            (
                "phone",
                format!(
                    "SELECT a.id, b.id FROM customer_keys k JOIN customers a ON a.id = k.customer_id \
                     JOIN customers b ON b.mobile_idx = k.value AND b.id <> a.id \
                     WHERE k.kind = 'phone' AND {both} LIMIT $2"
                ),
            ),
            (
                "name_address",
                format!(
                    "SELECT DISTINCT a.id, b.id FROM customer_keys ka \
                     JOIN customer_keys kb ON kb.kind = 'address' AND kb.value = ka.value \
                     AND kb.customer_id > ka.customer_id \
                     JOIN customer_keys na ON na.customer_id = ka.customer_id AND na.kind = 'name' \
                     JOIN customer_keys nb ON nb.customer_id = kb.customer_id AND nb.kind = 'name' \
                     AND nb.value = na.value \
                     JOIN customers a ON a.id = ka.customer_id JOIN customers b ON b.id = kb.customer_id \
                     WHERE ka.kind = 'address' AND {both} LIMIT $2"
                ),
            ),
        ];
        let mut out: Vec<DuplicatePair> = Vec::new();
        for (reason, sql) in queries {
            let pairs: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(scope.store_filter())
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
            for (x, y) in pairs {
                let (first, second) = (x.min(y), x.max(y));
                if !out.iter().any(|p| p.first == first && p.second == second) {
                    out.push(DuplicatePair {
                        first,
                        second,
                        reason,
                    });
                }
            }
        }
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}

/// The blind indexes and keys a new or edited customer would have, to look for duplicates.
#[derive(Debug, Clone, Default)]
pub struct DuplicateProbe {
    pub mobile_idx: Option<String>,
    pub id_idx: Option<String>,
    pub namebirth_idx: Option<String>,
    pub address_keys: Vec<String>,
    pub name_spellings: Vec<String>,
}

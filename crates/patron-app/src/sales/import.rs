//! `patron import sales`: a shop's old receipts, one line per row (receipt, time, store,
//! member phone or archive number, sku, category, quantity, unit price), streamed from a
//! UTF-8 CSV so that files of tens of millions of lines never sit in memory. The lines of a
//! receipt must be consecutive (as every till export writes them). Without points the
//! receipts go to the bulk writer; with points, through the till's storage path.

use super::history::PastSale;
use crate::{App, AppError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use patron_domain::FieldError;
use patron_domain::money::parse_yuan;
use patron_domain::phone::Phone;
use patron_domain::sales::LineInput;
use patron_domain::store::StoreCode;
use patron_store::Scope;
use std::collections::HashMap;

/// Headers people use for each column.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "receipt",
        &["receipt", "receipt_no", "小票号", "单号", "销售单号"],
    ),
    ("time", &["time", "sold_at", "销售时间", "时间", "日期"]),
    ("store", &["store", "门店", "门店编码"]),
    ("phone", &["phone", "mobile", "手机号", "会员手机"]),
    ("archive_no", &["archive_no", "会员编号", "档案编号"]),
    ("sku", &["sku", "商品编码", "货号", "条码"]),
    ("name", &["name", "商品名称", "品名"]),
    ("category", &["category", "品类", "分类"]),
    ("quantity", &["quantity", "数量"]),
    ("unit_price", &["unit_price", "price", "单价", "售价"]),
    ("discount", &["discount", "折扣", "优惠金额"]),
];

/// Receipts handed to storage at a time: one transaction of the bulk writer, or ten of the
/// till's path.
const CHUNK: usize = 5_000;
const BULK_CHUNK: usize = 100_000;

#[derive(Debug, Clone, Default)]
pub struct SalesImport {
    pub lines: usize,
    pub sales: usize,
    /// (receipt number, field, message key); the whole receipt is skipped.
    pub rejected: Vec<(String, &'static str, &'static str)>,
    /// The sales indexes were built again after writing (a large import; see
    /// `patron_store::sales::bulk::SqliteBulk`).
    pub reindexed: bool,
}

/// Who a receipt names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    /// An anonymous sale.
    Nobody,
    /// A phone, as its blind index.
    Phone(String),
    Archive(String),
}

/// Caches of what rows name, so each store and member is looked up once.
struct Lookups {
    stores: HashMap<String, (i64, TimeZone)>,
    /// The customer a phone or archive number names; `None` when none or several do.
    members: HashMap<Who, Option<i64>>,
}

/// A receipt being read.
struct Open {
    store: String,
    receipt: String,
    sale: Result<(PastSale, Who), (&'static str, &'static str)>,
}

fn parse_time(text: &str, tz: &TimeZone) -> Option<Timestamp> {
    let t = text.trim();
    // An instant needs an offset (`Z`, `+08:00`, `-05:00`) after the date; most till exports
    // write local times without one, and a failed parse costs an error built per receipt.
    let after_date = t.get(10..).unwrap_or("");
    if after_date.contains(['Z', 'z', '+', '-', '\u{2212}'])
        && let Ok(ts) = t.parse::<Timestamp>()
    {
        return Some(ts);
    }
    let t: std::borrow::Cow<'_, str> = if t.contains('/') {
        t.replace('/', "-").into()
    } else {
        t.into()
    };
    // A date alone reads as the start of that day in the store's zone.
    let civil: jiff::civil::DateTime = t.parse().ok()?;
    civil
        .to_zoned_datetime(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

impl App {
    async fn store_of(
        &self,
        l: &mut Lookups,
        code: &str,
    ) -> Result<Option<(i64, TimeZone)>, AppError> {
        if let Some(v) = l.stores.get(code) {
            return Ok(Some(v.clone()));
        }
        let Ok(parsed) = StoreCode::parse(code) else {
            return Ok(None);
        };
        match self.db.store_by_code(&parsed).await {
            Ok(s) => {
                let v = (s.id, TimeZone::get(&s.timezone).unwrap_or(TimeZone::UTC));
                l.stores.insert(code.to_string(), v.clone());
                Ok(Some(v))
            }
            Err(patron_store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Finds the members a chunk's receipts name, many phones a query, and fills in each
    /// sale's customer. Receipts naming no member, or several, are rejected.
    async fn resolve_members(
        &self,
        l: &mut Lookups,
        chunk: Vec<(PastSale, Who)>,
        rejected: &mut Vec<(String, &'static str, &'static str)>,
    ) -> Result<Vec<PastSale>, AppError> {
        let mut phones: Vec<String> = Vec::new();
        for (_, who) in &chunk {
            if let Who::Phone(idx) = who
                && !l.members.contains_key(who)
            {
                l.members.insert(who.clone(), None);
                phones.push(idx.clone());
            }
        }
        let mut found: HashMap<String, Vec<i64>> = HashMap::new();
        for (idx, id) in self.db.customer_ids_by_phones(&phones).await? {
            found.entry(idx).or_default().push(id);
        }
        for (idx, ids) in found {
            if let [one] = ids.as_slice() {
                l.members.insert(Who::Phone(idx), Some(*one));
            }
        }
        let mut out = Vec::with_capacity(chunk.len());
        for (mut sale, who) in chunk {
            let member = match &who {
                Who::Nobody => {
                    out.push(sale);
                    continue;
                }
                Who::Phone(_) => l.members.get(&who).copied().flatten(),
                Who::Archive(no) => match l.members.get(&who) {
                    Some(v) => *v,
                    None => {
                        let ids = self.db.customer_ids_by_archive_no(Scope::Chain, no).await?;
                        let v = match ids.as_slice() {
                            [one] => Some(*one),
                            _ => None,
                        };
                        l.members.insert(who.clone(), v);
                        v
                    }
                },
            };
            match member {
                Some(id) => {
                    sale.customer_id = Some(id);
                    out.push(sale);
                }
                None => rejected.push((sale.receipt_no, "phone", "error.checkout.member_unknown")),
            }
        }
        Ok(out)
    }

    /// Imports sales from a CSV. With `earn`, members earn points for them as the programme
    /// says today; without, history fills statistics and tiers only (balances from the old
    /// system are best brought over as adjustments).
    pub async fn import_sales<R: std::io::Read>(
        &self,
        reader: R,
        earn: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<SalesImport, AppError> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let headers: Vec<String> = csv
            .headers()
            .map_err(|_| FieldError::new("file", "error.import.unreadable"))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let col = |field: &str| {
            let aliases = COLUMNS
                .iter()
                .find(|(f, _)| *f == field)
                .map_or(&[][..], |(_, a)| *a);
            headers
                .iter()
                .position(|h| aliases.iter().any(|a| a.eq_ignore_ascii_case(h)))
        };
        let (Some(receipt), Some(time), Some(store), Some(sku), Some(quantity), Some(price)) = (
            col("receipt"),
            col("time"),
            col("store"),
            col("sku"),
            col("quantity"),
            col("unit_price"),
        ) else {
            return Err(FieldError::new("file", "error.sales_import.columns").into());
        };
        let (phone, archive, name, category, discount) = (
            col("phone"),
            col("archive_no"),
            col("name"),
            col("category"),
            col("discount"),
        );
        let mut lookups = Lookups {
            stores: HashMap::new(),
            members: HashMap::new(),
        };
        let mut report = SalesImport::default();
        let mut bulk = if earn {
            None
        } else {
            Some(super::history::BulkHistory::start(self).await?)
        };
        let programme = self.loyalty().await?;
        let chunk_size = if bulk.is_some() { BULK_CHUNK } else { CHUNK };
        let mut chunk: Vec<(PastSale, Who)> = Vec::with_capacity(chunk_size);
        let mut open: Option<Open> = None;
        // The store code and receipt number of the receipt before, kept to be written over.
        let mut spare = (String::new(), String::new());
        let mut record = csv::StringRecord::new();
        loop {
            let more = csv
                .read_record(&mut record)
                .map_err(|_| FieldError::new("file", "error.import.unreadable"))?;
            let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).map_or("", str::trim);
            let (store_code, receipt_no) = (cell(Some(store)), cell(Some(receipt)));
            if !more
                || open
                    .as_ref()
                    .is_some_and(|o| o.store != store_code || o.receipt != receipt_no)
            {
                if let Some(done) = open.take() {
                    match done.sale {
                        Ok(sale) => chunk.push(sale),
                        Err((field, k)) => report.rejected.push((done.receipt.clone(), field, k)),
                    }
                    spare = (done.store, done.receipt);
                }
                if chunk.len() >= chunk_size || (!more && !chunk.is_empty()) {
                    let named = std::mem::take(&mut chunk);
                    let batch = self
                        .resolve_members(&mut lookups, named, &mut report.rejected)
                        .await?;
                    let problems = match bulk.as_mut() {
                        Some(bulk) => {
                            let (ready, problems) =
                                super::history::prepare(&programme, batch, false, self.now());
                            bulk.write(self, ready).await?;
                            problems
                        }
                        None => {
                            let (written, problems) =
                                self.record_past_sales(batch, earn, &|_| {}).await?;
                            report.sales += written;
                            problems
                        }
                    };
                    report
                        .rejected
                        .extend(problems.into_iter().map(|p| (p.receipt_no, p.field, p.key)));
                    progress(report.lines);
                }
            }
            if !more {
                break;
            }
            report.lines += 1;
            if open.is_none() {
                let sale = match self.store_of(&mut lookups, store_code).await? {
                    None => Err(("store", "error.sales_import.store")),
                    Some((store_id, tz)) => match parse_time(cell(Some(time)), &tz) {
                        None => Err(("time", "error.sales_import.time")),
                        Some(sold_at) => {
                            let (p, a) = (cell(phone), cell(archive));
                            let who = if !p.is_empty() {
                                Phone::parse(p)
                                    .map(|p| Who::Phone(self.keys.blind_index("phone", p.e164())))
                                    .map_err(|_| ("phone", "error.checkout.member_unknown"))
                            } else if !a.is_empty() {
                                Ok(Who::Archive(a.to_string()))
                            } else {
                                Ok(Who::Nobody)
                            };
                            who.map(|who| {
                                let sale = PastSale {
                                    store_id,
                                    tz,
                                    receipt_no: receipt_no.to_string(),
                                    customer_id: None,
                                    staff_id: None,
                                    sold_at,
                                    lines: Vec::new(),
                                };
                                (sale, who)
                            })
                        }
                    },
                };
                let (mut store, mut receipt) = std::mem::take(&mut spare);
                store.clear();
                store.push_str(store_code);
                receipt.clear();
                receipt.push_str(receipt_no);
                open = Some(Open {
                    store,
                    receipt,
                    sale,
                });
            }
            if let Some(Open {
                sale: Ok((sale, _)),
                ..
            }) = open.as_mut()
            {
                let line = (|| {
                    let qty: i64 = cell(Some(quantity))
                        .parse()
                        .map_err(|_| ("quantity", "error.sale.quantity"))?;
                    let unit =
                        parse_yuan(cell(Some(price))).ok_or(("unit_price", "error.sale.price"))?;
                    let off = match cell(discount) {
                        "" => 0,
                        d => parse_yuan(d).ok_or(("discount", "error.sale.discount"))?,
                    };
                    Ok(LineInput {
                        sku: cell(Some(sku)).to_string(),
                        name: cell(name).to_string(),
                        category: cell(category).to_string(),
                        quantity: qty,
                        unit_price_fen: unit,
                        discount_fen: off,
                    })
                })();
                match line {
                    Ok(l) => sale.lines.push(l),
                    Err(e) => {
                        if let Some(o) = open.as_mut() {
                            o.sale = Err(e);
                        }
                    }
                }
            }
        }
        if let Some(bulk) = bulk {
            let written = bulk.finish().await?;
            report.sales += written.sales;
            report.reindexed = written.reindexed;
            report.rejected.extend(
                written
                    .taken
                    .into_iter()
                    .map(|(_, receipt)| (receipt, "receipt_no", "error.checkout.receipt_taken")),
            );
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;
    use jiff::tz::TimeZone;

    #[test]
    fn times_with_and_without_an_offset() {
        let shanghai = TimeZone::get("Asia/Shanghai").expect("zone");
        let at = |s: &str| parse_time(s, &shanghai).map(|t| t.to_string());
        // An offset or Z names the instant; the store's zone does not apply.
        assert_eq!(
            at("2025-03-01T10:00:00Z").as_deref(),
            Some("2025-03-01T10:00:00Z")
        );
        assert_eq!(
            at("2025-03-01T10:00:00-05:00").as_deref(),
            Some("2025-03-01T15:00:00Z")
        );
        assert_eq!(
            at("2025-03-01 10:00:00+08:00").as_deref(),
            Some("2025-03-01T02:00:00Z")
        );
        // Local times are in the store's zone, with dashes or slashes.
        assert_eq!(
            at("2025-03-01 10:00").as_deref(),
            Some("2025-03-01T02:00:00Z")
        );
        assert_eq!(
            at(" 2025/03/01 10:00:00 ").as_deref(),
            Some("2025-03-01T02:00:00Z")
        );
        // A date alone is the start of the store's day.
        assert_eq!(at("2025-03-01").as_deref(), Some("2025-02-28T16:00:00Z"));
        assert_eq!(at("2025/3/1 10:00"), None);
        assert_eq!(at("yesterday"), None);
    }
}

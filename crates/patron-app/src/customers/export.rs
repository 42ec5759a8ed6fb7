//! Exporting customer files to CSV (UTF-8 with BOM, so Excel opens it right) and xlsx.
//! Phones and ID numbers are text cells; cells that a spreadsheet would run as a formula are
//! neutralised; personal fields are masked unless the exporter may see them; large exports
//! need a reason; every export is audited with its row count and columns.

use super::CustomerQuery;
use super::sealing::Customer;
use crate::i18n::Lang;
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::{Capability, FieldError};
use patron_store::customers::CustomerSort;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// Columns in order; the names double as import headers (English) and catalog keys.
pub const COLUMNS: &[&str] = &[
    "archive_no",
    "name",
    "gender",
    "mobile",
    "other_phones",
    "birthday",
    "lunar_birthday",
    "email",
    "wechat",
    "addresses",
    "id_number",
    "employer",
    "job_title",
    "occupation",
    "hobbies",
    "clothing_size",
    "shoe_size",
    "store",
    "owner",
    "tags",
    "completeness",
    "source",
];

/// What to export and how.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub query: CustomerQuery,
    pub format: ExportFormat,
    /// Unmasked values; needs the reveal capability and a reason.
    pub full: bool,
    pub reason: String,
}

pub struct Export {
    pub bytes: Vec<u8>,
    pub rows: usize,
    pub masked: bool,
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) gets a leading
/// apostrophe, so `=HYPERLINK(…)` typed into a name field stays text.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn cells(c: &Customer, full: bool, store: &str, owner: &str, lang: Lang) -> Vec<String> {
    let (list, tags) = (
        lang.t("export.list_separator"),
        lang.t("export.tag_separator"),
    );
    // Custom fields are not exported, so only the WeChat id and the employer are masked.
    let masked;
    let p = if full {
        &c.profile
    } else {
        masked = c.profile.masked(&[]);
        &masked
    };
    let national = |ph: &patron_domain::phone::Phone| ph.national().to_string();
    vec![
        c.archive_no.clone(),
        c.name.clone(),
        c.gender.as_str().to_string(),
        if full {
            c.mobile.as_ref().map(national).unwrap_or_default()
        } else {
            c.masked_mobile()
        },
        c.other_phones
            .iter()
            .map(|ph| if full { national(ph) } else { ph.masked() })
            .collect::<Vec<_>>()
            .join(list),
        if full {
            c.birthday.map(|b| b.to_string()).unwrap_or_default()
        } else {
            c.masked_birthday()
        },
        c.lunar_birthday.map(|l| l.render()).unwrap_or_default(),
        if full {
            c.email.clone().unwrap_or_default()
        } else {
            c.masked_email()
        },
        p.wechat.clone(),
        if full {
            c.addresses.join(list)
        } else {
            c.masked_addresses().join(list)
        },
        if full {
            c.id_number
                .as_ref()
                .map(|n| n.as_str().to_string())
                .unwrap_or_default()
        } else {
            c.masked_id_number()
        },
        p.employer.clone(),
        p.job_title.clone(),
        p.occupation.clone(),
        p.hobbies.clone(),
        p.clothing_size.clone(),
        p.shoe_size.clone(),
        store.to_string(),
        owner.to_string(),
        c.tags.join(tags),
        c.completeness.to_string(),
        c.source.as_str().to_string(),
    ]
}

impl App {
    /// Exports what the list query matches, written for a reader of `lang` (the exporter's):
    /// column headers, the sheet's name and list separators. `full` asks for unmasked
    /// values; it needs the reveal capability.
    pub async fn export_customers(
        &self,
        by: &Principal,
        request_id: Option<String>,
        req: &ExportRequest,
        lang: Lang,
    ) -> Result<Export, AppError> {
        let (q, format, full) = (&req.query, req.format, req.full);
        if full && !by.can(Capability::CustomerPiiReveal) {
            return Err(AppError::Forbidden);
        }
        let scope = by.scope();
        let mut f = self.filter_for(q);
        f.sort = CustomerSort::Id;
        f.offset = 0;
        f.limit = 1;
        let (_, total) = self.db.search_customers(scope, &f).await?;
        let reason = req.reason.trim();
        if (total > self.config.customers.export_reason_rows || full) && reason.chars().count() < 2
        {
            return Err(FieldError::new("reason", "error.export.reason").into());
        }
        let stores: std::collections::HashMap<i64, String> = self
            .db
            .list_stores(patron_store::Scope::Chain)
            .await?
            .into_iter()
            .map(|s| (s.id, s.code))
            .collect();
        let staff: std::collections::HashMap<i64, String> = self
            .db
            .list_staff(patron_store::Scope::Chain)
            .await?
            .into_iter()
            .map(|s| (s.id, s.display_name))
            .collect();
        let header = |c: &str| lang.t(&format!("import.field.{c}")).to_string();
        let mut lines: Vec<Vec<String>> = vec![COLUMNS.iter().map(|c| header(c)).collect()];
        f.limit = 500;
        loop {
            let (records, _) = self.db.search_customers(scope, &f).await?;
            let Some(last) = records.last() else { break };
            f.after_id = Some(last.id);
            for c in self.open_records(records).await? {
                let store = stores.get(&c.store_id).cloned().unwrap_or_default();
                let owner = c
                    .owner_staff_id
                    .and_then(|o| staff.get(&o).cloned())
                    .unwrap_or_default();
                lines.push(cells(&c, full, &store, &owner, lang));
            }
        }
        let rows = lines.len() - 1;
        let bytes = match format {
            ExportFormat::Csv => to_csv(&lines)?,
            ExportFormat::Xlsx => to_xlsx(&lines, lang.t("export.sheet"))?,
        };
        self.db
            .audit_customer_read(
                &by.actor(request_id),
                "customer.export",
                None,
                &format!(
                    "rows={rows}; format={}; masked={}; columns={}; reason={reason}",
                    match format {
                        ExportFormat::Csv => "csv",
                        ExportFormat::Xlsx => "xlsx",
                    },
                    !full,
                    COLUMNS.join(",")
                ),
                self.now(),
            )
            .await?;
        Ok(Export {
            bytes,
            rows,
            masked: !full,
        })
    }
}

fn to_csv(lines: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for line in lines {
            w.write_record(line.iter().map(|c| neutralise(c)))
                .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        w.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}

fn to_xlsx(lines: &[Vec<String>], sheet_name: &str) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(fail)?;
    // "@" is Excel's text format: long digit strings stay exact, nothing is evaluated.
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_num_format("@").set_bold();
    for (r, line) in lines.iter().enumerate() {
        for (c, cell) in line.iter().enumerate() {
            let fmt = if r == 0 { &bold } else { &text };
            sheet
                .write_string_with_format(r as u32, c as u16, neutralise(cell), fmt)
                .map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

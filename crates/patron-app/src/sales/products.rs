//! The product list: imported from the shop's own CSV or Excel export (sku, name, category,
//! brand, price). Rows with a problem are reported by row and field and skipped; the others
//! are saved together.

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::money::parse_yuan;
use patron_store::sales::catalog::ProductRow;

/// Headers people use for each column.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "sku",
        &["sku", "商品编码", "货号", "条码", "商品条码", "编码"],
    ),
    ("name", &["name", "商品名称", "品名", "名称"]),
    (
        "category",
        &["category", "品类", "分类", "类别", "商品分类"],
    ),
    ("brand", &["brand", "品牌"]),
    ("price", &["price", "售价", "单价", "零售价", "价格"]),
];

#[derive(Debug, Clone, Default)]
pub struct ProductImport {
    pub saved: usize,
    /// (row number as the user sees it, counting the header as 1; field; message key).
    pub rejected: Vec<(usize, &'static str, &'static str)>,
}

impl App {
    pub async fn import_products(&self, bytes: &[u8]) -> Result<ProductImport, AppError> {
        let table = self.read_table(bytes)?;
        let find = |field: &str| {
            let aliases = COLUMNS
                .iter()
                .find(|(f, _)| *f == field)
                .map_or(&[][..], |(_, a)| *a);
            table
                .headers
                .iter()
                .position(|h| aliases.iter().any(|a| a.eq_ignore_ascii_case(h.trim())))
        };
        let (Some(sku), Some(name), Some(category), Some(price)) =
            (find("sku"), find("name"), find("category"), find("price"))
        else {
            return Err(FieldError::new("file", "error.products.columns").into());
        };
        let brand = find("brand");
        let mut report = ProductImport::default();
        let mut rows = Vec::with_capacity(table.rows.len());
        for (i, row) in table.rows.iter().enumerate() {
            let cell = |c: usize| row.get(c).map_or("", |s| s.trim());
            let line = i + 2;
            let checked = (|| {
                let s = cell(sku);
                if s.is_empty() || s.chars().count() > 64 {
                    return Err(("sku", "error.sale.sku"));
                }
                let n = cell(name);
                if n.is_empty() || n.chars().count() > 200 {
                    return Err(("name", "error.sale.name"));
                }
                let c = cell(category);
                if c.is_empty() || c.chars().count() > 64 {
                    return Err(("category", "error.products.category"));
                }
                let p = parse_yuan(cell(price)).ok_or(("price", "error.products.price"))?;
                Ok(ProductRow {
                    sku: s.to_string(),
                    name: n.to_string(),
                    category_code: c.to_string(),
                    brand: brand.map_or("", cell).to_string(),
                    price_fen: p,
                })
            })();
            match checked {
                Ok(p) => rows.push(p),
                Err((field, key)) => report.rejected.push((line, field, key)),
            }
        }
        // A SKU listed twice: the later row wins, as it would in a spreadsheet sorted by time.
        let mut seen = std::collections::HashSet::new();
        rows.reverse();
        rows.retain(|p| seen.insert(p.sku.clone()));
        rows.reverse();
        self.db.upsert_products(&rows, self.now()).await?;
        report.saved = rows.len();
        Ok(report)
    }
}

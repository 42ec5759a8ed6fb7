//! Reading import files into text cells: CSV in UTF-8 (with or without BOM) or GB18030/GBK,
//! and xlsx (first sheet). Also the header aliases and the masking used in reports.

use crate::AppError;
use patron_domain::FieldError;
use std::collections::HashSet;

pub use super::sheet_bounds::TableLimits;

/// A file read into text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Import fields and the headers people use for them.
pub const FIELDS: &[(&str, &[&str])] = &[
    ("name", &["name", "姓名", "客户姓名", "会员姓名", "名字"]),
    (
        "mobile",
        &["mobile", "手机", "手机号", "手机号码", "联系电话", "电话"],
    ),
    (
        "other_phones",
        &["other_phones", "其他电话", "座机", "固定电话"],
    ),
    ("gender", &["gender", "性别"]),
    ("birthday", &["birthday", "生日", "出生日期", "出生年月日"]),
    ("lunar_birthday", &["lunar_birthday", "农历生日"]),
    ("email", &["email", "邮箱", "电子邮箱", "e-mail"]),
    ("wechat", &["wechat", "微信", "微信号"]),
    (
        "addresses",
        &["addresses", "address", "地址", "住址", "家庭住址"],
    ),
    (
        "id_number",
        &["id_number", "身份证号", "身份证", "身份证号码"],
    ),
    ("employer", &["employer", "工作单位", "单位", "公司"]),
    ("job_title", &["job_title", "职务", "职位"]),
    ("occupation", &["occupation", "职业"]),
    ("family_status", &["family_status", "家庭状况", "婚姻状况"]),
    ("hobbies", &["hobbies", "爱好", "兴趣爱好"]),
    ("habits", &["habits", "消费习惯", "购物偏好"]),
    ("clothing_size", &["clothing_size", "尺码", "服装尺码"]),
    ("shoe_size", &["shoe_size", "鞋码"]),
    ("preferred_channel", &["preferred_channel", "偏好联系方式"]),
    ("language", &["language", "语言", "语种"]),
    ("contact_time", &["contact_time", "方便联系时间"]),
    ("notes", &["notes", "备注"]),
    ("store", &["store", "所属门店", "门店", "门店编码"]),
    ("owner", &["owner", "专属导购", "导购", "服务人员"]),
    ("tags", &["tags", "标签"]),
    ("archive_no", &["archive_no", "档案编号", "会员编号"]),
    ("source", &["source", "来源", "来源渠道"]),
];

/// Guesses each column's field from its header; `None` means "ignore".
pub fn guess_mapping(headers: &[String]) -> Vec<Option<&'static str>> {
    let mut used = HashSet::new();
    headers
        .iter()
        .map(|h| {
            let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
            let found = FIELDS
                .iter()
                .find(|(_, names)| names.iter().any(|n| n.to_lowercase() == h))
                .map(|(f, _)| *f);
            found.filter(|f| used.insert(*f))
        })
        .collect()
}

/// Reads a CSV or xlsx file into text cells, within `limits` (an xlsx file is measured
/// before it is read; a CSV file's cells are what its bytes hold, so its size bounds it).
pub fn read_table(bytes: &[u8], limits: &TableLimits) -> Result<Table, AppError> {
    let bad = || AppError::from(FieldError::new("file", "error.import.unreadable"));
    let mut rows: Vec<Vec<String>> = if bytes.starts_with(b"PK\x03\x04") {
        super::sheet_bounds::check_xlsx(bytes, limits)?;
        read_xlsx(bytes).ok_or_else(bad)?
    } else {
        if !looks_like_text(bytes) {
            return Err(FieldError::new("file", "error.import.type").into());
        }
        let text = decode_text(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut out = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|_| bad())?;
            out.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        out
    };
    rows.retain(|r: &Vec<String>| r.iter().any(|c| !c.is_empty()));
    if rows.is_empty() {
        return Err(FieldError::new("file", "error.import.empty").into());
    }
    let headers = rows.remove(0);
    Ok(Table { headers, rows })
}

/// A CSV file is text: a NUL byte in its first 8 KiB (a program, a picture, a zip that is
/// not an xlsx file) means it is something else. UTF-8 and GB18030 text never holds one.
fn looks_like_text(bytes: &[u8]) -> bool {
    !bytes.iter().take(8192).any(|b| *b == 0)
}

/// UTF-8 (a BOM is dropped) if it is valid UTF-8; otherwise GB18030, a superset of GBK.
fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Option<Vec<Vec<String>>> {
    use calamine::{Data, Reader};
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).ok()?;
    let range = book.worksheet_range_at(0)?.ok()?;
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.trim().to_string(),
            // Phone numbers typed into Excel become numbers; print them without ".0".
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => {
                let days = dt.as_f64().floor() as i64;
                jiff::civil::date(1899, 12, 30)
                    .checked_add(jiff::Span::new().days(days))
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
            Data::Error(_) => String::new(),
        }
    };
    Some(range.rows().map(|r| r.iter().map(cell).collect()).collect())
}

/// Hides most of a value for the report: it may be printed or mailed around.
pub fn mask_cell(v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    match chars.len() {
        0 => String::new(),
        1..=2 => "*".repeat(chars.len()),
        n if n <= 6 => format!("{}{}", chars[0], "*".repeat(n - 1)),
        n => {
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[n - 2..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(n - 5))
        }
    }
}

impl crate::App {
    /// Reads a CSV or xlsx file within the configured limits (`[imports]`).
    pub fn read_table(&self, bytes: &[u8]) -> Result<Table, AppError> {
        read_table(bytes, &TableLimits::from(&self.config.imports))
    }

    fn upload_path(&self, token: &str) -> Option<std::path::PathBuf> {
        let ok = token.len() == 32 && token.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| {
            self.config
                .data_dir
                .join("imports")
                .join(format!("{token}.sealed"))
        })
    }

    /// Keeps an uploaded file for the import wizard, sealed under the data key and bound to
    /// its uploader, in `<data>/imports/`. Returns the token that names it.
    pub fn stash_upload(&self, staff_id: i64, bytes: &[u8]) -> Result<String, AppError> {
        self.read_table(bytes)?;
        let token: String = crate::credentials::random_token(20)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect();
        let path = self
            .upload_path(&token)
            .ok_or_else(|| AppError::Internal("upload token".into()))?;
        let sealed = self.keys.seal("imports", &token, staff_id, bytes);
        if let Some(dir) = path.parent() {
            crate::datadir::ensure(dir).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        std::fs::write(&path, sealed)
            .map_err(|e| AppError::Internal(format!("saving upload: {e}")))?;
        Ok(token)
    }

    /// The uploaded table, if the token names an upload of this staff member.
    pub fn load_upload(&self, staff_id: i64, token: &str) -> Result<Table, AppError> {
        let path = self.upload_path(token).ok_or(AppError::NotFound)?;
        let sealed = std::fs::read(&path).map_err(|_| AppError::NotFound)?;
        let plain = self
            .keys
            .open("imports", token, staff_id, &sealed)
            .map_err(|_| AppError::NotFound)?;
        self.read_table(&plain)
    }

    /// Removes an upload once imported.
    pub fn discard_upload(&self, token: &str) {
        if let Some(path) = self.upload_path(token) {
            let _ = std::fs::remove_file(path);
        }
    }
}

//! Test servers, databases and an HTTP client that behaves like a browser (cookies, CSRF).

use patron_app::staff::{FirstPassword, StaffInput};
use patron_app::{App, Config, ManualClock};
use patron_store::{ConnectOptions, Db};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Declares `sqlite` and `postgres` tests for an `async fn name(kind: Kind)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                patron_app::install_tls();
                super::$name($crate::harness::Kind::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                patron_app::install_tls();
                super::$name($crate::harness::Kind::Postgres).await
            }
        }
    };
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", patron_app::credentials::random_token(6))
}

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(unique("patron-it-"));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The PostgreSQL server URL, or `None` (after saying so) when not configured.
pub fn pg_url() -> Option<String> {
    match std::env::var("PATRON_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("PATRON_TEST_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!("PATRON_TEST_REQUIRE_PG=1 but PATRON_TEST_PG_URL is not set");
            }
            eprintln!("SKIPPED: PostgreSQL test, PATRON_TEST_PG_URL not set");
            None
        }
    }
}

/// A fresh, empty database URL of the given kind.
pub async fn fresh_db_url(kind: Kind, dir: &std::path::Path) -> Option<String> {
    match kind {
        Kind::Sqlite => Some(format!(
            "sqlite://{}?mode=rwc",
            dir.join("patron.db").display()
        )),
        Kind::Postgres => {
            let admin = pg_url()?;
            let name = unique("patron_t_");
            let db = Db::connect(&ConnectOptions::new(admin.clone()))
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(db.pool())
                .await
                .expect("create database");
            db.close().await;
            let (base, _) = admin.rsplit_once('/').expect("PG URL has a database name");
            Some(format!("{base}/{name}"))
        }
    }
}

pub fn start_time() -> jiff::Timestamp {
    "2026-11-23T02:00:00Z".parse().expect("timestamp")
}

pub fn test_config(dir: &std::path::Path, url: &str) -> Config {
    let mut c = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    c.database.url = url.to_string();
    c.database.synchronous = patron_store::Synchronous::Normal;
    c.server.listen = "127.0.0.1:0".into();
    c.security.totp_required_roles.clear();
    c
}

/// An opened, migrated database and application with a manual clock (no server).
pub async fn open_app(
    kind: Kind,
    tweak: impl FnOnce(&mut Config),
) -> Option<(App, Arc<ManualClock>, PathBuf)> {
    let dir = temp_dir();
    let url = fresh_db_url(kind, &dir).await?;
    let mut config = test_config(&dir, &url);
    tweak(&mut config);
    let db = Db::connect(&ConnectOptions::new(config.database_url()))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let clock = Arc::new(ManualClock::new(start_time()));
    let keys = App::open_keyring(&config, &db).await.expect("keys");
    let app = App::new(db, clock.clone(), Arc::new(config), Arc::new(keys));
    app.db().seed_roles(app.now()).await.expect("seed roles");
    Some((app, clock, dir))
}

pub struct Server {
    pub base: String,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub dir: PathBuf,
    stop: watch::Sender<bool>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Starts a graceful shutdown and waits until the server has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(h) = self.served.take() {
            h.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    /// Starts a graceful shutdown without waiting.
    pub fn begin_shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A server whose first-run set-up is done (first admin `owner`), as after installation.
pub async fn start(kind: Kind, tweak: impl FnOnce(&mut Config)) -> Option<Server> {
    let s = start_fresh(kind, tweak).await?;
    let owner = StaffInput {
        username: "owner".into(),
        display_name: "店主".into(),
        ..Default::default()
    };
    s.app
        .create_first_admin(&owner, PASSWORD, false, None)
        .await
        .expect("first admin");
    Some(s)
}

/// A server on an empty database: first-run set-up not done.
pub async fn start_fresh(kind: Kind, tweak: impl FnOnce(&mut Config)) -> Option<Server> {
    let (app, clock, dir) = open_app(kind, tweak).await?;
    let state = patron_web::AppState::new(app.clone()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, mut rx) = watch::channel(false);
    let served = tokio::spawn(patron_web::serve(state, listener, async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    Some(Server {
        base,
        app,
        clock,
        dir,
        stop,
        served: Some(served),
    })
}

/// A store for tests: returns its id.
pub async fn store(app: &App, code: &str) -> i64 {
    app.create_store(
        None,
        code,
        &format!("测试门店{code}"),
        "Asia/Shanghai",
        None,
    )
    .await
    .expect("store")
    .id
}

pub const PASSWORD: &str = "门店会员管理很安全";

/// An active account with `PASSWORD` (no forced change); returns its id.
pub async fn staff(app: &App, username: &str, role: &str, store_id: Option<i64>) -> i64 {
    let input = StaffInput {
        username: username.into(),
        display_name: format!("员工{username}"),
        email: format!("{username}@shop.example.cn"),
        role: role.into(),
        store_id,
    };
    app.create_staff(None, &input, FirstPassword::Set(PASSWORD.into()), None)
        .await
        .expect("staff")
}

pub struct Resp {
    pub status: u16,
    pub location: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// Cookies and the CSRF token of the last page, like a browser tab.
pub struct Client {
    pub base: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    csrf: Mutex<String>,
    pub origin: Mutex<Option<String>>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Client {
            base: base.to_string(),
            http,
            cookies: Mutex::default(),
            csrf: Mutex::default(),
            origin: Mutex::new(None),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        let c = self.cookies.lock().expect("lock");
        c.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("lock").get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .expect("lock")
            .insert(name.into(), value.into());
    }

    pub fn csrf(&self) -> String {
        self.csrf.lock().expect("lock").clone()
    }

    async fn finish(&self, res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for v in headers.get_all(reqwest::header::SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let first = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                let mut c = self.cookies.lock().expect("lock");
                if val.is_empty() || v.contains("Max-Age=0") {
                    c.remove(k)
                } else {
                    c.insert(k.to_string(), val.to_string())
                };
            }
        }
        let location = headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = res.text().await.unwrap_or_default();
        if let Some(i) = body.find("name=\"_csrf\" value=\"") {
            let rest = &body[i + 20..];
            if let Some(end) = rest.find('"') {
                *self.csrf.lock().expect("lock") = rest[..end].to_string();
            }
        }
        Resp {
            status,
            location,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.finish(res).await
    }

    /// Posts a form with the current CSRF token (unless the fields already carry `_csrf`).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            form.push(("_csrf".into(), self.csrf()));
        }
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(&form);
        if let Some(o) = self.origin.lock().expect("lock").clone() {
            req = req.header("origin", o);
        }
        self.finish(req.send().await.expect("POST")).await
    }

    /// Posts a multipart form (a file upload) to a path that carries its CSRF token.
    pub async fn multipart(&self, path: &str, form: reqwest::multipart::Form) -> Resp {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .multipart(form);
        self.finish(req.send().await.expect("POST")).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.get("/login").await;
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

/// JSON API calls with a bearer credential.
pub async fn api(
    base: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value, String) {
    let http = reqwest::Client::new();
    let mut req = http.request(method.parse().expect("method"), format!("{base}{path}"));
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("API call");
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        ctype,
    )
}

/// A till's POST to `/api/v1/checkout` with an Idempotency-Key.
pub async fn api_with_key(
    base: &str,
    till: &str,
    key: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value, String) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/checkout"))
        .header("authorization", format!("Bearer {till}"))
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("checkout");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        String::new(),
    )
}

/// The secret shown once on a page (`<code id="new-secret">…</code>`).
pub fn shown_secret(body: &str) -> String {
    let start = body.find("id=\"new-secret\">").expect("secret shown") + 16;
    body[start..].split('<').next().expect("secret").to_string()
}

/// A new personal API token for an existing account.
pub async fn token_for(app: &App, username: &str) -> String {
    let id = app
        .db()
        .staff_by_username(username)
        .await
        .expect("query")
        .expect("account exists")
        .id;
    app.create_api_token(None, id, "test", None)
        .await
        .expect("token")
        .secret
}

/// Audit rows, newest first, whose action starts with `action_prefix` and whose outcome is
/// `outcome` (empty for any).
pub async fn audit(
    app: &App,
    action_prefix: &str,
    outcome: &str,
) -> Vec<patron_store::audit::AuditRow> {
    let filter = patron_store::audit::AuditFilter {
        action_prefix: action_prefix.into(),
        outcome: outcome.into(),
        limit: 500,
        ..Default::default()
    };
    app.db()
        .list_audit(patron_store::Scope::Chain, &filter)
        .await
        .expect("audit")
}

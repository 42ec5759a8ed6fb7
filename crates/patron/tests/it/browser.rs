//! A person's first visit in headless Chromium (Debian's chromium and chromedriver), driven
//! over the W3C WebDriver protocol: first-run set-up, sign-in, a store, a staff member,
//! sign-out. `PATRON_TEST_REQUIRE_BROWSER=1` makes a missing browser a failure.

use crate::both;
use crate::harness::{Kind, start_fresh, temp_dir};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct WebDriver {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

impl WebDriver {
    pub(crate) async fn start() -> Option<WebDriver> {
        let available = std::path::Path::new("/usr/bin/chromium").exists()
            && std::path::Path::new("/usr/bin/chromedriver").exists();
        if !available {
            assert_ne!(
                std::env::var("PATRON_TEST_REQUIRE_BROWSER").as_deref(),
                Ok("1"),
                "chromium and chromedriver are required"
            );
            eprintln!("SKIPPED: browser test, chromium/chromedriver not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = temp_dir().join("chromium-profile");
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN",
                     format!("--user-data-dir={}", profile.display())]
        }}}});
        let res: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        Some(WebDriver {
            http,
            base,
            session,
            driver,
        })
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        if v["value"].get("error").is_some() {
            panic!("webdriver {method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call("POST", &format!("/element/{el}/clear"), json!({}))
            .await;
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call("POST", &format!("/element/{el}/click"), json!({}))
            .await;
    }

    pub(crate) async fn url(&self) -> String {
        self.call("GET", "/url", json!({}))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits (up to 10 s) for the page address to contain `part`: a click that submits a
    /// form returns before the next page has necessarily loaded.
    pub(crate) async fn wait_url(&self, part: &str) {
        for _ in 0..100 {
            if self.url().await.contains(part) && self.ready().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "expected {part}, at {}: {}",
            self.url().await,
            self.text().await
        );
    }

    pub(crate) async fn ready(&self) -> bool {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "return document.readyState", "args": []}),
        )
        .await
            == "complete"
    }

    pub(crate) async fn text(&self) -> String {
        let el = self.find("body").await;
        self.call("GET", &format!("/element/{el}/text"), json!({}))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Runs a script in the page and returns its value.
    pub(crate) async fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": js, "args": []}))
            .await
    }

    /// Sets the window's size, as a phone or a desktop would have it.
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    pub(crate) async fn displayed(&self, css: &str) -> bool {
        let el = self.find(css).await;
        self.call("GET", &format!("/element/{el}/displayed"), json!({}))
            .await
            .as_bool()
            .unwrap_or(false)
    }

    pub(crate) async fn attribute(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        self.call("GET", &format!("/element/{el}/attribute/{name}"), json!({}))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub(crate) async fn text_of(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.call("GET", &format!("/element/{el}/text"), json!({}))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        let b64 = self.call("GET", "/screenshot", json!({})).await;
        if let Some(png) = b64
            .as_str()
            .and_then(|s| data_encoding::BASE64.decode(s.as_bytes()).ok())
        {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }
}

async fn first_visit_in_a_browser(kind: Kind) {
    let Some(browser) = WebDriver::start().await else {
        return;
    };
    let Some(s) = start_fresh(kind, |_| {}).await else {
        return;
    };
    browser.goto(&format!("{}/", s.base)).await;
    browser.wait_url("/setup").await;
    assert!(
        browser.text().await.contains("请创建第一个管理员账号"),
        "Chinese first"
    );
    browser.fill("input[name=username]", "wang.min").await;
    browser.fill("input[name=display_name]", "王敏").await;
    browser
        .fill("input[name=password]", "王敏的管理员密码")
        .await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_url("/login?ok=setup_done").await;
    browser.fill("input[name=username]", "wang.min").await;
    browser
        .fill("input[name=password]", "王敏的管理员密码")
        .await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_url("/console").await;
    assert!(browser.text().await.contains("您好，王敏"));
    browser.screenshot(&format!("home-{kind:?}")).await;

    browser.goto(&format!("{}/console/stores", s.base)).await;
    browser.fill("input[name=code]", "SH01").await;
    browser.fill("input[name=name]", "上海徐汇旗舰店").await;
    browser.click("#create-store").await;
    browser.wait_url("ok=store_created").await;
    let text = browser.text().await;
    assert!(
        text.contains("门店已创建") && text.contains("上海徐汇旗舰店"),
        "{text}"
    );
    let store_id = s
        .app
        .db()
        .list_stores(patron_store::Scope::Chain)
        .await
        .expect("stores")[0]
        .id;

    browser.click("a[href='/console/staff']").await;
    browser.wait_url("/console/staff").await;
    browser.click("#new-staff").await;
    browser.wait_url("/console/staff/new").await;
    browser.fill("input[name=username]", "li.na").await;
    browser.fill("input[name=display_name]", "李娜").await;
    browser
        .click(&format!("select[name=store_id] option[value='{store_id}']"))
        .await;
    browser.click("input[name=mode][value=password]").await;
    browser
        .fill("input[name=password]", "李娜的初始登录密码")
        .await;
    browser.click("#create-staff").await;
    browser.wait_url("ok=staff_created").await;
    assert!(browser.text().await.contains("员工账号已创建"));
    browser.screenshot(&format!("staff-{kind:?}")).await;

    browser.click("#logout").await;
    browser.wait_url("/login?ok=logged_out").await;
    assert!(browser.text().await.contains("您已安全退出"));
    browser.goto(&format!("{}/console", s.base)).await;
    assert!(
        browser.url().await.ends_with("/login"),
        "signed out for real"
    );
    let staff = s
        .app
        .db()
        .staff_by_username("li.na")
        .await
        .expect("q")
        .expect("created");
    assert_eq!(
        (staff.role.as_str(), staff.store_id),
        ("sales_associate", Some(store_id))
    );
    browser.call("DELETE", "", json!({})).await;
}
both!(first_visit_in_a_browser);

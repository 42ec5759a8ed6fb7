//! Proof that personal data is encrypted at rest and kept out of logs: sentinel phones, ID
//! numbers, addresses, e-mails and notes go in through the API, the console's CLI import and
//! an interaction; then the raw bytes of every file in the data folder (database, WAL,
//! backups, uploads) and the server's debug log are searched for them. Zero occurrences.

use crate::harness::{api, temp_dir};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Values that occur nowhere else, in every form they could be stored or logged in.
const SENTINELS: &[&str] = &[
    "13912345671",
    "+8613912345671",
    "13912345672",
    "+8613912345672",
    "0571-88123456",
    "8657188123456",
    "520324199602299477",
    "231181200002290077",
    "哨兵路九九九号",
    "烽火台七七弄",
    "sentinel.mailbox@qq.com",
    "哨兵备注内容",
    "哨兵互动记录",
    "1996-02-29",
];

fn patron(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_patron"));
    c.env_remove("PATRON_DATABASE_URL")
        .arg("--data-dir")
        .arg(dir);
    c
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = patron(dir);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success() || args[0] == "import",
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` except the key file, with any sentinel found in it.
fn leaks(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            leaks(&path, found);
            continue;
        }
        if path.ends_with("keys/patron.keys") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        for s in SENTINELS {
            let needle = s.as_bytes();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(format!("{} in {}", s, path.display()));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_never_reaches_disk_or_logs_in_clear() {
    let dir = temp_dir();
    let mut log = String::new();
    log += &run(
        &dir,
        &["store", "add", "--code", "S01", "--name", "哨兵店"],
        None,
    );
    log += &run(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("老板的长密码很安全\n"),
    );
    let token = run(
        &dir,
        &["token", "create", "--user", "boss", "--name", "t"],
        None,
    );
    let token = token
        .lines()
        .find(|l| l.starts_with("pt_"))
        .expect("token")
        .trim()
        .to_string();
    let csv = dir.join("import.csv");
    std::fs::write(
        &csv,
        "姓名,手机号,其他电话,地址,身份证号\n烽火,13912345672,0571-88123456,烽火台七七弄,231181200002290077\n",
    )
    .expect("write");
    log += &run(
        &dir,
        &[
            "import",
            "customers",
            csv.to_str().expect("path"),
            "--store",
            "S01",
            "--consent",
            "id_number",
            "--bulk",
        ],
        None,
    );
    std::fs::remove_file(&csv).expect("remove the input file itself");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut server = patron(&dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("PATRON_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The debug log is read while the server runs: a full pipe would stop the server at
    // its next log line (it did, once the log outgrew the pipe's 64 KiB).
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out_reader = drain(
        server
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let err_reader = drain(
        server
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let base = format!("http://127.0.0.1:{port}");
    let (st, c, _) = api(
        &base,
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(
            json!({"store_id": 1, "name": "哨兵", "mobile": "139 1234 5671",
            "id_number": "520324199602299477", "consents": ["id_number"],
            "addresses": ["上海市哨兵路九九九号"], "email": "sentinel.mailbox@qq.com",
            "notes": "哨兵备注内容"}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let id = c["id"].as_i64().expect("id");
    let (st, _, _) = api(
        &base,
        "POST",
        &format!("/api/v1/customers/{id}/interactions"),
        Some(&token),
        Some(json!({"kind": "note", "note": "哨兵互动记录"})),
    )
    .await;
    assert_eq!(st, 201);
    // Reads and searches log requests too.
    let (st, full, _) = api(
        &base,
        "GET",
        &format!("/api/v1/customers/{id}?reveal=true&reason=sentinel"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (st, full["mobile"].as_str()),
        (200, Some("+8613912345671")),
        "the admin sees it whole"
    );
    api(
        &base,
        "GET",
        "/api/v1/customers?q=13912345671",
        Some(&token),
        None,
    )
    .await;
    api(&base, "GET", "/api/v1/customers?q=5671", Some(&token), None).await;

    // While the server runs the WAL holds the newest pages.
    let mut found = Vec::new();
    leaks(&dir, &mut found);
    assert!(found.is_empty(), "while running: {found:?}");
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    server.wait().expect("wait");
    log += &out_reader.join().expect("stdout");
    log += &err_reader.join().expect("stderr");
    assert!(log.contains("request"), "the debug log was captured");
    log += &run(&dir, &["backup", "create"], None);
    let mut found = Vec::new();
    leaks(&dir, &mut found);
    for s in SENTINELS {
        if log.contains(s) {
            found.push(format!("{s} in the log"));
        }
    }
    assert!(found.is_empty(), "{found:?}");
    // Control: names are stored in clear (for search), so the scan must find this one; if it
    // did not, the scan would be reading the wrong files and prove nothing.
    let db = std::fs::read(dir.join("patron.db")).expect("db");
    let name = "烽火".as_bytes();
    assert!(
        db.windows(name.len()).any(|w| w == name),
        "the scan sees stored text"
    );
    let backups = dir.join("backups");
    assert!(
        backups
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(false),
        "a backup was written and searched"
    );
}

//! Opening the database, starting the server and its background worker, and stopping them
//! gracefully on SIGTERM or Ctrl-C.

use anyhow::Context;
use patron_app::{App, Config, SystemClock, datadir};
use patron_domain::Clock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub fn init_logging(config: &Config) {
    let filter = std::env::var("PATRON_LOG").unwrap_or_else(|_| config.log.level.clone());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn now() -> jiff::Timestamp {
    SystemClock.now()
}

/// Opens the application on the configured database and data folder.
pub async fn open(config: Config) -> anyhow::Result<App> {
    Ok(App::open(config, Arc::new(SystemClock)).await?)
}

pub async fn serve(mut config: Config, demo: bool) -> anyhow::Result<()> {
    if demo {
        // The demo is for trying Patron out: no authenticator app needed to look around.
        config.security.totp_required_roles.clear();
    }
    let _lock = datadir::lock(&config.data_dir)?;
    let app = open(config).await?;
    let seeded = if demo {
        patron_app::demo::seed(&app).await?
    } else {
        None
    };
    let state = patron_web::AppState::new(app.clone()).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(&app.config().server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.config().server.listen))?;
    let url = app.config().public_url();
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(patron_app::jobs::worker(app.clone(), stop_rx.clone()));
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(patron_web::serve(state, listener, async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));
    announce(&url, demo, seeded.as_ref(), &app).await?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    let _ = stop_tx.send(true);
    let grace = Duration::from_secs(app.config().server.shutdown_grace_seconds);
    if tokio::time::timeout(grace, server).await.is_err() {
        tracing::warn!("requests still running after the grace period were cut off");
    }
    let _ = tokio::time::timeout(grace, worker).await;
    app.close().await;
    tracing::info!("stopped");
    Ok(())
}

// The `serve` command's output: where to open Patron, and the demo's first sign-in.
#[allow(clippy::print_stdout)]
async fn announce(
    url: &str,
    demo: bool,
    seeded: Option<&patron_app::demo::DemoSeed>,
    app: &App,
) -> anyhow::Result<()> {
    println!("Patron is running at {url}");
    if demo {
        match seeded {
            Some(s) => {
                println!("演示数据已创建 / demo data created: 3 stores, 21 staff accounts");
                println!(
                    "管理员 / admin: {}   一次性密码 / one-time password: {}",
                    s.admin_username, s.admin_password
                );
                println!("首次登录须修改密码 / you will choose a new password at first sign-in");
            }
            None => println!(
                "演示数据已存在 / demo data already present; `patron user reset-password admin` gives a new one-time password"
            ),
        }
    } else if !app.setup_done().await? {
        println!("First run: open {url}/setup to create the administrator");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

//! Command-line interface for operators and scripts. Every command that changes data writes
//! the same audit rows as the console (actor `cli`).

use crate::launch;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use patron_app::staff::{FirstPassword, StaffInput};
use patron_app::{App, Config};
use patron_domain::staff::Username;
use patron_domain::store::StoreCode;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "patron",
    version,
    about = "Customer management for physical stores"
)]
pub struct Cli {
    /// The data folder (database, backups, outbox files). Default ./patron-data.
    #[arg(long, global = true, env = "PATRON_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A configuration file. Default: patron.toml in the data folder, if present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run the server with demo data (fills an empty database; prints a one-time admin password).
    Demo(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Show or check the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Stores.
    #[command(subcommand)]
    Store(StoreCmd),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Till API keys.
    #[command(subcommand)]
    Apikey(ApiKeyCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Backups of the embedded database.
    #[command(subcommand)]
    Backup(BackupCmd),
    /// Import data from CSV or Excel files.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Keys for personal data at rest.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Consistency checks for operators.
    #[command(subcommand)]
    Check(CheckCmd),
    /// Recompute every customer's classes now (the nightly job does this on its own).
    Reclassify,
    /// Reports: summary, sales, cohorts, lifecycle (as table, CSV, xlsx or JSON).
    #[command(subcommand)]
    Report(crate::reports::ReportCmd),
    /// The report roll-ups.
    #[command(subcommand)]
    Reports(crate::reports::ReportsCmd),
}

#[derive(Subcommand, Debug)]
enum CheckCmd {
    /// Every points balance equals the sum of its ledger entries and of its lots; exits 2
    /// and lists the customers where it does not.
    Ledger,
}

#[derive(Subcommand, Debug)]
enum ImportCmd {
    /// Customer files. Exit code 0: every row imported; 2: some rows rejected; 1: failure.
    Customers(crate::transfer::ImportArgs),
    /// Sales history (receipt, time, store, phone or archive number, sku, category,
    /// quantity, unit price), one line per row, lines of a receipt consecutive. A file
    /// imported twice skips the receipts already stored. Exit code 0: every receipt saved;
    /// 2: some rejected; 1: failure.
    Sales {
        file: std::path::PathBuf,
        /// Members earn points for these sales as the programme says today (default: the
        /// history fills statistics and tiers only).
        #[arg(long)]
        earn_points: bool,
        /// Language of the messages: zh or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// The product list (sku, name, category, brand, price in yuan). Existing SKUs are
    /// updated. Exit code 0: every row saved; 2: some rows rejected; 1: failure.
    Products {
        file: std::path::PathBuf,
        /// Language of the messages: zh or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCmd {
    /// Add a new data key and re-encrypt every value under it, while the server runs.
    Rotate,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Print a commented configuration file with every default.
    Example,
    /// Load the configuration (file and environment) and report problems.
    Check,
}

#[derive(Subcommand, Debug)]
enum StoreCmd {
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "Asia/Shanghai")]
        timezone: String,
    },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Create an account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Store code, for roles bound to a store.
        #[arg(long)]
        store: Option<String>,
        /// Display name; defaults to the username.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable an account: its sessions and tokens stop working at once.
    Disable { username: String },
    /// Set a one-time password (printed once); the holder must change it at sign-in.
    ResetPassword { username: String },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Create a personal API token for a user; printed once. It expires after
    /// `security.token_valid_days`, and dies with a password change or reset or a disabled account.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum ApiKeyCmd {
    /// Create a till key bound to one store; printed once.
    Create {
        #[arg(long)]
        store: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Check the keyed hash chain against the checkpoints in the data folder; exits 2 and
    /// names the first bad row (or the missing tail) if it was tampered with.
    Verify,
    /// Sign the log's head into the checkpoint file now (the daily job does this on its own).
    Checkpoint {
        /// The database was set back on purpose (a PostgreSQL dump restored): retire the
        /// checkpoints that saw the log go further. `patron backup restore` does this itself.
        #[arg(long)]
        after_restore: bool,
    },
}

#[derive(Subcommand, Debug)]
enum BackupCmd {
    /// Write a consistent copy of the database (the server may keep running).
    Create {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the database with a backup (stop the server first).
    Restore { file: PathBuf },
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config::load(
        cli.config.as_deref(),
        cli.data_dir.as_deref(),
        std::env::vars(),
    )?)
}

// Command output: `config`, `migrate` and `backup restore` print their result.
#[allow(clippy::print_stdout)]
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Config(ConfigCmd::Example) = cli.command {
        print!("{}", patron_app::config::EXAMPLE);
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = load_config(&cli)?;
    launch::init_logging(&config);
    match cli.command {
        Command::Serve(ref args) | Command::Demo(ref args) if args.listen.is_some() => {
            config.server.listen = args.listen.clone().unwrap_or_default();
            config.validate()?;
        }
        _ => {}
    }
    match cli.command {
        Command::Serve(_) => launch::serve(config, false)
            .await
            .map(|_| ExitCode::SUCCESS),
        Command::Demo(_) => launch::serve(config, true).await.map(|_| ExitCode::SUCCESS),
        Command::Config(ConfigCmd::Check) => {
            let db_kind = if config.database_url().starts_with("sqlite:") {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            println!(
                "configuration OK: listening on {}, {db_kind} database, data folder {}",
                config.server.listen,
                config.data_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCmd::Example) => Ok(ExitCode::SUCCESS),
        Command::Migrate => {
            let app = launch::open(config).await?;
            app.close().await;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(BackupCmd::Restore { file }) => {
            let kept = patron_app::backup::restore(&config, &file, launch::now()).await?;
            println!(
                "restored {}; the previous database was kept as {}",
                file.display(),
                kept.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        command => {
            let app = launch::open(config).await?;
            let code = admin_command(&app, command).await;
            app.close().await;
            code
        }
    }
}

pub(crate) async fn store_id(app: &App, code: &str) -> anyhow::Result<i64> {
    let code =
        StoreCode::parse(code).map_err(|_| anyhow::anyhow!("invalid store code '{code}'"))?;
    app.store_by_code(&code)
        .await
        .map(|s| s.id)
        .with_context(|| format!("no store with code {}", code.as_str()))
}

async fn staff_id(app: &App, username: &str) -> anyhow::Result<i64> {
    let name =
        Username::parse(username).map_err(|_| anyhow::anyhow!("invalid username '{username}'"))?;
    match app.staff_by_username(&name).await? {
        Some(s) => Ok(s.id),
        None => bail!("no user named {}", name.as_str()),
    }
}

pub(crate) fn explain(e: patron_app::AppError) -> anyhow::Error {
    match e {
        patron_app::AppError::Field(f) => anyhow::anyhow!("{}: {}", f.field, message(f.key)),
        patron_app::AppError::Conflict { key, .. } => anyhow::anyhow!("{}", message(key)),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Operators read the CLI in English; the catalog's English text says what is wrong.
fn message(key: &str) -> &'static str {
    patron_web::Lang::En.t(key)
}

// Command output: the result on standard output, warnings and failures on standard error.
#[allow(clippy::print_stdout, clippy::print_stderr)]
async fn admin_command(app: &App, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Store(StoreCmd::Add {
            code,
            name,
            timezone,
        }) => {
            let s = app
                .create_store(None, &code, &name, &timezone, None)
                .await
                .map_err(explain)?;
            println!("store {} ({}) created with id {}", s.code, s.name, s.id);
        }
        Command::User(UserCmd::Add {
            username,
            role,
            store,
            name,
            email,
            password_stdin: _,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let store_id = match store {
                Some(code) => Some(store_id(app, &code).await?),
                None => None,
            };
            let input = StaffInput {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                email: email.unwrap_or_default(),
                role,
                store_id,
            };
            let id = if input.role == "admin" && !app.setup_done().await? {
                app.create_first_admin(&input, &password, false, None)
                    .await
                    .map_err(explain)?
            } else {
                app.create_staff(None, &input, FirstPassword::Set(password), None)
                    .await
                    .map_err(explain)?
            };
            println!(
                "user {} created with id {id}",
                input.username.trim().to_lowercase()
            );
        }
        Command::User(UserCmd::Disable { username }) => {
            let id = staff_id(app, &username).await?;
            app.set_staff_active(None, id, false, None)
                .await
                .map_err(explain)?;
            println!("user {username} disabled; their sessions and tokens no longer work");
        }
        Command::User(UserCmd::ResetPassword { username }) => {
            let password = app
                .reset_password_to_temporary(&username)
                .await
                .map_err(explain)?;
            println!("one-time password for {username} (must be changed at sign-in): {password}");
        }
        Command::Token(TokenCmd::Create { user, name }) => {
            let id = staff_id(app, &user).await?;
            let issued = app
                .create_api_token(None, id, &name, None)
                .await
                .map_err(explain)?;
            println!("{}", issued.secret);
            eprintln!(
                "personal token for {user}, valid until {} (UTC); shown only once, store it safely",
                issued.expires_at.strftime("%Y-%m-%d %H:%M")
            );
        }
        Command::Apikey(ApiKeyCmd::Create { store, name }) => {
            let id = store_id(app, &store).await?;
            let secret = app
                .create_api_key(None, id, &name, None)
                .await
                .map_err(explain)?;
            println!("{secret}");
            eprintln!("till key for store {store}; shown only once, store it safely");
        }
        Command::Audit(AuditCmd::Verify) => match app.verify_audit().await? {
            Ok(n) => println!("audit log intact: {n} records verified"),
            Err(b) => {
                eprintln!("audit log TAMPERED: {b}");
                return Ok(ExitCode::from(2));
            }
        },
        Command::Audit(AuditCmd::Checkpoint { after_restore }) => {
            use patron_domain::audit::checkpoint::CheckpointKind;
            let kind = if after_restore {
                CheckpointKind::Restore
            } else {
                CheckpointKind::Manual
            };
            let (c, mailed) = app.write_audit_checkpoint(kind, app.now()).await?;
            println!(
                "checkpoint at record #{} written to {}; e-mailed to {mailed} admins",
                c.seq,
                patron_app::audit::checkpoint_file(&app.config().data_dir).display()
            );
        }
        Command::Backup(BackupCmd::Create { out }) => {
            let path = patron_app::backup::create(app, out.as_deref(), app.now())
                .await
                .map_err(explain)?;
            println!("backup written to {}", path.display());
        }
        Command::Import(ImportCmd::Customers(args)) => {
            return crate::transfer::import_customers(app, args).await;
        }
        Command::Import(ImportCmd::Sales {
            file,
            earn_points,
            lang,
        }) => {
            return crate::transfer::import_sales(app, &file, earn_points, &lang).await;
        }
        Command::Import(ImportCmd::Products { file, lang }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let lang = patron_web::Lang::parse(&lang).unwrap_or(patron_web::Lang::Zh);
            let report = app.import_products(&bytes).await.map_err(explain)?;
            println!(
                "{} products saved, {} rows rejected",
                report.saved,
                report.rejected.len()
            );
            for (row, field, key) in &report.rejected {
                println!("row {row} {field}: {}", lang.t(key));
            }
            if !report.rejected.is_empty() {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Check(CheckCmd::Ledger) => {
            let bad = app.points_mismatches().await?;
            if bad.is_empty() {
                println!("points ledger consistent: every balance equals its entries and lots");
            } else {
                for m in &bad {
                    eprintln!(
                        "customer {}: balance {}, entries sum {}, lots hold {}",
                        m.customer_id, m.balance, m.entries, m.lots
                    );
                }
                eprintln!("points ledger INCONSISTENT for {} customers", bad.len());
                return Ok(ExitCode::from(2));
            }
        }
        Command::Reclassify => {
            let r = app.reclassify(app.now()).await?;
            println!(
                "{} customers classified, {} changed, in {} ms",
                r.customers, r.changed, r.took_ms
            );
            for m in &r.moves {
                let from = m.from.map_or("-", |c| c.code());
                println!("{from} -> {}: {}", m.to.code(), m.customers);
            }
        }
        Command::Keys(KeysCmd::Rotate) => {
            return crate::transfer::rotate_keys(app).await;
        }
        Command::Report(cmd) => {
            return crate::reports::run(app, cmd).await;
        }
        Command::Reports(crate::reports::ReportsCmd::Rebuild) => {
            return crate::reports::rebuild(app).await;
        }
        other => bail!("unexpected command {other:?}"),
    }
    Ok(ExitCode::SUCCESS)
}

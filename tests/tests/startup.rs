//! Starting the binary: zero configuration, configuration sources, and the one-line
//! errors of a start that cannot succeed.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::net::TcpListener;
use switchboard_tests::{Backend, Started, TestDb, run_to_exit, run_to_exit_unprivileged};

fn basic_ok(url: &str, credential: &str) -> u16 {
    let (key_id, secret) = credential.split_once(':').expect("key_id:secret");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        switchboard_tests::http_client()
            .get(format!("{url}/v1/extensions"))
            .basic_auth(key_id, Some(secret))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

fn admin_key_lines(stdout: &[String]) -> Vec<String> {
    stdout
        .iter()
        .filter_map(|l| l.strip_prefix("admin API key: ").map(str::to_owned))
        .collect()
}

/// A start must end with exactly one line on stderr, `error: …`, and status 1.
fn assert_one_line_error(code: i32, stderr: &str, expected: &[&str]) {
    assert_eq!(code, 1, "exit status; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for e in expected {
        assert!(lines[0].contains(e), "{:?} should mention {e:?}", lines[0]);
    }
}

async fn first_start_prints_admin_key_once(backend: Backend) {
    let db = TestDb::create(backend).await;
    let cwd = tempfile::tempdir().unwrap();
    let cwd_path = cwd.path().to_owned();
    let db_env = if backend == Backend::Postgres {
        Some(db.url.clone())
    } else {
        None
    };
    tokio::task::spawn_blocking(move || {
        // Nothing configured but a free port (tests run in parallel) and, for
        // PostgreSQL, the database: the data directory defaults to ./data.
        let mut env = vec![("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned())];
        if let Some(url) = db_env {
            env.push(("DATABASE_URL", url));
        }
        let start = |env: &[(&str, String)]| {
            let mut p = Started::spawn_in(Some(&cwd_path), env, &[]);
            let url = p.wait_ready();
            (p, url)
        };

        let (first, url) = start(&env);
        let keys = admin_key_lines(&first.stdout.lock().unwrap());
        assert_eq!(keys.len(), 1, "first start prints one admin key");
        let key = keys[0].clone();
        assert!(key.starts_with("SK") && key.contains(':'), "{key}");
        assert_eq!(basic_ok(&url, &key), 200, "the printed key works");
        assert!(
            cwd_path.join("data").is_dir(),
            "default data directory ./data"
        );
        if backend == Backend::Sqlite {
            let db_file = cwd_path.join("data/switchboard.db");
            assert!(db_file.is_file(), "default database ./data/switchboard.db");
            let secret = key.split_once(':').unwrap().1;
            let bytes = std::fs::read(&db_file).unwrap();
            let wal = std::fs::read(cwd_path.join("data/switchboard.db-wal")).unwrap_or_default();
            for file in [&bytes, &wal] {
                assert!(
                    !file.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "the secret must not be stored"
                );
            }
        }
        drop(first);

        let (second, url) = start(&env);
        assert!(
            admin_key_lines(&second.stdout.lock().unwrap()).is_empty(),
            "printed only once"
        );
        assert_eq!(basic_ok(&url, &key), 200, "the key survives a restart");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn sqlite_first_start_prints_admin_key_once() {
    first_start_prints_admin_key_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_first_start_prints_admin_key_once() {
    first_start_prints_admin_key_once(Backend::Postgres).await;
}

#[test]
fn admin_key_from_environment_is_ensured_and_nothing_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SWITCHBOARD_DATA_DIR", dir.path().display().to_string()),
        (
            "SWITCHBOARD_ADMIN_KEY",
            "ci-admin:0123456789abcdef0123".to_owned(),
        ),
    ];
    let mut p = Started::spawn(&env, &[]);
    let url = p.wait_ready();
    assert!(admin_key_lines(&p.stdout.lock().unwrap()).is_empty());
    assert_eq!(basic_ok(&url, "ci-admin:0123456789abcdef0123"), 200);
    assert_eq!(basic_ok(&url, "ci-admin:wrong-secret-0123456"), 401);
}

#[test]
fn toml_file_is_read_and_flags_and_environment_win() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-file");
    let file = dir.path().join("switchboard.toml");
    std::fs::write(
        &file,
        format!(
            "http_addr = \"127.0.0.1:1\"\ndata_dir = \"{}\"\nadmin_key = \"file-admin:0123456789abcdef\"\n",
            data.display()
        ),
    )
    .unwrap();
    // The file's port 1 would fail; the flag replaces it.
    let env = [("SWITCHBOARD_CONFIG", file.display().to_string())];
    let mut p = Started::spawn(&env, &["--http-addr", "127.0.0.1:0"]);
    let url = p.wait_ready();
    assert!(
        data.join("switchboard.db").is_file(),
        "data_dir from the file"
    );
    assert_eq!(
        basic_ok(&url, "file-admin:0123456789abcdef"),
        200,
        "admin_key from the file"
    );
    drop(p);

    // The environment wins over the file too.
    let env = [
        ("SWITCHBOARD_CONFIG", file.display().to_string()),
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
    ];
    let mut p = Started::spawn(&env, &[]);
    p.wait_ready();
}

#[test]
fn a_typo_in_the_config_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("switchboard.toml");
    std::fs::write(&file, "htp_addr = \"127.0.0.1:0\"\n").unwrap();
    let (code, _, stderr) = run_to_exit(&[("SWITCHBOARD_CONFIG", file.display().to_string())], &[]);
    assert_one_line_error(
        code,
        &stderr,
        &["switchboard.toml", "unknown field `htp_addr`"],
    );
}

#[test]
fn bad_database_urls_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = |url: &str| {
        vec![
            ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
            ("SWITCHBOARD_DATA_DIR", dir.path().display().to_string()),
            ("DATABASE_URL", url.to_owned()),
        ]
    };
    let (code, _, stderr) = run_to_exit(&base("mysql://root@127.0.0.1/x"), &[]);
    assert_one_line_error(code, &stderr, &["DATABASE_URL", "mysql://root@127.0.0.1/x"]);

    // Nothing listens on port 1; the password must not be printed.
    let (code, _, stderr) = run_to_exit(&base("postgres://sb:hunter2@127.0.0.1:1/sb"), &[]);
    assert_one_line_error(code, &stderr, &["cannot open database", "127.0.0.1:1"]);
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // A SQLite file inside a path that is a file cannot be created.
    let not_a_dir = dir.path().join("plain-file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let url = format!("sqlite://{}/sub/switchboard.db", not_a_dir.display());
    let (code, _, stderr) = run_to_exit(&base(&url), &[]);
    assert_one_line_error(code, &stderr, &["cannot open database"]);
}

#[test]
fn a_port_in_use_is_a_one_line_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_HTTP_ADDR", addr.clone()),
        ("SWITCHBOARD_DATA_DIR", dir.path().display().to_string()),
    ];
    let (code, _, stderr) = run_to_exit(&env, &[]);
    assert_one_line_error(
        code,
        &stderr,
        &["cannot listen for HTTP on", &addr, "in use"],
    );
}

#[test]
fn an_unusable_data_directory_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    for data_dir in [file.clone(), file.join("below-a-file")] {
        let env = [
            ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
            ("SWITCHBOARD_DATA_DIR", data_dir.display().to_string()),
        ];
        let (code, _, stderr) = run_to_exit(&env, &[]);
        assert_one_line_error(
            code,
            &stderr,
            &["data directory", &data_dir.display().to_string()],
        );
    }
}

#[test]
fn a_data_directory_without_permission_is_a_one_line_error() {
    use std::os::unix::fs::PermissionsExt;
    // A folder only its owner may enter, run as someone else (or, unprivileged, a
    // read-only folder of our own): the data directory cannot be created or written.
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    for data_dir in [locked.clone(), locked.join("data")] {
        let env = [
            ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
            ("SWITCHBOARD_DATA_DIR", data_dir.display().to_string()),
        ];
        let (code, _, stderr) = run_to_exit_unprivileged(&env, &[]);
        assert_one_line_error(
            code,
            &stderr,
            &[
                "data directory",
                &data_dir.display().to_string(),
                "Permission denied",
            ],
        );
    }
}

#[test]
fn invalid_settings_are_one_line_errors() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "SWITCHBOARD_ADMIN_KEY",
            "no-colon-here",
            "SWITCHBOARD_ADMIN_KEY",
        ),
        ("SWITCHBOARD_ADMIN_KEY", "ci-admin:short", "at least 16"),
        ("SWITCHBOARD_LOG", "info,[[[", "SWITCHBOARD_LOG"),
        ("SWITCHBOARD_TOKEN_TTL", "0", "token_ttl"),
    ];
    for (name, value, expected) in cases {
        let (code, _, stderr) = run_to_exit(&[(name, value.to_owned())], &[]);
        assert_one_line_error(code, &stderr, &[expected]);
    }
    // clap reports unparsable values itself, naming the setting, with status 2.
    let (code, _, stderr) = run_to_exit(&[("SWITCHBOARD_HTTP_ADDR", "localhost".to_owned())], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--http-addr"), "{stderr}");
}

#[test]
fn help_lists_every_environment_variable() {
    let (code, stdout, _) = run_to_exit(&[], &["--help"]);
    assert_eq!(code, 0);
    for name in [
        "SWITCHBOARD_HTTP_ADDR",
        "SWITCHBOARD_SIP_ADDR",
        "SWITCHBOARD_DATA_DIR",
        "DATABASE_URL",
        "SWITCHBOARD_ADMIN_KEY",
        "SWITCHBOARD_LOG",
        "SWITCHBOARD_CONFIG",
    ] {
        assert!(stdout.contains(name), "--help should mention {name}");
    }
}

/// Managed PostgreSQL services require TLS: `sslmode=require` in the URL is honoured.
#[tokio::test]
async fn postgres_over_tls() {
    use sqlx::{Connection, Row};
    let db = TestDb::create(Backend::Postgres).await;
    let db_name = db.url.rsplit('/').next().unwrap().to_owned();
    let url = format!("{}?sslmode=require", db.url);
    let data = tempfile::tempdir().unwrap();
    let env = vec![
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SWITCHBOARD_DATA_DIR", data.path().display().to_string()),
        ("DATABASE_URL", url),
        (
            "SWITCHBOARD_ADMIN_KEY",
            "tls-admin:0123456789abcdef".to_owned(),
        ),
    ];
    let (process, base) = tokio::task::spawn_blocking(move || {
        let mut p = Started::spawn(&env, &[]);
        let url = p.wait_ready();
        (p, url)
    })
    .await
    .unwrap();
    let health = switchboard_tests::http_client()
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let mut admin = sqlx::PgConnection::connect(&switchboard_tests::postgres_admin_url())
        .await
        .unwrap();
    let encrypted: i64 = sqlx::query(
        "SELECT count(*) AS n FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = $1 AND ssl",
    )
    .bind(&db_name)
    .fetch_one(&mut admin)
    .await
    .unwrap()
    .get("n");
    assert!(encrypted >= 1, "the server's connections use TLS");
    drop(process);
}

/// Without SWITCHBOARD_LOG, a newcomer's first lines are Switchboard's: the SIP stack
/// speaks only from `warn` (its `info` lines about every connection, the readiness probe
/// included, are not shown).
#[test]
fn the_default_log_shows_switchboards_lines_not_the_sip_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SWITCHBOARD_DATA_DIR", dir.path().display().to_string()),
    ];
    let unset = ["env", "-u", "SWITCHBOARD_LOG"].map(str::to_owned);
    let mut p = Started::spawn_via(&unset, None, &env, &[]);
    p.wait_ready();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = p.stderr_text();
    assert!(log.contains("switchboard ready"), "{log}");
    assert!(
        !log.contains("rsipstack"),
        "the SIP stack's info lines: {log}"
    );
}

/// Unprivileged (a container's non-root user, no CAP_SYS_NICE), the media threads
/// cannot take their raised priority: the server starts all the same and says so once,
/// however many threads it runs.
#[test]
fn without_cap_sys_nice_the_server_starts_and_says_so_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let env = [
        ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SWITCHBOARD_DATA_DIR", dir.path().display().to_string()),
        ("SWITCHBOARD_MEDIA_THREADS", "4".to_owned()),
        ("SWITCHBOARD_MEDIA_NICE", "-10".to_owned()),
    ];
    let wrapper = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
    ]
    .map(str::to_owned);
    let mut p = Started::spawn_via(&wrapper, None, &env, &[]);
    let url = p.wait_ready();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = p.stderr_text();
    assert_eq!(
        log.matches("media threads keep the normal priority")
            .count(),
        1,
        "{log}"
    );
    // It serves: an unknown key is refused by the API, not by a dead server.
    assert_eq!(basic_ok(&url, "nobody:0123456789abcdef0123"), 401, "{log}");
}

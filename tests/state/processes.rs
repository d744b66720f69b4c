//! The state across processes and over time: retention, two engine processes sharing PostgreSQL, the
//! `endpoints log` command, rows written behind surviving a graceful stop, the health check of an unreachable store,
//! and the request-log modes.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_removes_log_entries_and_keeps_numbers() {
    for (backend, store) in backends().await {
        let app = unique("retention");
        let now = real_now();
        let day = 86_400_000;
        let write = |at: i64, with_link: bool| {
            let store = store.clone();
            let app = app.clone();
            async move {
                let mut tx = store.begin(&app, "live");
                let n = tx.next_number(NumberKind::Perpetual, None).await.unwrap();
                let request_id = uuid::Uuid::new_v4().to_string();
                let entry = LogEntry {
                    request_id: request_id.clone(),
                    application: app.clone(),
                    environment: "live".into(),
                    endpoint: "number".into(),
                    datetime_ms: at,
                    numbers: [Some(n), None, None],
                    status_code: 200,
                    captures: vec![("k".into(), "v".into())],
                    ..Default::default()
                };
                let short_links = if with_link {
                    vec![ShortLink {
                        code: endpoints::store::short_link_code(),
                        application: app.clone(),
                        environment: "live".into(),
                        endpoint: "target".into(),
                        created_ms: at,
                        expires_ms: at + day,
                        parameters: vec![("who".into(), "x".into())],
                    }]
                } else {
                    Vec::new()
                };
                tx.commit(Writes { entry, short_links }).await.unwrap();
                (n, request_id)
            }
        };
        let (n1, old_id) = write(now - 40 * day, true).await;
        let (n2, _) = write(now - day, false).await;
        assert_eq!((n1, n2), (1, 2), "{backend}");
        let expired = store.expire(now - 32 * day, now).await.unwrap();
        assert!(
            expired.log_entries >= 1 && expired.short_links >= 1,
            "{backend}: {expired:?}"
        );
        let left = app_entries(&store, &app).await;
        assert_eq!(left.len(), 1, "{backend}");
        assert!(left.iter().all(|e| e.request_id != old_id));
        // The number of the expired entry is not given out again.
        let (n3, _) = write(now, false).await;
        assert_eq!(n3, 3, "{backend}");
    }
}

/// `endpoints serve ARGS` on an ephemeral port, without a watcher.
struct Process;

impl Process {
    fn start(args: &[&str]) -> Result<common::Spawned, String> {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--no-watch"])
            .env("ENDPOINTS_LOG", "info")
            .env_remove("ENDPOINTS_DATABASE_URL")
            .stdout(Stdio::null());
        common::Spawned::start(cmd)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_gapless_numbers_through_postgres() {
    if postgres().await.is_none() {
        return;
    }
    let dir = common::fixture("state");
    let app = unique("two");
    let url = pg_url();
    let path = dir.path().to_str().unwrap().to_string();
    let args = [
        path.as_str(),
        "--name",
        app.as_str(),
        "--no-hash-check",
        "--database",
        url.as_str(),
    ];
    // Started at once: the schema migration must cope.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Process::start(&args));
        let b = s.spawn(|| Process::start(&args));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (a.expect("first process"), b.expect("second process"));
    let urls = [
        format!("http://{}/{app}", a.addr),
        format!("http://{}/{app}", b.addr),
    ];
    let got = tokio::time::timeout(
        Duration::from_secs(180),
        gapless_run(|i| urls[i % 2].clone()),
    )
    .await
    .expect("bounded");
    assert_eq!(got, (1..=160).collect::<Vec<_>>());

    // `endpoints log` reads the same PostgreSQL state.
    let text = endpoints_log(&[
        "--database",
        &url,
        "--application",
        &app,
        "--status",
        "5xx",
        "--limit",
        "1000",
    ]);
    assert_eq!(text.lines().count(), 40, "{text}");
    assert!(
        text.lines().all(|l| l.contains("  number  500  ")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_command_reads_the_sqlite_state() {
    let dir = common::fixture("state");
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_string();
    let path = dir.path().to_str().unwrap().to_string();
    let args = [
        path.as_str(),
        "--name",
        "logged",
        "--no-hash-check",
        "--data-dir",
        data_dir.as_str(),
    ];
    let p = Process::start(&args).expect("server");
    // A second process on the same SQLite file is refused with a clear message.
    let second = Process::start(&args);
    assert!(
        matches!(&second, Err(out) if out.contains("is in use by another engine process")),
        "{:?}",
        second.as_ref().err()
    );
    drop(second);
    let ok = common::send_h1(p.addr, Method::GET, "/logged/number", &[], Bytes::new()).await;
    assert_eq!(ok.status, StatusCode::OK);
    let bad = common::send_h1(
        p.addr,
        Method::POST,
        "/logged/pt?verbose=true",
        &[("content-type", "application/x-www-form-urlencoded")],
        Bytes::from_static(b"a=bad"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad_id = bad.header("x-request-id").unwrap().to_string();

    let log = |extra: &[&str]| endpoints_log(&[&["--data-dir", data_dir.as_str()], extra].concat());
    // Rows without numbers are written just behind the response (within milliseconds): another process sees
    // them shortly after.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut all = log(&[]);
    while all.lines().count() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        all = log(&[]);
    }
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 2, "{all}");
    assert!(
        lines[0].contains("logged/live  number  200") && lines[0].contains("#1"),
        "{all}"
    );
    assert!(
        lines[1].contains("pt  400") && lines[1].contains(&bad_id),
        "{all}"
    );
    let errors = log(&["--status", "4xx", "--since", "1h"]);
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert_eq!(log(&["--endpoint", "number"]).lines().count(), 1);
    let shown = log(&["--show", &bad_id]);
    assert!(
        shown.contains("status-code                       400"),
        "{shown}"
    );
    assert!(
        shown.contains("--- parameter-transformation-input ---"),
        "{shown}"
    );
    assert!(
        shown.contains("--- request-body (5 bytes) ---\na=bad"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_behind_the_response_survive_a_graceful_stop() {
    let dir = common::fixture("state");
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_string();
    let path = dir.path().to_str().unwrap().to_string();
    let mut p = Process::start(&[
        path.as_str(),
        "--name",
        "behind",
        "--no-hash-check",
        "--data-dir",
        data_dir.as_str(),
    ])
    .expect("server");
    let addr = p.addr;
    let mut requests = Vec::new();
    for i in 0..300 {
        requests.push(tokio::spawn(async move {
            let url = format!("/behind/capture?invoice-number={i}");
            common::send_h1(addr, Method::GET, &url, &[], Bytes::new()).await
        }));
    }
    for r in requests {
        assert_eq!(r.await.unwrap().status, StatusCode::OK);
    }
    // Stopped at once: the rows still queued behind the last responses are written before the process ends.
    let pid = p.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::task::spawn_blocking(move || {
        let status = p.child.wait();
        (status, p)
    })
    .await
    .unwrap()
    .0
    .unwrap();
    assert!(status.success(), "{status:?}");
    let out = endpoints_log(&[
        "--data-dir",
        &data_dir,
        "--limit",
        "1000",
        "--endpoint",
        "capture",
    ]);
    assert_eq!(out.lines().count(), 300);
}

/// `endpoints log ARGS` (SQLite unless the arguments say otherwise); its standard output.
fn endpoints_log(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("log")
        .args(args)
        .env_remove("ENDPOINTS_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_reports_an_unreachable_state_store() {
    // SQLite: the store answers.
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::temporary().unwrap());
    let s = server(&sqlite, "health", no_hash()).await;
    let r = s.get("/health-check").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["state"], "sqlite");

    // PostgreSQL through a proxy that the test then takes away.
    if postgres().await.is_none() {
        return;
    }
    let url = pg_url();
    if !url.contains("127.0.0.1:5432") {
        eprintln!("SKIP: the proxy part needs ENDPOINTS_TEST_DATABASE_URL at 127.0.0.1:5432");
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    let conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Default::default();
    let c = conns.clone();
    let acceptor = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let handle = tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
            c.lock().unwrap().push(handle);
        }
    });
    let proxied = url.replace("127.0.0.1:5432", &proxy_addr.to_string());
    let pg = endpoints::store::open(Some(&proxied), Path::new(""))
        .await
        .unwrap();
    let s = server(&pg, &unique("health"), no_hash()).await;
    let r = s.get("/health-check").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["state"], "postgresql");

    acceptor.abort();
    let _ = acceptor.await;
    for h in conns.lock().unwrap().drain(..) {
        h.abort();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = tokio::time::timeout(Duration::from_secs(20), s.get("/health-check"))
        .await
        .expect("bounded");
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["status"], "state store unavailable");
    // An endpoint request cannot be logged: it fails with 500, and no internal detail reaches the client.
    let r = s
        .get(&format!(
            "/{}/number",
            v["applications"][0]["application"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !r.text().contains("5432") && !r.text().contains("PostgreSQL"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_modes_keep_every_request_that_carries_state() {
    use endpoints::engine::RequestLogMode;
    for (backend, store) in backends().await {
        for mode in [RequestLogMode::Failures, RequestLogMode::Off] {
            let app = unique("modes");
            let s = server(
                &store,
                &app,
                Settings {
                    request_log: mode,
                    ..no_hash()
                },
            )
            .await;
            let plain = s.get(&format!("/{app}/target?who=x")).await;
            assert_eq!(plain.status, StatusCode::OK);
            let failed = s.get(&format!("/{app}/target")).await;
            assert_eq!(failed.status, StatusCode::BAD_REQUEST);
            let n1 = s.get(&format!("/{app}/number")).await;
            let n2 = s.get(&format!("/{app}/number")).await;
            assert_eq!(
                (numbers(&n1.text())[0], numbers(&n2.text())[0]),
                (1, 2),
                "{backend} {mode:?}"
            );
            let cap = s.get(&format!("/{app}/capture?invoice-number=7")).await;
            assert_eq!(cap.status, StatusCode::OK);
            let mut logged: Vec<(String, u16)> = app_entries(&store, &app)
                .await
                .into_iter()
                .map(|e| (e.endpoint, e.status_code))
                .collect();
            logged.sort();
            let mut expected = vec![
                ("capture".to_string(), 200),
                ("number".to_string(), 200),
                ("number".to_string(), 200),
            ];
            if mode == RequestLogMode::Failures {
                expected.push(("target".to_string(), 400));
            }
            expected.sort();
            assert_eq!(logged, expected, "{backend} {mode:?}");
        }
    }
}

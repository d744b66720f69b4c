//! Short links (created, followed, expired), request-log captures and the `<request-log/>` data source, and
//! debug/verbose capture, on both backends.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_links_are_created_followed_and_expire() {
    for (backend, store) in backends().await {
        let app = unique("links");
        let (now, clock) = fixed_clock(real_now());
        let s = server(
            &store,
            &app,
            Settings {
                clock,
                base_url: "https://oe.example/".to_string(),
                ..Settings::default()
            },
        )
        .await;
        let hash = s.hash("link", &[]);
        let r = s.get(&format!("/{app}/link?who=Ann%20B&hash={hash}")).await;
        assert_eq!(r.status, StatusCode::FOUND, "{backend}: {}", r.text());
        let location = r.location().to_string();
        let code = location
            .strip_prefix("https://oe.example/shortlink/")
            .unwrap_or_else(|| panic!("{location}"))
            .to_string();
        assert_eq!(code.len(), 12);
        assert!(!code.contains(['O', '0', 'I', 'l', '1', 'S', '5', '2', 'Z']));

        // The target needs a hash, the short link does not; the stored parameters are restored.
        let direct = s.get(&format!("/{app}/target?who=Ann")).await;
        assert_eq!(direct.status, StatusCode::UNAUTHORIZED);
        let followed = s.get(&format!("/shortlink/{code}")).await;
        assert_eq!(
            followed.status,
            StatusCode::OK,
            "{backend}: {}",
            followed.text()
        );
        let body = followed.text();
        assert!(body.contains("who=Ann B\n"), "{backend}: {body}");
        let rid = followed.header("x-request-id").unwrap().to_string();
        assert!(body.contains(&format!("request-id={rid}\n")), "{body}");
        // It is logged under its endpoint.
        assert_eq!(entry(&store, &rid).await.endpoint, "target");

        // A request that fails after creating a link leaves no link behind.
        let links_before = count_links(&store, &app).await;
        let r = s
            .get(&format!("/{app}/link?who=Eve&fail=yes&hash={hash}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(count_links(&store, &app).await, links_before, "{backend}");

        assert_eq!(
            s.get("/shortlink/a-b").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            s.get("/shortlink/a-b").await.text(),
            "Request invalid: URL '/shortlink/a-b' malformed\n"
        );
        let unknown = s.get("/shortlink/ABCDEFGHJKLM").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.text(), "Code 'ABCDEFGHJKLM' not found\n");

        // 61 minutes later the link has expired.
        now.fetch_add(61 * 60_000, Ordering::SeqCst);
        let expired = s.get(&format!("/shortlink/{code}")).await;
        assert_eq!(expired.status, StatusCode::NOT_FOUND, "{backend}");
        assert_eq!(expired.text(), format!("Code '{code}' not found\n"));
    }
}

/// Short links of `app` in the store (read by the store's own connection where possible).
async fn count_links(store: &Arc<dyn Store>, app: &str) -> i64 {
    match store.backend() {
        "sqlite" => {
            let path = store
                .describe()
                .trim_start_matches("SQLite file ")
                .to_string();
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.query_row(
                "SELECT count(*) FROM short_link_to_endpoint WHERE application = ?1",
                [app],
                |r| r.get(0),
            )
            .unwrap()
        }
        _ => {
            let (client, conn) = tokio_postgres::connect(&pg_url(), tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .query_one(
                    "SELECT count(*) FROM short_link_to_endpoint WHERE application = $1",
                    &[&app],
                )
                .await
                .unwrap()
                .get(0)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_captures_and_the_request_log_data_source() {
    for (backend, store) in backends().await {
        let app = unique("capture");
        let s = server(&store, &app, no_hash()).await;
        let ok = s
            .send(
                Method::GET,
                &format!("/{app}/capture?invoice-number=123"),
                &[("user-agent", "TestAgent/1.0")],
                Bytes::new(),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        let failed = s
            .get(&format!("/{app}/capture?invoice-number=456&fail=yes"))
            .await;
        assert_eq!(failed.status, StatusCode::BAD_REQUEST);

        let ok_entry = entry(&store, ok.header("x-request-id").unwrap()).await;
        assert_eq!(
            ok_entry.endpoint, "capture",
            "a forward chain is logged once"
        );
        assert_eq!(ok_entry.status_code, 200);
        assert_eq!(ok_entry.user_agent, "TestAgent/1.0");
        assert_eq!(
            ok_entry.captures,
            vec![
                ("inv".to_string(), "invoice# is '123'".to_string()),
                ("second".to_string(), "forwarded 123".to_string()),
            ],
            "{backend}"
        );
        let failed_entry = entry(&store, failed.header("x-request-id").unwrap()).await;
        assert_eq!(failed_entry.status_code, 400);
        assert!(
            failed_entry.captures.is_empty(),
            "captures only for successes"
        );
        assert!(failed_entry
            .exception_message
            .as_deref()
            .unwrap()
            .contains("is not in whitelist"));

        let log = s.get(&format!("/{app}/log")).await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.text());
        let xml = log.text();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        let entries: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("request-log-entry"))
            .collect();
        assert_eq!(
            entries.len(),
            2,
            "{backend}: the current request is not included: {xml}"
        );
        let child = |n: roxmltree::Node, name: &str| {
            n.children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
                .map(str::to_string)
        };
        assert_eq!(child(entries[0], "endpoint").as_deref(), Some("capture"));
        assert_eq!(child(entries[0], "status-code").as_deref(), Some("200"));
        assert_eq!(
            child(entries[0], "user-agent").as_deref(),
            Some("TestAgent/1.0")
        );
        assert_eq!(child(entries[0], "environment").as_deref(), Some("live"));
        assert_eq!(child(entries[0], "datetime-utc").unwrap().len(), 19);
        let captures: Vec<(String, String)> = entries[0]
            .children()
            .filter(|c| c.has_tag_name("expression-capture"))
            .map(|c| {
                (
                    c.attribute("key").unwrap().to_string(),
                    c.text().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(captures[0], ("inv".into(), "invoice# is '123'".into()));
        assert_eq!(child(entries[1], "status-code").as_deref(), Some("400"));
        assert!(child(entries[1], "exception-message").is_some());
        assert_eq!(
            entries[1]
                .children()
                .filter(|c| c.has_tag_name("expression-capture"))
                .count(),
            0
        );
        assert_eq!(app_entries(&store, &app).await.len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_and_verbose_capture() {
    for (backend, store) in backends().await {
        let app = unique("debug");
        let s = server(&store, &app, no_hash()).await;
        let post = |query: &'static str, body: &'static str| {
            let s = &s;
            let app = app.clone();
            async move {
                s.send(
                    Method::POST,
                    &format!("/{app}/pt{query}"),
                    &[("content-type", "application/x-www-form-urlencoded")],
                    Bytes::from_static(body.as_bytes()),
                )
                .await
            }
        };
        let rid = |r: &common::Resp| r.header("x-request-id").unwrap().to_string();

        // verbose=true on a failing request: the PT documents and the body are stored.
        let r = post("?verbose=true", "a=bad").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.text(), "error: a must not be bad");
        let e = entry(&store, &rid(&r)).await;
        let input = e.parameter_transformation_input.as_deref().unwrap_or("");
        assert!(
            input.contains("<parameter name=\"a\" value=\"bad\"/>"),
            "{backend}: {input}"
        );
        assert!(!input.contains("<debug-allowed/>"));
        assert!(e
            .parameter_transformation_output
            .as_deref()
            .unwrap()
            .contains("<error>a must not be bad</error>"));
        assert_eq!(
            e.request_content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(e.request_body.as_deref(), Some(&b"a=bad"[..]));
        assert_eq!(
            e.xslt_parameter_error_message.as_deref(),
            Some("a must not be bad")
        );

        // verbose=true on a success, and debug=true while debug is not allowed: nothing stored.
        for query in ["?verbose=true", "?debug=true"] {
            let r = post(query, "a=good").await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let e = entry(&store, &rid(&r)).await;
            assert_eq!(e.parameter_transformation_input, None, "{backend} {query}");
            assert_eq!(e.request_body, None);
            assert_eq!(e.request_content_type, None);
        }

        // With debug allowed, debug=true stores them for every status.
        let s2 = server(
            &store,
            &app,
            Settings {
                debug_allowed: true,
                ..no_hash()
            },
        )
        .await;
        let r = s2
            .send(
                Method::POST,
                &format!("/{app}/pt?debug=true"),
                &[("content-type", "application/x-www-form-urlencoded")],
                Bytes::from_static(b"a=good"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let e = entry(&store, &rid(&r)).await;
        let input = e.parameter_transformation_input.unwrap();
        assert!(input.contains("<debug-requested/>"), "{input}");
        assert!(input.contains("<debug-allowed/>"), "{input}");
        assert!(e
            .parameter_transformation_output
            .unwrap()
            .contains("value=\"good\""));
        assert_eq!(e.request_body.as_deref(), Some(&b"a=good"[..]));
    }
}

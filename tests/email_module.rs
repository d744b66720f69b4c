//! E-mail: `email-sending-configuration.xml` and EmailTask parsing, MIME building and sending
//! through a real SMTP server (Debian's aiosmtpd, started here on an ephemeral loopback port, writing a Maildir
//! that Python's `email` package then reads back).

mod common;

use common::smtp::{data, free_port, read_maildir, start_smtp, text};
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use endpoints::config::loader::email_config::load_email_config;
use endpoints::config::loader::email_task::parse_email_task;
use endpoints::config::model::email::{EmailSendingConfig, EmailTask};
use endpoints::config::template::Scope;
use endpoints::config::{self, Application, Diagnostics, LoadOptions};
use endpoints::engine::data_source::Ctx;

fn journal(app: &endpoints::config::Application) -> endpoints::engine::journal::Journal {
    let store: std::sync::Arc<dyn endpoints::store::Store> = std::sync::Arc::new(
        endpoints::store::sqlite::SqliteStore::temporary().expect("state store"),
    );
    endpoints::engine::journal::Journal::new(
        &store,
        &app.name,
        endpoints::engine::Environment::Live,
        0,
        &endpoints::engine::Settings::default(),
    )
}
use endpoints::engine::email::{build_messages, send};
use endpoints::request::{Upload, UploadData};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/email_fixtures")
}

fn app() -> Application {
    config::load(
        &fixtures().join("app"),
        &LoadOptions {
            name: Some("mail".into()),
            hash_check: false,
            ..LoadOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("fixture app does not load: {e}"))
}

fn scope() -> Scope {
    Scope::new(["n", "request-id"])
}

/// Parses `xml` (a `<task>` element) as an EmailTask against the fixture app; the diagnostics as strings.
fn parse_task(app: &Application, xml: &str) -> (Option<EmailTask>, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).expect("test XML is well-formed");
    let mut diags = Diagnostics::default();
    let mut budget = 1024 * 1024;
    let task = parse_email_task(
        Path::new("endpoints.xml"),
        doc.root_element(),
        &scope(),
        &app.transformers,
        &app.layout.static_dir,
        &mut budget,
        &app.layout.ooxml_dir,
        &mut diags,
    );
    let messages = diags
        .into_vec()
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    (task, messages)
}

fn load_config(xml: &str) -> (Option<EmailSendingConfig>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("email-sending-configuration.xml");
    std::fs::write(&path, xml).unwrap();
    let mut diags = Diagnostics::default();
    let config = load_email_config(&path, &mut diags);
    let messages = diags
        .into_vec()
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    (config, messages)
}

fn has(messages: &[String], needle: &str) -> bool {
    messages.iter().any(|m| m.contains(needle))
}

const TASK: &str = r#"<task class="endpoints.task.EmailTask" id="mail" if="${n}" notequals="0">
    <after task-id="other"/>
    <input-intermediate-value name="ignored-here"/>
    <from>Shop Grüße &lt;shop@example.com&gt;</from>
    <to>a@x.org</to>
    <to>
        b-${n}@x.org
    </to>
    <subject>Rechnung ${n} – Grüße</subject>
    <body-transformation name="produce-text"/>
    <body-transformation name="produce-html"/>
    <attachment-static filename="img/logo.png"/>
    <attachment-transformation name="produce-csv" if="${n}" equals="42" filename="invoice-${n}.csv"/>
    <attachment-transformation name="produce-csv" if="${n}" equals="43" filename="NO-${n}.csv"/>
    <attachments-from-request-file-uploads if="${request-id}" isempty="false"/>
</task>"#;

#[test]
fn email_config_is_checked_at_load() {
    let (c, m) = load_config(
        r#"<email-sending-configuration>
            <server>smtp.${domain}</server>
            <port>${port}</port>
            <username>u</username>
            <password>${secret}</password>
            <header name="X-Request-Id">  ${request-id}  </header>
            <header name="Reply-To">office@example.com</header>
        </email-sending-configuration>"#,
    );
    assert!(m.is_empty(), "{m:?}");
    let c = c.unwrap();
    assert!(c.authenticated());
    let names: Vec<&str> = c.patterns().iter().flat_map(|p| p.names()).collect();
    assert_eq!(names, vec!["domain", "port", "secret", "request-id"]);
    assert_eq!(c.headers[0].0, "X-Request-Id");
    assert_eq!(
        c.headers[0].1.source(),
        "${request-id}",
        "header values are trimmed"
    );
    assert_eq!(c.server.as_ref().unwrap().source(), "smtp.${domain}");

    let (c, m) =
        load_config("<email-sending-configuration><port>25</port></email-sending-configuration>");
    assert!(c.is_none());
    assert!(
        has(
            &m,
            "One of either <server> or <mx-address> must be specified"
        ),
        "{m:?}"
    );

    let (c, m) = load_config(
        "<email-sending-configuration><server>s</server>\n<port>abc</port></email-sending-configuration>",
    );
    assert!(c.is_none());
    assert!(has(&m, ":2:7: <port>: 'abc' is not a port number"), "{m:?}");

    let (c, m) = load_config(
        r#"<email-sending-configuration><server>s</server><smtp/><server>t</server>
           <header name="To">x@y</header><header>v</header></email-sending-configuration>"#,
    );
    assert!(c.is_none());
    assert!(
        has(
            &m,
            "Unexpected element <smtp> in <email-sending-configuration>"
        ),
        "{m:?}"
    );
    assert!(has(&m, "More than one <server>"), "{m:?}");
    assert!(
        has(
            &m,
            "<header name='To'>: this header is written by the engine"
        ),
        "{m:?}"
    );
    assert!(has(&m, "<header> is missing the attribute 'name'"), "{m:?}");

    let (c, m) = load_config("<smtp><server>s</server></smtp>");
    assert!(c.is_none());
    assert!(
        has(&m, "Root element must be <email-sending-configuration>"),
        "{m:?}"
    );

    // Untrimmed values are kept (as in the reference) but warned about; mx-address wins over server.
    let (c, m) = load_config(
        "<email-sending-configuration><mx-address> example.com</mx-address><server>s</server></email-sending-configuration>",
    );
    let c = c.unwrap();
    assert_eq!(c.mx_address.as_ref().unwrap().source(), " example.com");
    assert!(!c.authenticated());
    assert!(
        has(&m, "warning: <mx-address> has white space around it"),
        "{m:?}"
    );
    assert!(
        has(
            &m,
            "warning: <server> is ignored because <mx-address> is given"
        ),
        "{m:?}"
    );
}

#[test]
fn email_task_is_checked_at_load() {
    let app = app();
    let (task, m) = parse_task(&app, TASK);
    assert!(m.is_empty(), "{m:?}");
    let task = task.unwrap();
    assert_eq!(task.to.len(), 2);
    assert_eq!(task.to[1].source(), "b-${n}@x.org", "<to> text is trimmed");
    assert_eq!(task.bodies.len(), 2);
    assert_eq!(task.attachments.len(), 4);
    assert_eq!(task.transformers().len(), 4);

    let (task, m) = parse_task(
        &app,
        r#"<task class="endpoints.task.EmailTask">
            <body-transformation name="nope"/>
            <attachment-ooxml-parameter-expansion source="x.docx" filename="x.docx"/>
            <attachment-static filename="img/missing.png"/>
            <attachment-static filename="../endpoints.xml"/>
            <attachment-transformation name="produce-csv" filename="${nope}.csv"/>
            <attachment-transformation name="produce-csv" if="${n}" filename="x.csv"/>
            <cc>x@y</cc>
        </task>"#,
    );
    assert!(task.is_none());
    for expected in [
        "<body-transformation>: Referenced transformation 'nope' not found",
        "<attachment-ooxml-parameter-expansion>: File 'x.docx' cannot be found in 'ooxml-responses' directory",
        "<attachment-static>: Filename 'img/missing.png' not found in application's 'static' directory",
        "<attachment-static>: Filename '../endpoints.xml' attempts to reference outside application's 'static' directory",
        "<attachment-transformation> filename: Pattern '${nope}.csv' contains parameter ${nope} but it is not available; available parameters are ${n}, ${request-id}",
        "'if' attribute found, but second attribute not found",
        "Unexpected element <cc> in EmailTask",
        "EmailTask: <from> is missing",
        "EmailTask: <subject> is missing",
        "At least one <to> must be present, otherwise no emails would be sent, and the task would be pointless",
    ] {
        assert!(has(&m, expected), "missing {expected:?} in {m:#?}");
    }
    assert!(!has(&m, "<body-transformation> is missing"), "{m:#?}");

    let (task, m) = parse_task(
        &app,
        r#"<task class="endpoints.task.EmailTask">
            <from>a@b</from><from>c@d</from><to>x@y</to><subject>Hi ${who}</subject>
        </task>"#,
    );
    assert!(task.is_none());
    assert!(has(&m, "More than one <from> in EmailTask"), "{m:?}");
    assert!(
        has(
            &m,
            "<subject>: Pattern 'Hi ${who}' contains parameter ${who}"
        ),
        "{m:?}"
    );
    assert!(has(&m, "<body-transformation> is missing"), "{m:?}");
}

/// `type` of a node and, for multiparts, of its children (one level), for readable assertions.
fn shape(node: &Value) -> String {
    let t = node["type"].as_str().unwrap().to_string();
    match node.get("parts") {
        Some(Value::Array(parts)) => {
            format!(
                "{t}[{}]",
                parts.iter().map(shape).collect::<Vec<_>>().join(", ")
            )
        }
        _ => t,
    }
}

fn upload(bytes: &[u8]) -> Upload {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, bytes).unwrap();
    Upload {
        field_name: "file".into(),
        filename: "scan ü.bin".into(),
        content_type: "application/octet-stream".into(),
        size: bytes.len() as u64,
        data: UploadData::File(std::sync::Arc::new(f.into_temp_path())),
        xml_budget: Default::default(),
    }
}

fn lookup_with(port: u16) -> impl Fn(&str) -> Option<String> {
    move |name| match name {
        "port" => Some(port.to_string()),
        "n" => Some("42".into()),
        "request-id" => Some("rid-1".into()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_built_and_sent_through_smtp() {
    let Some(server) = start_smtp() else {
        return;
    };
    let app = app();
    let (task, m) = parse_task(&app, TASK);
    let task = task.unwrap_or_else(|| panic!("{m:?}"));
    let upload_bytes: Vec<u8> = (0..=255u8).chain([0, b'\n', b'\r', b'.', b'\n']).collect();
    let uploads = vec![upload(&upload_bytes)];
    let values = vec!["42".to_string(), "rid-1".to_string()];
    let journal = journal(&app);
    let ctx = Ctx {
        app: &app,
        params: vec![
            ("n".into(), "42".into()),
            ("request-id".into(), "rid-1".into()),
        ],
        intermediate: 0,
        unknown_empty: false,
        uploads: &uploads,
        journal: &journal,
        separator: String::new(),
    };
    let messages = build_messages(&task, &app, &values, "||", &ctx, &uploads)
        .await
        .unwrap_or_else(|f| panic!("{f:?}"));
    assert_eq!(messages.len(), 2, "one message per <to>");

    let (config, m) = load_config(
        r#"<email-sending-configuration>
            <server>127.0.0.1</server>
            <port>${port}</port>
            <header name="X-Request-Id">${request-id}</header>
            <header name="Reply-To">office@example.com</header>
        </email-sending-configuration>"#,
    );
    let config = config.unwrap_or_else(|| panic!("{m:?}"));
    send(&config, &lookup_with(server.port), messages)
        .await
        .unwrap_or_else(|f| panic!("{f:?}"));

    let mut mails = read_maildir(&server.maildir);
    assert_eq!(mails.len(), 2, "{mails:#?}");
    mails.sort_by_key(|m| m["to"].as_str().unwrap().to_string());
    assert_ne!(mails[0]["message_id"], mails[1]["message_id"]);
    let logo = std::fs::read(fixtures().join("app/static/img/logo.png")).unwrap();
    let banner = std::fs::read(fixtures().join("app/static/img/banner.gif")).unwrap();
    for (mail, to) in mails.iter().zip(["a@x.org", "b-42@x.org"]) {
        assert_eq!(mail["to"], to, "{mail:#}");
        assert_eq!(mail["rcpt"], to, "the envelope has only this recipient");
        assert_eq!(mail["from"], "Shop Grüße <shop@example.com>");
        assert_eq!(mail["subject"], "Rechnung 42 – Grüße");
        let raw_subject = mail["raw_subject"].as_str().unwrap();
        assert!(
            raw_subject.contains("=?utf-8?") && !raw_subject.contains('ü'),
            "subject is RFC 2047 encoded: {raw_subject}"
        );
        assert!(mail["date"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(mail["x_request_id"], "rid-1");
        assert!(mail["message_id"]
            .as_str()
            .is_some_and(|id| id.starts_with('<') && id.contains('@')));
        assert_eq!(mail["reply_to"], "office@example.com");

        let tree = &mail["tree"];
        assert_eq!(
            shape(tree),
            "multipart/mixed[multipart/alternative[text/plain, multipart/related[text/html, image/gif, image/png]], image/png, text/csv, application/octet-stream]"
        );
        let alternative = &tree["parts"][0];
        let plain = &alternative["parts"][0];
        assert_eq!(text(plain), "Order 42: Grüße\n");
        assert_eq!(plain["charset"], "utf-8");
        let related = &alternative["parts"][1];
        let html = text(&related["parts"][0]);
        assert!(html.contains("<p>Order 42: Grüße</p>"), "{html}");
        assert!(html.contains(r#"<img src="cid:img/logo.png">"#), "{html}");
        // Inline images: distinct, sorted by path, from static/.
        let gif = &related["parts"][1];
        assert_eq!(gif["cid"], "<img/banner.gif>");
        assert_eq!(gif["disposition"], "inline");
        assert_eq!(gif["filename"], "img/banner.gif");
        assert_eq!(data(gif), banner);
        let png = &related["parts"][2];
        assert_eq!(png["cid"], "<img/logo.png>");
        assert_eq!(png["disposition"], "inline");
        assert_eq!(png["filename"], "img/logo.png");
        assert_eq!(data(png), logo);

        // Attachments in document order; the one whose condition is false is absent.
        let static_attachment = &tree["parts"][1];
        assert_eq!(static_attachment["disposition"], "attachment");
        assert_eq!(static_attachment["filename"], "logo.png");
        assert_eq!(data(static_attachment), logo);
        let csv = &tree["parts"][2];
        assert_eq!(csv["disposition"], "attachment");
        assert_eq!(csv["filename"], "invoice-42.csv");
        assert_eq!(
            data(csv),
            "n;text\n42;Grüße\n".as_bytes(),
            "exact bytes, LF kept"
        );
        let uploaded = &tree["parts"][3];
        assert_eq!(uploaded["disposition"], "attachment");
        assert_eq!(uploaded["filename"], "scan ü.bin");
        assert_eq!(data(uploaded), upload_bytes);
        assert!(!mail.to_string().contains("NO-42"));
    }

    // Credentials mean STARTTLS is required: aiosmtpd offers none, so sending fails, without leaking anything.
    let (config, m) = load_config(
        r#"<email-sending-configuration>
            <server>127.0.0.1</server><port>${port}</port>
            <username>mailer</username><password>pw-s3cret</password>
        </email-sending-configuration>"#,
    );
    let config = config.unwrap_or_else(|| panic!("{m:?}"));
    let messages = build_messages(&task, &app, &values, "||", &ctx, &uploads)
        .await
        .unwrap();
    let failure = send(&config, &lookup_with(server.port), messages)
        .await
        .unwrap_err();
    assert_eq!(failure.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    for secret in ["127.0.0.1", &server.port.to_string(), "mailer", "pw-s3cret"] {
        assert!(!failure.message.contains(secret), "{failure:?}");
    }
    let detail = failure.detail.as_deref().unwrap();
    assert!(
        detail.contains(&format!("127.0.0.1:{}", server.port)),
        "{detail}"
    );
    assert!(detail.contains("STARTTLS"), "{detail}");
    assert_eq!(
        read_maildir(&server.maildir).len(),
        2,
        "nothing more was delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_a_failure_that_names_no_address() {
    let app = app();
    let (task, m) = parse_task(&app, TASK);
    let task = task.unwrap_or_else(|| panic!("{m:?}"));
    let values = vec!["43".to_string(), "".to_string()];
    let journal = journal(&app);
    let ctx = Ctx {
        app: &app,
        params: vec![("n".into(), "43".into()), ("request-id".into(), "".into())],
        intermediate: 0,
        unknown_empty: false,
        uploads: &[],
        journal: &journal,
        separator: String::new(),
    };
    let messages = build_messages(&task, &app, &values, "||", &ctx, &[])
        .await
        .unwrap();
    // n=43: the NO- attachment is chosen, the invoice one is not; uploads are skipped (empty request-id).
    let formatted = String::from_utf8_lossy(&messages[0].formatted()).into_owned();
    assert!(formatted.contains("NO-43.csv") && !formatted.contains("invoice-43"));
    assert!(!formatted.contains("scan"));

    let port = free_port(); // bound and released: nothing listens there
    let (config, m) = load_config(
        "<email-sending-configuration><server>127.0.0.1</server><port>${port}</port></email-sending-configuration>",
    );
    let config = config.unwrap_or_else(|| panic!("{m:?}"));
    let started = Instant::now();
    let failure = send(&config, &lookup_with(port), messages)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(failure.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!failure.message.contains("127.0.0.1"), "{failure:?}");
    assert!(!failure.message.contains(&port.to_string()), "{failure:?}");
    let detail = failure.detail.unwrap();
    assert!(detail.contains(&format!("127.0.0.1:{port}")), "{detail}");

    // A <port> that expands to no number fails at send time.
    let failure = send(
        &config,
        &|n: &str| (n == "port").then(|| "x25".to_string()),
        vec![build_messages(&task, &app, &values, "||", &ctx, &[])
            .await
            .unwrap()
            .remove(0)],
    )
    .await
    .unwrap_err();
    assert!(failure
        .detail
        .unwrap()
        .contains("'x25' is not a port number"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_must_be_single_and_valid() {
    let app = app();
    let (task, m) = parse_task(
        &app,
        r#"<task class="endpoints.task.EmailTask">
            <from>shop@example.com</from><to>${n}</to><subject>s</subject>
            <body-transformation name="produce-text"/>
        </task>"#,
    );
    let task = task.unwrap_or_else(|| panic!("{m:?}"));
    for (to, ok) in [
        ("x@y.org", true),
        ("Name <x@y.org>", true),
        ("", false),
        ("a@y.org, b@y.org", false),
        ("no address", false),
    ] {
        let values = vec![to.to_string(), "rid".to_string()];
        let journal = journal(&app);
        let ctx = Ctx {
            app: &app,
            params: vec![("n".into(), to.into()), ("request-id".into(), "rid".into())],
            intermediate: 0,
            unknown_empty: false,
            uploads: &[],
            journal: &journal,
            separator: String::new(),
        };
        let result = build_messages(&task, &app, &values, "||", &ctx, &[]).await;
        assert_eq!(result.is_ok(), ok, "{to:?}: {:?}", result.err());
        if let Err(f) = result {
            assert_eq!(f.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
            assert!(f.message.contains("<to>"), "{f:?}");
        }
    }
}

//! Real browser tests (headless Chromium through WebDriver): the whole "form → download" path (the invoice
//! example's form, a file upload, the PDF and the Word file with the expected file names), and a walk through the
//! console (`--console`) as an application author would take it, with a screenshot of every page.

mod common;

use std::process::Command;

use common::TestServer;

fn browser_present() -> bool {
    let ok = ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/fop"]
        .iter()
        .all(|p| std::path::Path::new(p).exists());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium, chromium-driver and fop are required under CI=true"
        );
        eprintln!("\n**********\nSKIPPED: chromium / chromium-driver / fop are not installed (scripts/setup.sh installs them)\n**********\n");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invoice_form_downloads_a_pdf_and_a_docx() {
    if !browser_present() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/invoice");
    let s = TestServer::start(&dir, common::Options::default()).await;
    let form = s.url(&format!("/form?hash={}", s.hash("form", &[])));
    let downloads = tempfile::tempdir().unwrap();
    let upload = downloads.path().join("enclosure.txt");
    std::fs::write(&upload, "terms and conditions").unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/browser/form_download.py"
    );
    for (format, expected) in [("pdf", "invoice-A-17.pdf"), ("docx", "invoice-A-17.docx")] {
        let dl = tempfile::tempdir_in(downloads.path()).unwrap();
        let (form, dlp, upload) = (form.clone(), dl.path().to_path_buf(), upload.clone());
        let out = tokio::task::spawn_blocking(move || {
            Command::new("/usr/bin/python3")
                .arg(script)
                .arg(&form)
                .arg(&dlp)
                .arg(&upload)
                .arg(expected)
                .args([
                    "customer=Ann Müller",
                    "number=A-17",
                    "amount=99.50",
                    &format!("format={format}"),
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let bytes = std::fs::read(&path).unwrap();
        if format == "pdf" {
            assert!(bytes.starts_with(b"%PDF-"));
            let text = Command::new("pdftotext")
                .arg(&path)
                .arg("-")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&text.stdout);
            assert!(text.contains("Invoice A-17"), "{text}");
            assert!(text.contains("Customer: Ann Müller"), "{text}");
            assert!(
                text.contains("Enclosure: enclosure.txt"),
                "the uploaded file reached the PDF: {text}"
            );
        } else {
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            let mut doc = String::new();
            std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc)
                .unwrap();
            assert!(doc.contains("Invoice A-17"), "{doc}");
            assert!(doc.contains("Customer: Ann Müller"), "{doc}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_walk_from_login_to_a_fixed_reload() {
    if !browser_present() {
        return;
    }
    const TOKEN: &str = "browser-walk-token-0123456789";
    let dir = common::fixture_dir_from(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps/console"),
    );
    let s = common::console::Server::start(dir.path(), &["--console", "127.0.0.1:0"], Some(TOKEN));
    let hash = Command::new(env!("CARGO_BIN_EXE_endpoints"))
        .arg("hash")
        .arg(dir.path())
        .arg("capture")
        .output()
        .unwrap();
    assert!(hash.status.success());
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    let work = tempfile::tempdir().unwrap();
    let upload = work.path().join("scan-0042.pdf");
    std::fs::write(&upload, b"%PDF-1.4 a scanned page").unwrap();
    // Kept after the test, to be looked at.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/console_walk.py");
    let args = [
        format!("http://{}", s.console()),
        TOKEN.to_string(),
        format!("http://{}", s.spawned.addr),
        hash,
        dir.path().display().to_string(),
        upload.display().to_string(),
        shots.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        Command::new("/usr/bin/python3")
            .arg(script)
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The short link the console made runs its endpoint.
    let link = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let path = &link[link.find("/shortlink/").unwrap()..];
    let r = common::send_h1(
        s.spawned.addr,
        http::Method::GET,
        path,
        &[],
        bytes::Bytes::new(),
    )
    .await;
    assert_eq!(r.status, http::StatusCode::OK);
    assert!(r.text().contains(r#"value="Linked""#));
    let mut names: Vec<String> = std::fs::read_dir(&shots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    for n in &names {
        let png = std::fs::read(shots.join(n)).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "{n}");
    }
    eprintln!("console screenshots: {}", shots.display());
}

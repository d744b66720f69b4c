//! The whole "form → download" path in a real browser: headless Chromium fills the invoice example's form, uploads a
//! file, submits, and receives the PDF (and the Word file) with the expected file names.

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

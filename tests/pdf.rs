//! `<convert-output-xsl-fo-to-pdf/>` over HTTP with Apache FOP kept warm in the JVM worker: the PDF's text is
//! extracted with `pdftotext`, its first page rendered with `pdftoppm`, its fonts listed with `pdffonts`.

mod common;

use std::process::Command;

use common::TestServer;
use http::StatusCode;

fn tools_present() -> bool {
    let ok = ["java", "pdftotext", "pdftoppm", "pdffonts"]
        .iter()
        .all(|t| {
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
                .unwrap_or(false)
        })
        && std::path::Path::new("/usr/share/java/fop.jar").is_file()
        && std::path::Path::new("/usr/share/java/Saxon-HE.jar").is_file();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "java, fop, libsaxonhe-java and poppler-utils are required under CI=true"
        );
        eprintln!("\n**********\nSKIPPED: java / fop / Saxon-HE / poppler-utils are not installed (scripts/setup.sh installs them)\n**********\n");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xsl_fo_becomes_a_pdf() {
    if !tools_present() {
        return;
    }
    let s = TestServer::fixture("pdf").await;
    let r = s
        .get(&format!(
            "/app/invoice?n=4711&hash={}",
            s.hash("invoice", &[])
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"invoice-4711.pdf\"")
    );
    assert!(r.body.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("invoice.pdf");
    std::fs::write(&pdf, &r.body).unwrap();
    let out = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Invoice 4711"), "{text}");
    assert!(text.contains("Customer: Grüße GmbH"), "{text}");
    let png = dir.path().join("page");
    let st = Command::new("pdftoppm")
        .args(["-png", "-r", "30", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(&png)
        .status()
        .unwrap();
    assert!(st.success());
    let rendered = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".png"));
    assert!(
        rendered.is_some_and(|e| e.metadata().unwrap().len() > 500),
        "first page rendered"
    );
    // The relative image resolved against static/: FOP embeds it as an image XObject.
    assert!(
        r.body.windows(8).any(|w| w == b"/XObject") || r.body.windows(6).any(|w| w == b"/Image"),
        "the logo is embedded"
    );
}

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";

/// `fonts/apache-fop-config.xml` as the reference reads it: a relative font URL resolves against `fonts/`, while
/// the FO's relative image URL still resolves against `static/`; the FO comes from an XSLT 2.0 stylesheet (Saxon).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fonts_from_the_fop_configuration_relative_to_fonts() {
    if !tools_present() || !std::path::Path::new(FONT).is_file() {
        return;
    }
    let s = TestServer::fixture_with("pdf", Default::default(), |dir| {
        std::fs::create_dir_all(dir.join("fonts")).unwrap();
        std::fs::copy(FONT, dir.join("fonts/Custom-Serif.ttf")).unwrap();
        std::fs::write(
            dir.join("fonts/apache-fop-config.xml"),
            r#"<fop version="1.0"><renderers><renderer mime="application/pdf"><fonts>
                 <font kerning="yes" embed-url="Custom-Serif.ttf"><font-triplet name="HouseFont" style="normal" weight="normal"/></font>
               </fonts></renderer></renderers></fop>"#,
        )
        .unwrap();
        let xsl = dir.join("data-source-xslt/invoice-fo.xsl");
        let text = std::fs::read_to_string(&xsl)
            .unwrap()
            .replace("stylesheet version=\"1.0\"", "stylesheet version=\"2.0\"")
            .replace(
                "<fo:block>Customer:",
                "<fo:block font-family=\"HouseFont\">Customer:",
            )
            .replace(
                "//parameter[@name='customer']/@value",
                "upper-case(//parameter[@name='customer']/@value)",
            );
        std::fs::write(&xsl, text).unwrap();
    })
    .await;
    let r = s
        .get(&format!("/app/invoice?n=9&hash={}", s.hash("invoice", &[])))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.body.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("invoice.pdf");
    std::fs::write(&pdf, &r.body).unwrap();
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Customer: GRÜSSE GMBH"),
        "XSLT 2.0 upper-case: {text}"
    );
    let fonts = Command::new("pdffonts").arg(&pdf).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(
        fonts.contains("DejaVuSerif"),
        "the configured font is embedded: {fonts}"
    );
    assert!(
        r.body.windows(8).any(|w| w == b"/XObject") || r.body.windows(6).any(|w| w == b"/Image"),
        "the logo (relative to static/) is embedded"
    );
}

/// A broken FO document is a 500 without FOP's text; a broken FOP configuration is a load error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_fo_and_broken_configuration() {
    if !tools_present() {
        return;
    }
    let s = TestServer::fixture_with("pdf", Default::default(), |dir| {
        let xsl = dir.join("data-source-xslt/invoice-fo.xsl");
        let text = std::fs::read_to_string(&xsl).unwrap().replace(
            "<fo:block>Customer:",
            "<fo:no-such-element/><fo:block>Customer:",
        );
        std::fs::write(&xsl, text).unwrap();
    })
    .await;
    let r = s
        .get(&format!("/app/invoice?hash={}", s.hash("invoice", &[])))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = r.text();
    assert!(
        !body.contains("no-such-element") && !body.contains("fop"),
        "{body}"
    );

    let app = common::fixture("pdf");
    std::fs::create_dir_all(app.path().join("fonts")).unwrap();
    std::fs::write(
        app.path().join("fonts/apache-fop-config.xml"),
        "<fop><renderers>",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_endpoints"))
        .arg("check")
        .arg(app.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("fonts/apache-fop-config.xml:1:1"), "{text}");
    assert!(!text.contains("Usage"), "{text}");
}

//! `<ooxml-parameter-expansion>` over HTTP: DOCX, XLSX and PPTX templates, placeholders split across Word runs,
//! untouched entries copied byte-for-byte, values XML-escaped, and the load-time check of placeholders.

mod common;

use std::io::{Cursor, Read, Write};
use std::path::Path;

use common::{Options, TestServer};
use http::StatusCode;

const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:style w:styleId=\"x\"/></w:styles>";

fn write_zip(path: &Path, entries: &[(&str, &str, zip::CompressionMethod)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text, method) in entries {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(*method),
        )
        .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap();
}

const W: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";

fn templates(dir: &Path) {
    let o = dir.join("ooxml-responses");
    use zip::CompressionMethod::{Deflated, Stored};
    // The way Word splits a placeholder it has spell-checked: separate runs with proofErr marks between them.
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {W}><w:body><w:p w:rsidR=\"00A1\"><w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">Dear ${{na</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:i/></w:rPr><w:t>me}}</w:t></w:r><w:proofErr w:type=\"spellEnd\"/><w:r><w:t>, invoice ${{</w:t></w:r><w:r><w:t>invoice}} &amp; co.</w:t></w:r></w:p></w:body></w:document>"
    );
    let header = format!("<w:hdr {W}><w:p><w:r><w:t>To ${{name}}</w:t></w:r></w:p></w:hdr>");
    write_zip(
        &o.join("letter.docx"),
        &[
            ("[Content_Types].xml", "<Types/>", Deflated),
            ("word/document.xml", &document, Deflated),
            ("word/header1.xml", &header, Deflated),
            ("word/styles.xml", STYLES, Stored),
        ],
    );
    write_zip(
        &o.join("sheet.xlsx"),
        &[
            ("[Content_Types].xml", "<Types/>", Deflated),
            ("xl/sharedStrings.xml", "<sst xmlns=\"x\"><si><t>Invoice ${invoice}</t></si><si><r><t>For ${na</t></r><r><t>me}</t></r></si></sst>", Deflated),
            ("xl/worksheets/sheet1.xml", "<worksheet xmlns=\"x\"><sheetData><row><c t=\"inlineStr\"><is><t>${name}</t></is></c></row></sheetData></worksheet>", Deflated),
        ],
    );
    write_zip(
        &o.join("deck.pptx"),
        &[
            ("[Content_Types].xml", "<Types/>", Deflated),
            ("ppt/slides/slide1.xml", "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:r><a:t>Hello ${na</a:t></a:r><a:r><a:t>me}</a:t></a:r></a:p></p:sld>", Deflated),
            ("ppt/slideLayouts/slideLayout1.xml", "<l>${untouched}</l>", Deflated),
        ],
    );
}

fn entries(bytes: &[u8]) -> Vec<(String, String, zip::CompressionMethod)> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().unwrap().to_string(), s, f.compression())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docx_xlsx_pptx_are_expanded() {
    let s = TestServer::fixture_with("ooxml", Options::default(), templates).await;
    let q = "name=Bob%20%26%20%3CCo%3E&invoice=42";
    let r = s
        .get(&format!("/app/docx?{q}&hash={}", s.hash("docx", &[])))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"letter-42.docx\"")
    );
    assert_eq!(
        r.header("content-length").unwrap(),
        r.body.len().to_string()
    );
    let e = entries(&r.body);
    assert_eq!(
        e.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        [
            "[Content_Types].xml",
            "word/document.xml",
            "word/header1.xml",
            "word/styles.xml"
        ],
        "entry order kept"
    );
    let doc = &e[1].1;
    // Each XML part still parses.
    for (name, text, _) in &e {
        roxmltree::Document::parse(text).unwrap_or_else(|err| panic!("{name}: {err}"));
    }
    assert!(
        doc.contains(
            "<w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">Dear Bob &amp; &lt;Co&gt;</w:t>"
        ),
        "the placeholder split across runs is whole in the first run, with its formatting: {doc}"
    );
    assert!(doc.contains("<w:rPr><w:i/></w:rPr><w:t></w:t>"), "{doc}");
    assert!(
        doc.contains("<w:t>, invoice 42</w:t></w:r><w:r><w:t> &amp; co.</w:t>"),
        "{doc}"
    );
    assert!(
        e[2].1.contains("To Bob &amp; &lt;Co&gt;"),
        "headers are expanded too"
    );
    assert_eq!(e[3].1, STYLES, "untouched entries byte-for-byte");
    assert_eq!(
        e[3].2,
        zip::CompressionMethod::Stored,
        "and with their compression"
    );

    let r = s
        .get(&format!("/app/xlsx?{q}&hash={}", s.hash("xlsx", &[])))
        .await;
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let e = entries(&r.body);
    assert!(e[1].1.contains("<si><t>Invoice 42</t></si><si><r><t>For Bob &amp; &lt;Co&gt;</t></r><r><t></t></r></si>"), "{}", e[1].1);
    assert!(
        e[2].1.contains("<is><t>Bob &amp; &lt;Co&gt;</t></is>"),
        "{}",
        e[2].1
    );

    let r = s
        .get(&format!("/app/pptx?{q}&hash={}", s.hash("pptx", &[])))
        .await;
    let e = entries(&r.body);
    assert!(
        e[1].1.contains("<a:t>Hello Bob &amp; &lt;Co&gt;</a:t>"),
        "{}",
        e[1].1
    );
    assert_eq!(e[2].1, "<l>${untouched}</l>", "layouts are not text parts");
}

#[test]
fn an_unavailable_placeholder_in_a_template_fails_the_load() {
    let dir = common::fixture("ooxml");
    templates(dir.path());
    write_zip(
        &dir.path().join("ooxml-responses/letter.docx"),
        &[("word/document.xml", &format!("<w:document {W}><w:p><w:r><w:t>${{und</w:t></w:r><w:r><w:t>eclared}}</w:t></w:r></w:p></w:document>"), zip::CompressionMethod::Deflated)],
    );
    let diags = endpoints::config::check(dir.path(), &endpoints::config::LoadOptions::default());
    let errors: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
    assert!(
        errors.iter().any(|m| m.contains("template 'letter.docx', part 'word/document.xml' contains ${undeclared} but it is not available; available parameters are ${invoice}, ${name}, ${request-id}")),
        "{errors:?}"
    );
}

/// The text of each paragraph (`w:p`) of a document part.
fn paragraphs(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "p")
        .map(|p| {
            p.descendants()
                .filter(|t| t.is_element() && t.tag_name().name() == "t")
                .filter_map(|t| t.text())
                .collect::<String>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_made_by_libreoffice_with_split_placeholders() {
    let s = TestServer::fixture_with("ooxml", Options::default(), templates).await;
    let h = s.hash("libreoffice", &[]);
    let r = s
        .get(&format!(
            "/app/libreoffice?name=Bob%20%26%20Co&order=A-17&shipping-date=1%20May&hash={h}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let e = entries(&r.body);
    let doc = &e
        .iter()
        .find(|(n, _, _)| n == "word/document.xml")
        .unwrap()
        .1;
    let p = paragraphs(doc);
    assert_eq!(p[0], "Dear Bob & Co,", "{p:?}");
    assert_eq!(p[1], "your order A-17 ships on 1 May.", "{p:?}");
    // The value sits in the run where the placeholder started: plain for the name, italic for the date.
    assert!(doc.contains("<w:r><w:rPr></w:rPr><w:t>Dear Bob &amp; Co</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t></w:t></w:r>"), "{doc}");
    assert!(
        doc.contains("<w:rPr><w:i/></w:rPr><w:t>1 May</w:t>"),
        "{doc}"
    );
    // Every other entry is byte-for-byte the original.
    let original = std::fs::read(s.app_dir.join("ooxml-responses/lo-letter.docx")).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(original)).unwrap();
    for (name, text, _) in &e {
        if name != "word/document.xml" {
            let mut orig = String::new();
            z.by_name(name).unwrap().read_to_string(&mut orig).unwrap();
            assert_eq!(&orig, text, "{name}");
        }
    }
}

//! `<convert-output-xml-to-excel>` over HTTP: the XLSX is read back with openpyxl (Debian's python3-openpyxl) and its
//! cell types, values, number formats and styles are checked.

mod common;

use std::process::Command;

use common::TestServer;
use http::StatusCode;
use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";

fn openpyxl() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3-openpyxl is required under CI=true"
        );
        eprintln!("\n**********\nSKIPPED: python3-openpyxl is not installed (scripts/setup.sh installs it)\n**********\n");
    }
    ok
}

/// Every non-empty cell: coordinate → {value, type, format, bold, center, top, color}; plus merged ranges.
fn read(xlsx: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(&path, xlsx).unwrap();
    let script = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
cells = {}
for row in ws.iter_rows():
    for c in row:
        if c.value is None: continue
        color = c.font.color.rgb if c.font and c.font.color is not None and isinstance(c.font.color.rgb, str) else None
        cells[c.coordinate] = {"value": c.value, "type": c.data_type, "format": c.number_format, "bold": bool(c.font.b),
                               "center": c.alignment.horizontal == "center", "top": c.border.top.style, "color": color}
print(json.dumps({"cells": cells, "merged": [str(m) for m in ws.merged_cells.ranges], "max_row": ws.max_row,
                  "width_a": ws.column_dimensions["A"].width}))
"#;
    let out = Command::new(PYTHON)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_tables_become_xlsx() {
    if !openpyxl() {
        return;
    }
    let s = TestServer::fixture("excel").await;
    let r = s
        .get(&format!("/app/report?hash={}", s.hash("report", &[])))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"report.xlsx\"")
    );
    let x = read(&r.body);
    let c = &x["cells"];
    // thead first, tbody, the empty row skipped, tfoot last (it came first in the HTML)
    assert_eq!(c["A1"]["value"], "Product");
    assert_eq!(c["A1"]["center"], true);
    assert_eq!(c["A2"]["value"], "Sencha tea");
    assert_eq!(c["B2"]["value"], 12.2);
    assert_eq!(c["B2"]["type"], "n");
    assert_eq!(c["B2"]["format"], "0.00", "two decimals as given");
    assert_eq!(c["A3"]["color"], "FFFF0000");
    assert_eq!(c["B3"]["value"], "007", "excel-type=text");
    assert_eq!(c["B3"]["type"], "s");
    assert_eq!(c["A4"]["value"], "Spanning text", "script ignored");
    assert_eq!(c["A4"]["color"], "FF008000");
    assert!(
        x["merged"].as_array().unwrap().iter().any(|m| m == "A4:B4"),
        "{}",
        x["merged"]
    );
    assert_eq!(c["A5"]["value"], "Nested", "nested tables ignored");
    assert_eq!(c["B5"]["value"], -3);
    assert_eq!(c["B5"]["format"], "0");
    assert_eq!(c["A6"]["value"], "Total");
    assert_eq!(c["A6"]["bold"], true);
    assert_eq!(c["A6"]["top"], "thin");
    assert_eq!(c["B6"]["value"], 1234.5);
    assert_eq!(c["B6"]["format"], "0.00");
    assert_eq!(x["max_row"], 6);
    assert!(
        x["width_a"].as_f64().unwrap() >= 12.0,
        "column width from content"
    );

    let r = s
        .get(&format!(
            "/app/report-comma?hash={}",
            s.hash("report-comma", &[])
        ))
        .await;
    let x = read(&r.body);
    assert_eq!(x["cells"]["A1"]["value"], 1234.56);
    assert_eq!(x["cells"]["B1"]["value"], 12.5);
    assert_eq!(x["cells"]["B1"]["format"], "0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invoice_example_report() {
    if !openpyxl() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/invoice");
    let s = TestServer::start(&dir, common::Options::default()).await;
    let r = s
        .get(&format!("/report?hash={}", s.hash("report", &[])))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"report.xlsx\"")
    );
    let x = read(&r.body);
    let c = &x["cells"];
    assert_eq!(c["A1"]["value"], "Region");
    assert_eq!(c["B2"]["value"], 1250.0);
    assert_eq!(c["B2"]["format"], "0.00");
    assert_eq!(c["A5"]["value"], "Total");
    assert_eq!(c["B5"]["value"], 4331.25);
    assert_eq!(c["B5"]["top"], "thin");
}

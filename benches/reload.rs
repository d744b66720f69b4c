//! How long a load (and so a reload) takes: generates an application with 1,000 endpoints and 50 stylesheets (each
//! the ~10 KB invoice stylesheet of the XSLT benchmark), then times `config::load` (what a reload runs, off the async
//! workers). With `--app DIR` it times the load of an existing application directory instead.
//!
//!     cargo bench --bench reload -- [ENDPOINTS] [STYLESHEETS] [RUNS]
//!     cargo bench --bench reload -- --app DIR [RUNS]

use std::path::Path;
use std::time::Instant;

use endpoints::config::{self, LoadOptions};

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: then only a small smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<usize> = argv.iter().filter_map(|a| a.parse().ok()).collect();
    if let Some(i) = argv.iter().position(|a| a == "--app") {
        let dir = argv.get(i + 1).expect("--app needs a directory");
        let runs = args.first().copied().unwrap_or(if bench { 15 } else { 1 });
        time_loads(Path::new(dir), runs, None);
        return;
    }
    let endpoints = args
        .first()
        .copied()
        .unwrap_or(if bench { 1000 } else { 20 });
    let stylesheets = args.get(1).copied().unwrap_or(if bench { 50 } else { 2 });
    let runs = args.get(2).copied().unwrap_or(if bench { 7 } else { 1 });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in [
        "data-sources",
        "transformers",
        "data-source-xslt",
        "static",
        "xml-from-application",
    ] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    let xsl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/bench/xslt-app/data-source-xslt/invoice.xsl"
    ))
    .unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/bench/xslt-app/xml-from-application/invoice.xml"
        ),
        d.join("xml-from-application/invoice.xml"),
    )
    .unwrap();
    std::fs::write(
        d.join("security.xml"),
        "<security><secret-key>k</secret-key></security>",
    )
    .unwrap();
    std::fs::write(d.join("static/page.html"), "<html><body>page</body></html>").unwrap();
    for i in 0..stylesheets {
        // Each stylesheet differs, so none is shared from a cache.
        std::fs::write(
            d.join(format!("data-source-xslt/s{i}.xsl")),
            xsl.replace("Rechnung", &format!("Rechnung {i}")),
        )
        .unwrap();
        std::fs::write(
            d.join(format!("data-sources/d{i}.xml")),
            "<data-source><xml-from-application file=\"invoice.xml\"/><parameters/></data-source>",
        )
        .unwrap();
        std::fs::write(
            d.join(format!("transformers/t{i}.xml")),
            format!("<transformer data-source=\"d{i}\"><xslt-file name=\"s{i}.xsl\"/><content-type type=\"text/html\"/></transformer>"),
        )
        .unwrap();
    }
    let mut xml =
        String::from("<endpoint-folder>\n<parameter name=\"lang\" default-value=\"en\"/>\n");
    for i in 0..endpoints {
        let t = i % stylesheets.max(1);
        xml.push_str(&format!(
            "<endpoint name=\"e{i}\"><parameter name=\"p{i}\" default-value=\"x\"/><include-in-hash><parameter name=\"lang\"/></include-in-hash>\
             <success if=\"${{lang}}\" equals=\"de\"><response-from-static filename=\"page.html\"/></success>\
             <success><response-transformation name=\"t{t}\" download-filename=\"r-${{p{i}}}.html\"/></success>\
             <error><redirect-to>https://errors.example/?id=${{request-id}}</redirect-to></error></endpoint>\n"
        ));
    }
    xml.push_str("</endpoint-folder>\n");
    std::fs::write(d.join("endpoints.xml"), xml).unwrap();

    time_loads(d, runs, Some((endpoints, stylesheets)));
}

/// Loads `dir` `runs` times and prints the median, min and max time.
fn time_loads(dir: &Path, runs: usize, generated: Option<(usize, usize)>) {
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let app = config::load(dir, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        count = app.endpoints.len();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let what = match generated {
        Some((endpoints, stylesheets)) => {
            assert_eq!(count, endpoints);
            format!("reload of {endpoints} endpoints and {stylesheets} stylesheets")
        }
        None => format!("load of {} ({count} endpoints)", dir.display()),
    };
    println!(
        "{what}: median {:.1} ms, min {:.1} ms, max {:.1} ms ({} runs)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        times.len()
    );
}

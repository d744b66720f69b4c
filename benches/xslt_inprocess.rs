//! In-process XSLT throughput: the engine's transformer path (data source → `<transformation-input>` → compiled
//! stylesheet → serialised output) without HTTP, one thread, for an application directory and transformer.
//!
//!     cargo bench --bench xslt_inprocess -- [APP_DIR] [TRANSFORMER] [ITERATIONS]
//!
//! Defaults: bench/xslt-app, invoice, 2000. Prints one line with transforms per second.

use std::time::Instant;

use endpoints::config::{self, LoadOptions};
use endpoints::engine::{data_source::Ctx, transform};

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: then only a small smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = args
        .first()
        .cloned()
        .unwrap_or_else(|| "bench/xslt-app".to_string());
    let name = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "invoice".to_string());
    let n: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(if bench { 2000 } else { 20 });
    let app =
        config::load(std::path::Path::new(&dir), &LoadOptions::default()).unwrap_or_else(|e| {
            for d in e.0 {
                eprintln!("{d}");
            }
            std::process::exit(1)
        });
    let index = app
        .transformers
        .iter()
        .position(|t| t.name == name)
        .unwrap_or_else(|| panic!("no transformer '{name}' in {dir}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store: std::sync::Arc<dyn endpoints::store::Store> = std::sync::Arc::new(
        endpoints::store::sqlite::SqliteStore::temporary().expect("state store"),
    );
    let journal = endpoints::engine::journal::Journal::new(
        &store,
        &app.name,
        endpoints::engine::Environment::Live,
        0,
        &endpoints::engine::Settings::default(),
    );
    let run = |count: usize| {
        rt.block_on(async {
            let mut bytes = 0;
            for _ in 0..count {
                let ctx = Ctx {
                    app: &app,
                    params: vec![(
                        "request-id".to_string(),
                        "00000000-0000-4000-8000-000000000000".to_string(),
                    )],
                    intermediate: 0,
                    unknown_empty: false,
                    uploads: &[],
                    journal: &journal,
                    separator: String::new(),
                };
                bytes = transform::run(index, &ctx)
                    .await
                    .expect("transform")
                    .body
                    .len();
            }
            bytes
        })
    };
    run(n / 10 + 1); // warm-up
    let started = Instant::now();
    let bytes = run(n);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "in-process: {n} transforms of '{name}' in {secs:.2} s = {:.0} transforms/s ({:.3} ms each, output {bytes} bytes)",
        n as f64 / secs,
        secs * 1000.0 / n as f64
    );
}

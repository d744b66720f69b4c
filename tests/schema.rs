//! The XML Schemas in `schema/` against the repository's applications and `docs/reference.md`:
//!
//! - every application file in `examples/`, `tests/apps/`, `endpoints/` and `bench/app/` validates with the real
//!   `xmllint --noout --schema …` (a file kind without a schema is listed in [`NOT_COVERED`] with the reason, and a
//!   file of no known kind fails the test, so a new kind cannot slip past);
//! - the invalid applications in `tests/schema_invalid/` are rejected by xmllint and by `endpoints check`, each at
//!   the expected line;
//! - every element and attribute name the schemas declare is described in `docs/reference.md`, and the reference
//!   describes no name the schemas lack.
//!
//! Without xmllint (Debian package libxml2-utils, installed by scripts/setup.sh) the xmllint tests fail when
//! `CI=true` and are skipped with a message otherwise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_endpoints");

/// Application directories that are deliberately wrong, and why they are not validated.
const EXCLUDED_APPS: [(&str, &str); 2] = [
    (
        "tests/apps/broken",
        "deliberately broken to test every load error of endpoints.xml (tests/cli.rs)",
    ),
    (
        "tests/apps/broken-tasks",
        "deliberately broken to test the load errors of tasks (tests/cli.rs)",
    ),
];

/// Files under an application that are XML but not the engine's configuration, by the folder they are in
/// (relative to the folder holding endpoints.xml), and why no schema covers them.
const NOT_COVERED: [(&str, &str); 8] = [
    ("static", "files served as they are; any content"),
    (
        "xml-from-application",
        "the application's own XML data, read by <xml-from-application>; any content",
    ),
    (
        "ooxml-responses",
        "Word documents (OOXML parts) expanded by <ooxml-parameter-expansion>",
    ),
    (
        "fonts",
        "Apache FOP's own configuration (apache-fop-config.xml), FOP's format",
    ),
    ("data-source-xslt", "XSLT stylesheets (XSLT's own schema)"),
    ("parameter-xslt", "XSLT stylesheets (XSLT's own schema)"),
    ("http-xslt", "XSLT stylesheets (XSLT's own schema)"),
    (
        "data-source-post-processing-xslt",
        "XSLT stylesheets (XSLT's own schema)",
    ),
];

/// The schema of a configuration file, by its path relative to the folder holding endpoints.xml.
fn schema_for(rel: &Path) -> Option<&'static str> {
    let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
    match parts.as_slice() {
        ["endpoints.xml"] => Some("endpoints.xsd"),
        ["security.xml"] => Some("security.xsd"),
        ["engine-settings.xml"] => Some("engine-settings.xsd"),
        ["email-sending-configuration.xml"] => Some("email-sending-configuration.xsd"),
        ["data-sources", _] => Some("data-source.xsd"),
        ["transformers", _] => Some("transformer.xsd"),
        ["aws-s3-configuration.xml"] => Some("aws-s3-configuration.xsd"),
        ["secrets.xml"] => Some("secrets.xsd"),
        ["data-driven-cms", ..] => Some("data-driven-cms.xsd"),
        _ => None,
    }
}

/// True when xmllint runs. Without it: a failure under `CI=true`, else a loud skip (false).
fn xmllint_available(test: &str) -> bool {
    let ok = Command::new("xmllint")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    let msg =
        "xmllint is not installed (Debian package libxml2-utils; scripts/setup.sh installs it)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: {msg}");
    }
    // Written to the stderr handle itself, which the test harness does not capture, so the skip shows.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("\n!!!!!!!!!! SKIPPED {test}: {msg} !!!!!!!!!!\n\n").as_bytes(),
    );
    false
}

fn xml_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            xml_files_under(&p, out);
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
            out.push(p);
        }
    }
}

/// The folder holding endpoints.xml: the application directory, or its `endpoints/` folder.
fn config_dir(app: &Path) -> PathBuf {
    if app.join("endpoints.xml").is_file() {
        app.to_path_buf()
    } else {
        app.join("endpoints")
    }
}

/// Every application directory of the repository that is validated.
fn applications() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut apps = vec![root.join("endpoints"), root.join("bench/app")];
    for parent in ["examples", "tests/apps"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(parent))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        found.sort();
        apps.extend(found);
    }
    apps.retain(|a| !EXCLUDED_APPS.iter().any(|(rel, _)| a == &root.join(rel)));
    for a in &apps {
        assert!(
            config_dir(a).join("endpoints.xml").is_file(),
            "{}: no endpoints.xml; is it an application?",
            a.display()
        );
    }
    apps
}

/// The files of `app` by schema; files of no known kind are returned separately.
fn classify(app: &Path) -> (Vec<(&'static str, PathBuf)>, Vec<PathBuf>) {
    let cfg = config_dir(app);
    let mut files = Vec::new();
    xml_files_under(app, &mut files);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for f in files {
        let Ok(rel) = f.strip_prefix(&cfg) else {
            // Beside endpoints/ in the split layout: static/ and ooxml-responses/.
            let rel = f.strip_prefix(app).unwrap();
            if !is_not_covered(rel) {
                unknown.push(f);
            }
            continue;
        };
        match schema_for(rel) {
            Some(s) => known.push((s, f)),
            None if is_not_covered(rel) => {}
            None => unknown.push(f),
        }
    }
    (known, unknown)
}

fn is_not_covered(rel: &Path) -> bool {
    let first = rel.iter().next().and_then(|p| p.to_str()).unwrap_or("");
    NOT_COVERED.iter().any(|(dir, _)| *dir == first) && rel.iter().count() > 1
}

/// Runs xmllint on `files` with `schema` (a file in `schema/`); returns the lines reporting problems (each names
/// the file and line), plus a line for any file xmllint did not say validates.
fn xmllint(schema: &str, files: &[PathBuf]) -> Vec<String> {
    let schema_path = Path::new(ROOT).join("schema").join(schema);
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema_path)
        .args(files)
        .output()
        .expect("run xmllint");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let mut problems: Vec<String> = text
        .lines()
        .filter(|l| !l.ends_with(" validates"))
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.strip_prefix(&format!("{ROOT}/")).unwrap_or(l).to_string())
        .collect();
    for f in files {
        let line = format!("{} validates", f.display());
        if !text.lines().any(|l| l == line) {
            problems.push(format!(
                "{}: xmllint did not say it validates against schema/{schema}",
                f.strip_prefix(ROOT).unwrap_or(f).display()
            ));
        }
    }
    problems
}

#[test]
fn every_application_file_validates_against_its_schema() {
    if !xmllint_available("every_application_file_validates_against_its_schema") {
        return;
    }
    let mut by_schema: std::collections::BTreeMap<&str, Vec<PathBuf>> = Default::default();
    let mut unknown = Vec::new();
    for app in applications() {
        let (known, u) = classify(&app);
        for (s, f) in known {
            by_schema.entry(s).or_default().push(f);
        }
        unknown.extend(u);
    }
    assert!(
        unknown.is_empty(),
        "XML files of no known kind (give them a schema in schema_for or a reason in NOT_COVERED):\n{}",
        unknown
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The repository has files of every kind (engine-settings.xml: see the next test).
    for s in [
        "endpoints.xsd",
        "security.xsd",
        "email-sending-configuration.xsd",
        "data-source.xsd",
        "transformer.xsd",
    ] {
        assert!(by_schema.contains_key(s), "no application file uses {s}");
    }
    let total: usize = by_schema.values().map(Vec::len).sum();
    assert!(total > 100, "only {total} files found");
    let mut problems = Vec::new();
    for (schema, files) in &by_schema {
        problems.extend(xmllint(schema, files));
    }
    assert!(
        problems.is_empty(),
        "{} schema problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// No application in the repository has an engine-settings.xml (the tests write theirs): one with every setting
/// passes both `endpoints check` and the schema.
#[test]
fn a_complete_engine_settings_file_passes_check_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path();
    std::fs::write(
        app.join("endpoints.xml"),
        "<endpoint-folder>\n    <endpoint name=\"hello\"/>\n</endpoint-folder>\n",
    )
    .unwrap();
    std::fs::write(
        app.join("security.xml"),
        "<security><secret-key>k</secret-key></security>\n",
    )
    .unwrap();
    let settings = app.join("engine-settings.xml");
    std::fs::write(
        &settings,
        "<engine-settings>\n    <hash-scheme> hmac-sha256 </hash-scheme>\n    <missing-hash>refuse</missing-hash>\n    <xslt-engine>auto</xslt-engine>\n</engine-settings>\n",
    )
    .unwrap();
    let out = Command::new(BIN).arg("check").arg(app).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if !xmllint_available("a_complete_engine_settings_file_passes_check_and_schema") {
        return;
    }
    let problems = xmllint("engine-settings.xsd", &[settings]);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// An invalid application in tests/schema_invalid/: the one file at fault, its schema, the line, and a part of
/// what xmllint and `endpoints check` say.
struct Invalid {
    app: &'static str,
    file: &'static str,
    schema: &'static str,
    line: u32,
    xmllint_says: &'static str,
    check_says: &'static str,
}

const INVALID: [Invalid; 8] = [
    Invalid {
        app: "unknown-element",
        file: "endpoints.xml",
        schema: "endpoints.xsd",
        line: 3,
        xmllint_says: "Element 'sucess': This element is not expected",
        check_says: "Unexpected element <sucess> in <endpoint name='hello'>",
    },
    Invalid {
        app: "missing-attribute",
        file: "endpoints.xml",
        schema: "endpoints.xsd",
        line: 3,
        xmllint_says: "The attribute 'name' is required but missing",
        check_says: "<endpoint> is missing the attribute 'name'",
    },
    Invalid {
        app: "wrong-enum",
        file: "endpoints.xml",
        schema: "endpoints.xsd",
        line: 4,
        xmllint_says: "The value 'sha1' is not an element of the set",
        check_says: "<hmac scheme=\"sha1\"> unknown",
    },
    Invalid {
        app: "settings-enum",
        file: "engine-settings.xml",
        schema: "engine-settings.xsd",
        line: 2,
        xmllint_says: "The value 'maybe' is not an element of the set",
        check_says: "<missing-hash> must be 'refuse' or 'accept', not 'maybe'",
    },
    Invalid {
        app: "data-source-enum",
        file: "data-sources/numbers.xml",
        schema: "data-source.xsd",
        line: 2,
        xmllint_says: "The value 'week' is not an element of the set",
        check_says: "type='week' invalid",
    },
    Invalid {
        app: "transformer-attribute",
        file: "transformers/plain.xml",
        schema: "transformer.xsd",
        line: 1,
        xmllint_says: "The attribute 'data-source' is required but missing",
        check_says: "<transformer> is missing the attribute 'data-source'",
    },
    Invalid {
        app: "email-element",
        file: "email-sending-configuration.xml",
        schema: "email-sending-configuration.xsd",
        line: 3,
        xmllint_says: "Element 'smtp-host': This element is not expected",
        check_says: "Unexpected element <smtp-host> in <email-sending-configuration>",
    },
    Invalid {
        app: "security-element",
        file: "security.xml",
        schema: "security.xsd",
        line: 3,
        xmllint_says: "Element 'key': This element is not expected",
        check_says: "Unexpected element <key> in <security>",
    },
];

#[test]
fn invalid_files_are_rejected_by_xmllint_and_by_check() {
    let base = Path::new(ROOT).join("tests/schema_invalid");
    let mut listed: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    let mut expected: Vec<String> = INVALID.iter().map(|c| c.app.to_string()).collect();
    expected.sort();
    assert_eq!(
        listed, expected,
        "every folder in tests/schema_invalid/ has its case"
    );

    // `endpoints check`: one error, the expected one, at the file and line at fault.
    for c in &INVALID {
        let dir = base.join(c.app);
        let out = Command::new(BIN)
            .arg("check")
            .arg(&dir)
            .env_remove("ENDPOINTS_CHECK_HASH")
            .env_remove("ENDPOINTS_APP_DIR")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: check must fail:\n{err}",
            c.app
        );
        let at = format!("{}:{}:", dir.join(c.file).display(), c.line);
        assert!(
            err.lines()
                .any(|l| l.starts_with(&at) && l.contains(c.check_says)),
            "{}: expected '{}' at {at}; check said:\n{err}",
            c.app,
            c.check_says
        );
        assert!(
            err.contains("1 error(s)"),
            "{}: only the one mistake is an error:\n{err}",
            c.app
        );
    }

    if !xmllint_available("invalid_files_are_rejected_by_xmllint_and_by_check") {
        return;
    }
    for c in &INVALID {
        let dir = base.join(c.app);
        let (known, unknown) = classify(&dir);
        assert!(unknown.is_empty(), "{unknown:?}");
        for (schema, f) in known {
            let problems = xmllint(schema, std::slice::from_ref(&f));
            if f != dir.join(c.file) {
                assert!(
                    problems.is_empty(),
                    "{}: only {} is invalid, yet:\n{}",
                    c.app,
                    c.file,
                    problems.join("\n")
                );
                continue;
            }
            assert_eq!(schema, c.schema, "{}", c.app);
            let at = format!("{}:{}:", f.strip_prefix(ROOT).unwrap().display(), c.line);
            assert!(
                problems
                    .iter()
                    .any(|l| l.starts_with(&at) && l.contains(c.xmllint_says)),
                "{}: expected '{}' at {at}; xmllint said:\n{}",
                c.app,
                c.xmllint_says,
                problems.join("\n")
            );
        }
    }
}

/// Element and attribute names declared in the schemas.
fn schema_names() -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut elements, mut attributes) = (BTreeSet::new(), BTreeSet::new());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("schema"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xsd"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 7, "schemas missing: {paths:?}");
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let doc =
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for n in doc.descendants().filter(|n| n.is_element()) {
            let Some(name) = n.attribute("name") else {
                continue;
            };
            match n.tag_name().name() {
                "element" => elements.insert(name.to_string()),
                "attribute" => attributes.insert(name.to_string()),
                _ => false,
            };
        }
    }
    (elements, attributes)
}

/// Names the reference describes: elements as headings ``### `<name>` ``, attributes as the first cell of a table
/// row: ``| `name` | …`` (a cell naming several attributes, or anything but lower-case letters and `-`, is not
/// counted).
fn reference_names(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut elements, mut attributes) = (BTreeSet::new(), BTreeSet::new());
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("### `<") {
            if let Some(name) = rest.strip_suffix(">`") {
                elements.insert(name.to_string());
            }
        } else if let Some(rest) = line.strip_prefix("| `") {
            if let Some((name, _)) = rest.split_once("` |") {
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                    attributes.insert(name.to_string());
                }
            }
        }
    }
    (elements, attributes)
}

#[test]
fn the_reference_describes_every_name_in_the_schemas_and_no_other() {
    let (schema_elements, schema_attributes) = schema_names();
    let path = Path::new(ROOT).join("docs/reference.md");
    let text = std::fs::read_to_string(&path).expect("docs/reference.md");
    let (ref_elements, ref_attributes) = reference_names(&text);
    let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    let mut problems = Vec::new();
    for (what, missing) in [
        (
            "elements in the schemas without a heading ### `<name>` in docs/reference.md",
            diff(&schema_elements, &ref_elements),
        ),
        (
            "elements described in docs/reference.md that no schema declares",
            diff(&ref_elements, &schema_elements),
        ),
        (
            "attributes in the schemas without a table row | `name` | in docs/reference.md",
            diff(&schema_attributes, &ref_attributes),
        ),
        (
            "attributes described in docs/reference.md that no schema declares",
            diff(&ref_attributes, &schema_attributes),
        ),
    ] {
        if !missing.is_empty() {
            problems.push(format!("{what}: {}", missing.join(", ")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What `endpoints init` writes is a starting point people copy from: every file validates against its schema.
#[test]
fn the_application_endpoints_init_writes_validates() {
    if !xmllint_available("the_application_endpoints_init_writes_validates") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("demo");
    let out = Command::new(BIN)
        .arg("init")
        .arg(&app)
        .output()
        .expect("run endpoints init");
    assert!(
        out.status.success(),
        "endpoints init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (known, unknown) = classify(&app);
    assert!(unknown.is_empty(), "files of no known kind: {unknown:?}");
    let mut by_schema: std::collections::BTreeMap<&str, Vec<PathBuf>> = Default::default();
    for (s, f) in known {
        by_schema.entry(s).or_default().push(f);
    }
    for s in ["endpoints.xsd", "security.xsd", "engine-settings.xsd"] {
        assert!(
            by_schema.contains_key(s),
            "init wrote no file for {s}: {by_schema:?}"
        );
    }
    let problems: Vec<String> = by_schema
        .iter()
        .flat_map(|(schema, files)| xmllint(schema, files))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

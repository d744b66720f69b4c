//! The data-driven CMS (`<data-driven-cms/>`): `tests/apps/cms` served for real, its element checked whole (file
//! conditions, condition folders, priorities, merging of files, sorting), and the load errors of broken CMS files.

mod common;

use common::TestServer;
use endpoints::config::{self, LoadOptions, Severity};
use http::StatusCode;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<transformation-input>";
const MAIN: &str = "<content id=\"main\"><instance><element>prio4</element><b>bold</b></instance><instance><element>prio3</element></instance><instance><element>prio2</element></instance></content>";
const OTHER: &str = "<content id=\"other\"><instance><element>other</element></instance></content>";
const PROPERTIES: &str =
    "<property id=\"main\" value=\"prio4\"/><property id=\"other\" value=\"other &amp; more\"/>";

#[tokio::test]
async fn the_element_follows_conditions_priorities_and_ids() {
    tokio::time::timeout(common::TEST_TIMEOUT, async {
        let s = TestServer::fixture("cms").await;
        let hash = s.hash("cms", &[]);
        let r = s.get(&format!("/cms?hash={hash}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.text(),
            format!(
                "{HEAD}<data-driven-cms>{MAIN}<content id=\"never\"/>{OTHER}<content id=\"tagged\"/>{PROPERTIES}</data-driven-cms></transformation-input>\n"
            )
        );
        // A folder holds when all its conditions do; values are split on the endpoint's separator.
        let r = s.get(&format!("/cms?tags=a,b&hash={hash}")).await;
        assert!(
            r.text().contains(
                "<content id=\"tagged\"><instance><element>tagged</element></instance></content>"
            ),
            "{}",
            r.text()
        );
        let r = s.get(&format!("/cms?tags=b&hash={hash}")).await;
        assert!(r.text().contains("<content id=\"tagged\"/>"), "{}", r.text());
        // The file-level condition decides for the whole file (now the first file counts and the second not, so the
        // later instance of priority 4 counts).
        let r = s.get(&format!("/cms?trueParameter=false&hash={hash}")).await;
        assert_eq!(
            r.text(),
            format!(
                "{HEAD}<data-driven-cms><content id=\"main\"><instance><element>global-condition-fails</element></instance><instance><element>second-prio4</element></instance><instance><element>prio2</element></instance></content><property id=\"main\" value=\"global-condition-fails\"/></data-driven-cms></transformation-input>\n"
            )
        );
    })
    .await
    .unwrap()
}

fn errors(prepare: impl FnOnce(&std::path::Path)) -> Vec<String> {
    let dir = common::fixture("cms");
    prepare(dir.path());
    config::check(dir.path(), &LoadOptions::default())
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let file = d
                .file
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string();
            format!("{file}:{}:{}: {}", d.line, d.column, d.message)
        })
        .collect()
}

#[test]
fn broken_files_are_load_errors() {
    assert_eq!(errors(|_| {}), Vec::<String>::new());
    let e = errors(|d| {
        std::fs::write(
            d.join("data-driven-cms/sub/broken.xml"),
            "<data-driven-cms>\n<content id=\"c\"><instance priority=\"x\"><copy/></instance>\n\
             <instance priority=\"1\"/><instance priority=\"2\"><copy/><extra/></instance></content>\n\
             <property id=\"p\"><instance priority=\"1\"/></property>\n<contents/>\n</data-driven-cms>",
        )
        .unwrap();
    });
    assert_eq!(
        e,
        [
            "data-driven-cms/sub/broken.xml:2:27: <instance priority='x'>: the priority must be a whole number",
            "data-driven-cms/sub/broken.xml:3:1: <content id='c'>: an <instance> needs exactly one <copy>",
            "data-driven-cms/sub/broken.xml:3:55: Unexpected element <extra> in <instance>; expected <condition-folder> or <copy>",
            "data-driven-cms/sub/broken.xml:4:18: <instance> is missing the attribute 'value'",
            "data-driven-cms/sub/broken.xml:5:1: Unexpected element <contents> in <data-driven-cms>; expected <condition>, <content> or <property>",
        ]
    );
    // The folder is needed once a data source uses it.
    let e = errors(|d| std::fs::remove_dir_all(d.join("data-driven-cms")).unwrap());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("data-sources/cms.xml:2:5: <data-driven-cms/>: cannot read the 'data-driven-cms' directory"),
        "{e:?}"
    );
    // A condition may only name what the endpoint provides.
    let e = errors(|d| {
        std::fs::write(
            d.join("data-driven-cms/z.xml"),
            "<data-driven-cms><condition if=\"${nope}\" equals=\"1\"/></data-driven-cms>",
        )
        .unwrap()
    });
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("Pattern '${nope}' contains parameter ${nope} but it is not available"),
        "{e:?}"
    );
}

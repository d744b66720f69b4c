//! `<xml-from-database>` through the whole request path: an HTTP parameter bound to `?` in SQLite.

mod common;

use common::{Options, TestServer};
use http::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_parameter_reaches_the_query_as_data() {
    let s = TestServer::fixture_with("database", Options::default(), |dir| {
        let db = rusqlite::Connection::open(dir.join("shop.db")).unwrap();
        db.execute_batch(
            "CREATE TABLE product (name TEXT, price NUMERIC, category TEXT);
             INSERT INTO product VALUES ('Sencha', 8.5, 'tea'), ('Earl Grey', 6.9, 'tea'), ('Espresso', 12, 'coffee');",
        )
        .unwrap();
    })
    .await;
    let h = s.hash("products", &[]);
    let r = s.get(&format!("/app/products?category=tea&hash={h}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains("<transformation-input><products><row><name>Earl Grey</name><price>6.9</price></row><row><name>Sencha</name><price>8.5</price></row></products></transformation-input>"),
        "{}",
        r.text()
    );
    // An injection attempt stays data.
    let r = s
        .get(&format!(
            "/app/products?category=tea%27%20OR%20%271%27%3D%271&hash={h}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("<products/>"), "{}", r.text());
}

//! A damaged history database: stxd refuses to start on it and says how to rebuild it;
//! `--rebuild-history` sets it aside and records every image file again.

mod common;

use common::TestServer;
use stx_history::History;

#[test]
fn a_damaged_database_is_refused_with_the_way_out_and_rebuilt_from_the_files() {
    let server = TestServer::start();
    for n in 1..=3 {
        assert_eq!(server.take_frame(1), n);
    }
    let dir = server.stop();
    let db = History::database_path(dir.path());
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[4096..2 * 4096].fill(0xA5);
    std::fs::write(&db, bytes).unwrap();

    let (err, dir) = TestServer::try_start(dir, |_| {}).err().expect("a damaged database is refused");
    let text = err.to_string();
    assert!(text.contains("is damaged") && text.contains("--rebuild-history"), "{text}");

    let server =
        TestServer::try_start(dir, |c| c.rebuild_history = true).unwrap_or_else(|(e, _)| panic!("{e}"));
    assert_eq!(server.drain(), 3, "every frame is back, measured from its file");
    assert_eq!(server.take_frame(1), 4);
}

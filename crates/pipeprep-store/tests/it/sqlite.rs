use pipeprep_store::{NewSession, SqliteStore, Store, StoreError};

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "my precious notes, not a database\n").unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("notes.db") && msg.contains("left untouched"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "my precious notes, not a database\n"
    );
}

#[test]
fn a_path_that_cannot_be_written_gives_a_clear_error() {
    // A directory that is really a file cannot hold a database, even for root.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let err = SqliteStore::open(&blocker.join("p.db")).unwrap_err();
    assert!(matches!(err, StoreError::Unwritable { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("not-a-dir") && msg.contains("--db"), "{msg}");
}

#[test]
fn two_connections_write_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let threads: Vec<_> = [("x", path.clone()), ("y", path.clone())]
        .into_iter()
        .map(|(name, p)| {
            std::thread::spawn(move || {
                let s = SqliteStore::open(&p).unwrap();
                s.create(&NewSession {
                    id: name.into(),
                    scenario: "s".into(),
                    config_json: "{}".into(),
                    created_ms: 1,
                })
                .unwrap();
                for i in 0..50u64 {
                    s.append(
                        name,
                        &pipeprep_store::Step {
                            seq: i,
                            at_ms: i,
                            event_json: "{}".into(),
                            turns: vec![],
                            now_ms: 1,
                        },
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(a.load("x").unwrap().events.len(), 50);
    assert_eq!(b.load("y").unwrap().events.len(), 50);
}

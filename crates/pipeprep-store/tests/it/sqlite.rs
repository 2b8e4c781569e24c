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
fn a_read_only_directory_gives_a_clear_error() {
    // Root ignores permission bits, so only check where they bite.
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = std::fs::write(ro.join("probe"), "x").is_err();
    if probe {
        let err = SqliteStore::open(&ro.join("p.db")).unwrap_err();
        assert!(matches!(err, StoreError::Unwritable { .. }), "{err}");
        assert!(err.to_string().contains("--db"), "{err}");
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
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

//! Who holds the write lock on a database, said honestly. SQLite's locks are POSIX record locks
//! on the database file (rollback journal) or its `-shm` file (WAL); on Linux `/proc/locks` lists
//! them with the process that holds them, and `/proc/PID/comm` names the program.

use std::path::Path;

/// The program holding a write lock on `db`, as a phrase: "another pipeprep (pid 12)",
/// "`sqlite3` (pid 34)", or "another program (maybe another pipeprep)" when it cannot be told.
pub fn describe(db: &Path) -> String {
    let holders = write_lock_holders(db);
    if holders.is_empty() {
        return "another program (maybe another pipeprep)".to_string();
    }
    let named: Vec<String> = holders
        .iter()
        .map(|(pid, name)| match name.as_deref() {
            Some("pipeprep") => format!("another pipeprep (pid {pid})"),
            Some(n) => format!("`{n}` (pid {pid})"),
            None => format!("process {pid}"),
        })
        .collect();
    named.join(" and ")
}

#[cfg(target_os = "linux")]
fn write_lock_holders(db: &Path) -> Vec<(u32, Option<String>)> {
    use std::os::unix::fs::MetadataExt;

    // /proc/locks prints the device as MAJOR:MINOR in hex and the inode in decimal.
    let ids: Vec<String> = [db.to_path_buf(), shm_path(db)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| {
            let dev = m.dev();
            let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
            let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
            format!("{major:02x}:{minor:02x}:{}", m.ino())
        })
        .collect();
    let Ok(locks) = std::fs::read_to_string("/proc/locks") else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut out: Vec<(u32, Option<String>)> = Vec::new();
    for line in locks.lines() {
        // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120"; blocked waiters start with "->".
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || f.get(1) == Some(&"->") || f[3] != "WRITE" {
            continue;
        }
        let Ok(pid) = f[4].parse::<u32>() else {
            continue;
        };
        if pid == me || !ids.iter().any(|id| id == f[5]) || out.iter().any(|(p, _)| *p == pid) {
            continue;
        }
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        out.push((pid, name));
    }
    out
}

#[cfg(not(target_os = "linux"))]
fn write_lock_holders(_db: &Path) -> Vec<(u32, Option<String>)> {
    Vec::new()
}

#[cfg(target_os = "linux")]
fn shm_path(db: &Path) -> std::path::PathBuf {
    let mut s = db.as_os_str().to_os_string();
    s.push("-shm");
    s.into()
}

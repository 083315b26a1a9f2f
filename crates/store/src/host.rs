//! Who writes a run (`host:pid`), and whether that writer is still alive, for SQLite stores
//! (PostgreSQL stores ask the server instead: see [`crate::store`]).

/// This process as a writer: `host:pid`.
pub(crate) fn writer_id() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

/// Whether the process named by `writer` (`host:pid`) is alive. A writer on another host
/// cannot be checked from here and counts as alive.
pub(crate) fn writer_alive(writer: &str) -> bool {
    let Some((host, pid)) = writer.rsplit_once(':') else {
        return true;
    };
    if host != hostname() {
        return true;
    }
    let Ok(pid) = pid.parse::<libc::pid_t>() else {
        return true;
    };
    if pid <= 0 {
        return false;
    }
    // Signal 0: no signal sent, only the existence check. EPERM means it exists (another user).
    // SAFETY: kill with signal 0 has no effect on the target.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or
    // truncates, and we read only up to the first NUL.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(writer_alive(&writer_id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!writer_alive(&format!("{}:{pid}", hostname())));
        assert!(writer_alive(&format!("elsewhere.invalid:{pid}")));
    }
}

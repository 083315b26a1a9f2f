//! Where the output goes: stdout, a file replaced atomically, or a FIFO, device or socket
//! written directly.
//!
//! A regular file (or one that does not exist yet) is written to a temporary file beside it and
//! renamed over it only once everything was written, so a reader never sees half an inventory
//! and a failed run never replaces a good file. The temporary file comes from the `tempfile`
//! crate: created with `O_CREAT | O_EXCL` (never through a planted symbolic link) under an
//! unpredictable name, mode 0600, in the target's directory (so the rename stays on one file
//! system). Anything else that exists is not a file to replace: a FIFO, a character or block
//! device (`/dev/null`, `/dev/stdout`) or a socket is opened and written directly. A symbolic
//! link is followed to its final target, which is what gets replaced: the link stays a link.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::CliError;

/// How many symbolic links are followed at most (as the kernel's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// Where the bytes go.
enum Sink {
    Stdout(io::Stdout),
    /// A FIFO, device or socket, written in place.
    Direct(File),
    /// The temporary file that becomes the target on commit.
    Atomic(NamedTempFile),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::Direct(file) => file.write(buf),
            Sink::Atomic(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::Direct(file) => file.flush(),
            Sink::Atomic(file) => file.flush(),
        }
    }
}

/// An open output: stdout, a special file written directly, or a temporary file that becomes
/// `--output FILE` on [`commit`].
///
/// Dropping it without committing removes the temporary file, so a failed or interrupted run
/// never leaves a half-written file behind (nor replaces a good one).
///
/// [`commit`]: Destination::commit
pub struct Destination {
    writer: BufWriter<Sink>,
    /// The path the user gave (`None` for stdout), for messages.
    named: Option<PathBuf>,
    /// The file the temporary file is renamed to (the final target of any symbolic link).
    target: Option<PathBuf>,
}

impl Destination {
    /// Opens stdout (`None` or `-`), the special file `path` names, or a temporary file beside
    /// the regular file `path` (or its link's target).
    pub fn open(path: Option<&Path>) -> Result<Self, CliError> {
        let Some(named) = path.filter(|p| *p != Path::new("-")) else {
            return Ok(Destination {
                writer: BufWriter::new(Sink::Stdout(io::stdout())),
                named: None,
                target: None,
            });
        };
        let shown = named.display();
        let cannot = |e: io::Error| CliError::new(format!("cannot write {shown}: {e}"));
        // What the path finally is, links followed by the kernel.
        let existing = match fs::metadata(named) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(cannot(e)),
        };
        if existing.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(CliError::new(format!(
                "cannot write {shown}: it is a directory"
            )));
        }
        let target = follow_links(named).map_err(cannot)?;
        // A FIFO, device or socket is never replaced; nor is what /dev/stdout or
        // /proc/self/fd/N stand for (maybe the file a shell redirected to, with `>>`): both are
        // written as they are, a regular file appended to.
        let special = existing.as_ref().is_some_and(|m| !m.is_file())
            || (existing.is_some()
                && [Path::new("/dev"), Path::new("/proc")]
                    .iter()
                    .any(|dir| named.starts_with(dir) || target.starts_with(dir)));
        if special {
            let file = OpenOptions::new()
                .write(true)
                .append(existing.as_ref().is_some_and(|m| m.is_file()))
                .open(named)
                .map_err(cannot)?;
            return Ok(Destination {
                writer: BufWriter::new(Sink::Direct(file)),
                named: Some(named.to_path_buf()),
                target: None,
            });
        }
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(CliError::new(format!(
                "cannot write {shown}: directory {} does not exist",
                dir.display()
            )));
        }
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(target.file_name().unwrap_or_default());
        prefix.push(".");
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".reginv.tmp")
            .tempfile_in(&dir)
            .map_err(|e| {
                CliError::new(format!(
                    "cannot write {shown}: cannot create a temporary file in {}: {e}",
                    dir.display()
                ))
            })?;
        // A file that is replaced keeps its permissions; a new one stays private (0600).
        if let Some(meta) = &existing {
            let _ = temp.as_file().set_permissions(meta.permissions());
        }
        Ok(Destination {
            writer: BufWriter::new(Sink::Atomic(temp)),
            named: Some(named.to_path_buf()),
            target: Some(target),
        })
    }

    /// Whether the output goes to a terminal (stdout, attached to one).
    pub fn is_terminal(&self) -> bool {
        matches!(self.writer.get_ref(), Sink::Stdout(_)) && io::stdout().is_terminal()
    }

    /// Whether the output goes somewhere a reader may be following as it is written (stdout or
    /// a FIFO, device or socket), rather than a file that appears only when complete.
    pub fn is_stream(&self) -> bool {
        !matches!(self.writer.get_ref(), Sink::Atomic(_))
    }

    /// What the output is, for error messages (`stdout` or the file name).
    pub fn describe(&self) -> String {
        match &self.named {
            None => "stdout".to_string(),
            Some(path) => path.display().to_string(),
        }
    }

    /// The writer to write the output to (buffered: flush to push a line out).
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Flushes everything and, for a regular file, renames the temporary file into place.
    pub fn commit(self) -> Result<(), CliError> {
        let what = self.describe();
        let sink = self
            .writer
            .into_inner()
            .map_err(|e| CliError::write(&what, e.error()))?;
        match (sink, self.target) {
            (Sink::Atomic(temp), Some(target)) => {
                temp.as_file()
                    .sync_all()
                    .map_err(|e| CliError::write(&what, &e))?;
                // On failure the temporary file is dropped, which removes it.
                temp.persist(&target)
                    .map_err(|e| CliError::write(&what, &e.error))?;
                Ok(())
            }
            (mut sink, _) => sink.flush().map_err(|e| CliError::write(&what, &e)),
        }
    }
}

/// `path` with every symbolic link followed to the final target, which may not exist yet
/// (a dangling link is written through: its target is created).
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_appears_only_on_commit() {
        let dir = temp_dir();
        let target = dir.path().join("out.json");
        fs::write(&target, "old").unwrap();
        let mut out = Destination::open(Some(&target)).unwrap();
        out.writer().write_all(b"new").unwrap();
        out.writer().flush().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(entries(dir.path()), ["out.json"], "no temporary file left");
    }

    #[test]
    fn dropping_without_commit_leaves_nothing() {
        let dir = temp_dir();
        let target = dir.path().join("out.csv");
        let mut out = Destination::open(Some(&target)).unwrap();
        out.writer().write_all(b"partial").unwrap();
        out.writer().flush().unwrap();
        drop(out);
        assert!(!target.exists());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = temp_dir();
        let target = dir.path().join("no/such/dir/out.json");
        let err = Destination::open(Some(&target)).err().unwrap().to_string();
        let parent = dir.path().join("no/such/dir");
        assert!(
            err.contains(&format!("directory {} does not exist", parent.display())),
            "{err}"
        );
    }

    #[test]
    fn dash_is_stdout() {
        let out = Destination::open(Some(Path::new("-"))).unwrap();
        assert_eq!(out.describe(), "stdout");
        assert!(out.is_stream());
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = temp_dir();
        let err = Destination::open(Some(dir.path()))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("is a directory"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn the_temporary_file_is_private_and_unpredictable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let target = dir.path().join("out.json");
        let names: Vec<String> = (0..2)
            .map(|_| {
                let out = Destination::open(Some(&target)).unwrap();
                let Sink::Atomic(temp) = out.writer.get_ref() else {
                    panic!("not atomic");
                };
                let mode = temp.as_file().metadata().unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
                assert_eq!(temp.path().parent(), Some(dir.path()));
                temp.path()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_ne!(names[0], names[1], "a fresh random name each time");
        assert!(!names[0].contains(&std::process::id().to_string()));
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_cannot_redirect_the_write() {
        let dir = temp_dir();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        // Where a temporary file named after the process id used to go.
        let planted = dir
            .path()
            .join(format!(".out.json.reginv-{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let target = dir.path().join("out.json");
        let mut out = Destination::open(Some(&target)).unwrap();
        out.writer().write_all(b"inventory").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&target).unwrap(), "inventory");
        assert!(fs::symlink_metadata(&target).unwrap().file_type().is_file());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_stays_a_link() {
        let dir = temp_dir();
        let real = dir.path().join("real.json");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        let mut out = Destination::open(Some(&link)).unwrap();
        out.writer().write_all(b"new").unwrap();
        out.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(entries(dir.path()), ["link.json", "real.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_directly_and_stays_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let dir = temp_dir();
        let fifo = dir.path().join("pipe");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        let mut out = Destination::open(Some(&fifo)).unwrap();
        assert!(out.is_stream());
        out.writer().write_all(b"through the pipe").unwrap();
        out.commit().unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(entries(dir.path()), ["pipe"], "no temporary file");
    }
}

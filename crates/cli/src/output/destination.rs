//! Where the output goes: stdout, or a file written atomically (a temporary file beside it,
//! renamed over it only once everything was written).

use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// An open output: stdout or a temporary file that becomes `--output FILE` on [`commit`].
///
/// Dropping it without committing removes the temporary file, so a failed run never leaves a
/// half-written file behind (nor replaces a good one).
///
/// [`commit`]: Destination::commit
pub struct Destination {
    writer: BufWriter<Box<dyn Write>>,
    file: Option<PendingFile>,
}

struct PendingFile {
    temp: PathBuf,
    target: PathBuf,
}

impl Destination {
    /// Opens stdout (`None`) or a temporary file beside `path`.
    pub fn open(path: Option<&Path>) -> Result<Self, CliError> {
        let Some(target) = path else {
            return Ok(Destination {
                writer: BufWriter::new(Box::new(io::stdout())),
                file: None,
            });
        };
        let file_name = target.file_name().ok_or_else(|| {
            CliError::new(format!("--output {}: not a file name", target.display()))
        })?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(file_name);
        temp_name.push(format!(".reginv-{}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = File::create(&temp)
            .map_err(|e| CliError::new(format!("cannot create {}: {e}", temp.display())))?;
        Ok(Destination {
            writer: BufWriter::new(Box::new(file)),
            file: Some(PendingFile {
                temp,
                target: target.to_path_buf(),
            }),
        })
    }

    /// Whether the output goes to a terminal (stdout, attached to one).
    pub fn is_terminal(&self) -> bool {
        self.file.is_none() && io::stdout().is_terminal()
    }

    /// What the output is, for error messages (`stdout` or the file name).
    pub fn describe(&self) -> String {
        match &self.file {
            None => "stdout".to_string(),
            Some(f) => f.target.display().to_string(),
        }
    }

    /// The writer to write the output to (buffered: flush to push a line out).
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Flushes everything and, for a file, moves it into place.
    pub fn commit(mut self) -> Result<(), CliError> {
        let what = self.describe();
        self.writer
            .flush()
            .map_err(|e| CliError::write(&what, &e))?;
        if let Some(file) = self.file.take() {
            // Close the file before renaming it (required on Windows).
            self.writer = BufWriter::new(Box::new(io::sink()));
            if let Err(e) = fs::rename(&file.temp, &file.target) {
                let _ = fs::remove_file(&file.temp);
                return Err(CliError::write(&what, &e));
            }
        }
        Ok(())
    }
}

impl Drop for Destination {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            self.writer = BufWriter::new(Box::new(io::sink()));
            let _ = fs::remove_file(&file.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "reginv-cli-destination-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_appears_only_on_commit() {
        let dir = temp_dir("commit");
        let target = dir.join("out.json");
        fs::write(&target, "old").unwrap();
        let mut out = Destination::open(Some(&target)).unwrap();
        out.writer().write_all(b"new").unwrap();
        out.writer().flush().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropping_without_commit_leaves_nothing() {
        let dir = temp_dir("drop");
        let target = dir.join("out.csv");
        let mut out = Destination::open(Some(&target)).unwrap();
        out.writer().write_all(b"partial").unwrap();
        drop(out);
        assert!(!target.exists());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_a_clear_error() {
        let dir = temp_dir("missing");
        let target = dir.join("no/such/dir/out.json");
        let err = Destination::open(Some(&target)).err().unwrap();
        assert!(err.to_string().contains("cannot create"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}

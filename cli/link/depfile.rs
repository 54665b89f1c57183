//! Make dependency files (`-MD`, `-MF FILE`, `--dependency-file FILE`) in the format GNU ld
//! writes: the output depends on every input and on the rtlink binary itself (a new rtlink,
//! with a new runtime, relinks), and each prerequisite gets an empty rule so that deleting one
//! does not break the build. Paths are escaped for make (spaces, `#`, `$`).
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::output;

/// `OUTPUT.d`, where `-MD` writes.
pub fn beside(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".d");
    PathBuf::from(name)
}

fn escape(p: &Path) -> String {
    let s = p.to_string_lossy();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

pub fn write(dep: &Path, target: &Path, inputs: &[PathBuf]) -> Result<()> {
    let mut prereqs: Vec<PathBuf> = inputs.to_vec();
    if let Ok(me) = std::env::current_exe() {
        prereqs.push(me);
    }
    let mut text = format!("{}:", escape(target));
    for p in &prereqs {
        text += &format!(" \\\n  {}", escape(p));
    }
    text.push('\n');
    for p in &prereqs {
        text += &format!("\n{}:\n", escape(p));
    }
    if let Some(parent) = dep.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    output::write_atomically(dep, text.as_bytes())
}

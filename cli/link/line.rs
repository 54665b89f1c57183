//! The link line of `rtlink build`, read the way GNU ld and cc read theirs: order matters.
//!
//! Before clap sees the arguments, `split` takes out everything that belongs to the link line,
//! in order: input files, `-lNAME`/`-l NAME` (static archives found along `-L` directories),
//! `--whole-archive`/`--no-whole-archive`, `--start-group`/`--end-group` (and `-(`/`-)`),
//! `-u SYM`, and what is passed through to the linker (`-Wl,a,b`, `--ld-arg X`). `@FILE`
//! response files are expanded first, with GNU quoting (whitespace separates; quotes and
//! backslashes escape; nested `@FILE`s are read too), and `--` makes everything after it an
//! input file. What is left is rtlink's own options, for clap.
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// One ordered element of the link line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    File(PathBuf),
    /// `-lNAME`, resolved to a path by `resolve_libs`.
    Lib(String),
    WholeArchive(bool),
    Group(bool),
}

#[derive(Clone, Debug, Default)]
pub struct LinkLine {
    pub items: Vec<Item>,
    pub search: Vec<PathBuf>,
    pub undefined: Vec<String>,
    pub passthrough: Vec<String>,
}

/// rtlink's own options that take a value (so the value is not taken for an input).
const VALUED: &[&str] = &[
    "-o",
    "--ld",
    "--amd64",
    "--dependency-file",
    "--MF",
    "-MF",
    "--Map",
    "--save-temps",
    "--color",
];

/// A response file's text, for `expand_response_files`.
pub fn read_response_file(file: &str) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read response file @{file}"))
}

/// Response files one command line may read in all (GNU's libiberty allows 2,000): the 16-deep
/// limit alone let 16 files that each name the next one four times make 4^15 reads.
const MAX_RESPONSE_FILES: usize = 1000;

/// Expands `@FILE` arguments, recursively (at most 16 deep, `MAX_RESPONSE_FILES` in all),
/// with GNU quoting; `read` gives each file's text (`read_response_file`, or memory in the
/// fuzz target).
pub fn expand_response_files(
    args: Vec<OsString>,
    read: &mut impl FnMut(&str) -> Result<String>,
) -> Result<Vec<OsString>> {
    expand(args, 0, &mut 0, read)
}

/// `expand_response_files` at nesting `depth`, with `files` read so far.
fn expand(
    args: Vec<OsString>,
    depth: usize,
    files: &mut usize,
    read: &mut impl FnMut(&str) -> Result<String>,
) -> Result<Vec<OsString>> {
    let mut out = Vec::new();
    for a in args {
        match a.to_str().and_then(|s| s.strip_prefix('@')) {
            Some(file) if !file.is_empty() => {
                if depth >= 16 {
                    bail!("@{file}: response files nested more than 16 deep");
                }
                *files += 1;
                if *files > MAX_RESPONSE_FILES {
                    bail!("@{file}: more than {MAX_RESPONSE_FILES} response files to read");
                }
                let words = split_words(&read(file)?).with_context(|| format!("@{file}"))?;
                let words = words.into_iter().map(OsString::from).collect();
                out.extend(expand(words, depth + 1, files, read)?);
            }
            _ => out.push(a),
        }
    }
    Ok(out)
}

/// GNU response-file quoting: words separated by whitespace; `'…'` and `"…"` quote; a
/// backslash escapes the next character.
pub(crate) fn split_words(text: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                cur.extend(chars.next());
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        bail!("unterminated quote");
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// One word as a response file holds it, which `split_words` and GNU tools read back as the
/// same word: as it is when every character is safe, else single-quoted with `\` and `'`
/// escaped by a backslash (unlike a shell, GNU quoting lets a backslash escape inside quotes,
/// so shell quoting would lose backslashes and leave `'\'` open).
pub fn quote_word(w: &str) -> String {
    let safe = |c: u8| c.is_ascii_alphanumeric() || b"-_./=,:+@%".contains(&c);
    if !w.is_empty() && w.bytes().all(safe) {
        return w.to_string();
    }
    let mut q = String::from("'");
    for c in w.chars() {
        if matches!(c, '\\' | '\'') {
            q.push('\\');
        }
        q.push(c);
    }
    q + "'"
}

/// Splits `build`'s arguments (after the subcommand name) into rtlink's options and the
/// link line.
pub fn split(args: Vec<OsString>) -> Result<(Vec<OsString>, LinkLine)> {
    let mut own = Vec::new();
    let mut line = LinkLine::default();
    let mut it = args.into_iter();
    let value = |it: &mut std::vec::IntoIter<OsString>, flag: &str| -> Result<String> {
        match it.next() {
            Some(v) => Ok(v.to_string_lossy().into_owned()),
            None => bail!("{flag} needs a value"),
        }
    };
    while let Some(a) = it.next() {
        let s = a.to_string_lossy().into_owned();
        match s.as_str() {
            "--" => line.items.extend(it.by_ref().map(|f| Item::File(PathBuf::from(f)))),
            "--whole-archive" => line.items.push(Item::WholeArchive(true)),
            "--no-whole-archive" => line.items.push(Item::WholeArchive(false)),
            "--start-group" | "-(" => line.items.push(Item::Group(true)),
            "--end-group" | "-)" => line.items.push(Item::Group(false)),
            "-l" => line.items.push(Item::Lib(value(&mut it, "-l")?)),
            "-L" => line.search.push(PathBuf::from(value(&mut it, "-L")?)),
            "-u" => line.undefined.push(value(&mut it, "-u")?),
            "--ld-arg" => line.passthrough.push(value(&mut it, "--ld-arg")?),
            _ if VALUED.contains(&s.as_str()) => {
                own.push(a);
                own.extend(it.next());
            }
            _ => {
                if let Some(name) = s.strip_prefix("-l").filter(|n| !n.is_empty()) {
                    line.items.push(Item::Lib(name.into()));
                } else if let Some(dir) = s.strip_prefix("-L").filter(|d| !d.is_empty()) {
                    line.search.push(dir.into());
                } else if let Some(sym) = s.strip_prefix("--undefined=") {
                    line.undefined.push(sym.into());
                } else if let Some(rest) = s.strip_prefix("-Wl,") {
                    line.passthrough
                        .extend(rest.split(',').filter(|w| !w.is_empty()).map(String::from));
                } else if s.starts_with('-') && s.len() > 1 {
                    own.push(a);
                } else {
                    line.items.push(Item::File(PathBuf::from(a)));
                }
            }
        }
    }
    Ok((own, line))
}

impl LinkLine {
    /// The files, each `-lNAME` replaced by the `libNAME.a` found first along the `-L`
    /// directories (static archives only: rtlink links nothing shared).
    pub fn resolve_libs(&mut self) -> Result<()> {
        for item in &mut self.items {
            if let Item::Lib(name) = item {
                let file = format!("lib{name}.a");
                match self.search.iter().map(|d| d.join(&file)).find(|p| p.is_file()) {
                    Some(p) => *item = Item::File(p),
                    None => bail!(
                        "cannot find -l{name}: no {file} in {} (add the directory with -L DIR; only static archives link)",
                        if self.search.is_empty() {
                            "any -L directory (none given)".to_string()
                        } else {
                            self.search.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                        }
                    ),
                }
            }
        }
        Ok(())
    }

    /// The input files in order.
    pub fn files(&self) -> Vec<PathBuf> {
        (self.items.iter())
            .filter_map(|i| if let Item::File(p) = i { Some(p.clone()) } else { None })
            .collect()
    }

    /// For each file, in the order of `files`, whether it comes inside --whole-archive.
    pub fn in_whole_archive(&self) -> Vec<bool> {
        let mut whole = false;
        let mut out = Vec::new();
        for item in &self.items {
            match item {
                Item::WholeArchive(on) => whole = *on,
                Item::File(_) => out.push(whole),
                Item::Lib(_) | Item::Group(_) => {}
            }
        }
        out
    }

    /// The link line as linker arguments: files and markers in order, `files` substituted for
    /// the files (compiled sources become objects), then `-u` and the pass-through arguments.
    pub fn linker_args(&self, files: &[PathBuf]) -> Vec<OsString> {
        let mut files = files.iter();
        let mut out: Vec<OsString> = Vec::new();
        for u in &self.undefined {
            out.push("-u".into());
            out.push(u.into());
        }
        for item in &self.items {
            match item {
                // A relative name starting with '-' would read as an option to the linker.
                Item::File(_) => out.extend(files.next().map(|f| {
                    if f.as_os_str().to_string_lossy().starts_with('-') {
                        Path::new(".").join(f).into_os_string()
                    } else {
                        f.as_os_str().to_owned()
                    }
                })),
                Item::Lib(name) => out.push(format!("-l{name}").into()),
                Item::WholeArchive(true) => out.push("--whole-archive".into()),
                Item::WholeArchive(false) => out.push("--no-whole-archive".into()),
                Item::Group(true) => out.push("--start-group".into()),
                Item::Group(false) => out.push("--end-group".into()),
            }
        }
        out.extend(self.passthrough.iter().map(OsString::from));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn order_and_options_are_kept_apart() {
        let (own, line) = split(os(&[
            "a.o",
            "-o",
            "app",
            "-Lx",
            "-lfoo",
            "--whole-archive",
            "b.a",
            "--no-whole-archive",
            "-v",
            "-Wl,-z,now",
            "--ld-arg",
            "--no-relax",
            "-u",
            "entry",
            "--ld",
            "lld",
            "--",
            "-weird.o",
        ]))
        .unwrap();
        assert_eq!(own, os(&["-o", "app", "-v", "--ld", "lld"]));
        assert_eq!(
            line.items,
            vec![
                Item::File("a.o".into()),
                Item::Lib("foo".into()),
                Item::WholeArchive(true),
                Item::File("b.a".into()),
                Item::WholeArchive(false),
                Item::File("-weird.o".into()),
            ]
        );
        assert_eq!(line.in_whole_archive(), vec![false, true, false]);
        assert_eq!(line.search, vec![PathBuf::from("x")]);
        assert_eq!(line.undefined, vec!["entry".to_string()]);
        assert_eq!(line.passthrough, vec!["-z", "now", "--no-relax"]);
    }

    #[test]
    fn response_file_quoting() {
        assert_eq!(
            split_words("a 'b c' \"d\\\"e\" f\\ g\n  h").unwrap(),
            vec!["a", "b c", "d\"e", "f g", "h"]
        );
        assert!(split_words("'open").is_err());
    }

    #[test]
    fn response_files_are_read_a_bounded_number_of_times() {
        // Files 0..=14 each name the next four times: 4^15 reads without the limit.
        let mut reads = 0;
        let mut read = |name: &str| -> Result<String> {
            reads += 1;
            let n: usize = name.parse()?;
            Ok(if n < 15 {
                format!("@{0} @{0} @{0} @{0}", n + 1)
            } else {
                "x.o".into()
            })
        };
        let err = expand_response_files(os(&["@0"]), &mut read).unwrap_err();
        assert!(
            err.to_string().ends_with(": more than 1000 response files to read"),
            "{err}"
        );
        assert_eq!(reads, MAX_RESPONSE_FILES);
        let mut read = |_: &str| -> Result<String> { Ok("@again".into()) };
        let err = expand_response_files(os(&["a.o", "@again"]), &mut read).unwrap_err();
        assert_eq!(err.to_string(), "@again: response files nested more than 16 deep");
    }

    #[test]
    fn quoted_words_read_back() {
        // The fuzz target's first find: shell quoting gave `'\'`, an open quote here and in ld.
        let words = [
            "a/b.o",
            "my file.o",
            "it's",
            "dir\\x.o",
            "\\",
            "",
            "tab\tnew\nline",
            "\"q\"",
        ];
        let text: String = words.iter().map(|w| quote_word(w) + "\n").collect();
        assert_eq!(split_words(&text).unwrap(), words);
        assert_eq!(quote_word("a/b.o"), "a/b.o");
        assert_eq!(quote_word("it's"), r"'it\'s'");
    }
}

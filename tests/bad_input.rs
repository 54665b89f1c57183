//! The linker-side bad-input matrix: every way `rtlink build` is handed a wrong input or a
//! wrong output, one test each, on real files made by the real tools.
//!
//! Every case starts from a directory holding `hello.o` (which defines main) and a good
//! program linked from it at `out/app`, then runs the bad link in that directory with
//! relative paths, so the messages read exactly as a user sees them. Each case asserts the
//! same contract (`refused`):
//! - exit status 1 and nothing on stdout;
//! - exactly the expected stderr: one message naming the file and saying how to fix it (an
//!   exact match also rules out a panic's text);
//! - every file in the directory byte-identical afterwards and no file added or removed: the
//!   previous output is untouched and no temporary or partial file is left behind.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use object::Architecture;

/// A case's directory: `hello.o` and the good program `out/app` linked from it.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempdir();
        let d = dir.path();
        let hello = compile_str(
            d,
            "hello",
            "#include <rtlink.h>\nint main(void) { rt_print(\"hello\\n\"); }\n",
            &[],
        );
        std::fs::create_dir(d.join("out")).unwrap();
        link(d, "out/app", &[hello], &[]);
        Setup { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Compiles C source text into `NAME.o` here.
    fn object(&self, name: &str, code: &str) -> PathBuf {
        compile_str(self.dir.path(), name, code, &[])
    }
}

/// Every file under `dir` (relative path -> bytes; `None` for a directory).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                pending.push(path);
                out.insert(rel, None);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// Runs `cmd ARGS` (an rtlink, maybe run as another user) in the case's directory and
/// asserts the contract in the module comment.
fn refused_by(mut cmd: Command, setup: &Setup, args: &[&str], want: &str) {
    let dir = setup.dir.path();
    let before = tree(dir);
    assert!(
        before.contains_key(Path::new("out/app")),
        "no previous output to protect"
    );
    let (code, out, err) = output(cmd.current_dir(dir).arg("build").args(args));
    assert_eq!((code, out.as_str()), (1, ""), "rtlink build {args:?}\nstderr:\n{err}");
    assert_eq!(err, want, "rtlink build {args:?}");
    let after = tree(dir);
    let changed: BTreeSet<&PathBuf> = (before.keys().chain(after.keys()))
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert!(
        changed.is_empty(),
        "rtlink build {args:?} changed, added or removed {changed:?}"
    );
}

fn refused(setup: &Setup, args: &[&str], want: &str) {
    refused_by(rtlink(), setup, args, want);
}

#[test]
fn a_text_file() {
    let s = Setup::new();
    std::fs::write(s.path("notes.txt"), "remember the milk\n").unwrap();
    refused(
        &s,
        &["notes.txt", "-o", "out/app"],
        "rtlink: notes.txt: not an ELF object and not an archive; rtlink links ELF64 x86-64 objects (.o) and archives (.a)\n",
    );
}

#[test]
fn an_empty_file() {
    let s = Setup::new();
    std::fs::write(s.path("empty.o"), "").unwrap();
    refused(
        &s,
        &["empty.o", "-o", "out/app"],
        "rtlink: empty.o: empty file; rtlink links ELF64 x86-64 objects (.o) and archives (.a) \
         (rebuild it: an interrupted build may have left it empty)\n",
    );
}

#[test]
fn a_truncated_object() {
    let s = Setup::new();
    let whole = std::fs::read(s.path("hello.o")).unwrap();
    let half = whole.len() / 2;
    std::fs::write(s.path("cut.o"), &whole[..half]).unwrap();
    // GNU as writes the section headers last, so they end where the whole object ends.
    refused(
        &s,
        &["cut.o", "-o", "out/app"],
        &format!(
            "rtlink: cut.o: truncated ELF object: {half} bytes, but its section headers end at byte {} (rebuild it)\n",
            whole.len()
        ),
    );
}

#[test]
fn an_aarch64_object() {
    let s = Setup::new();
    foreign_object(s.dir.path(), "arm.o", Architecture::Aarch64);
    refused(
        &s,
        &["arm.o", "-o", "out/app"],
        "rtlink: arm.o: built for AArch64; rtlink links x86-64 objects \
         (compile it for x86-64: cc -c, or clang --target=x86_64-linux-gnu)\n",
    );
}

#[test]
fn a_32_bit_object() {
    let s = Setup::new();
    std::fs::write(s.path("main32.s"), ".globl main\nmain:\n\tret\n").unwrap();
    ok(Command::new("as")
        .arg("--32")
        .arg(s.path("main32.s"))
        .arg("-o")
        .arg(s.path("main32.o")));
    refused(
        &s,
        &["main32.o", "-o", "out/app"],
        "rtlink: main32.o: 32-bit object; rtlink links 64-bit x86-64 objects (compile without -m32)\n",
    );
}

#[test]
fn a_shared_library() {
    let s = Setup::new();
    std::fs::write(s.path("lib.c"), "int main(void) { return 0; }\n").unwrap();
    ok(Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(s.path("libhello.so"))
        .arg(s.path("lib.c")));
    refused(
        &s,
        &["libhello.so", "-o", "out/app"],
        "rtlink: libhello.so: a shared object; rtlink links static objects and archives only \
         (link its static archive (.a) or the objects it was built from)\n",
    );
}

#[test]
fn an_archive_with_no_index() {
    let s = Setup::new();
    ok(Command::new("ar")
        .current_dir(s.dir.path())
        .args(["rcS", "libhello.a", "hello.o"]));
    refused(
        &s,
        &["libhello.a", "-o", "out/app"],
        "rtlink: libhello.a: archive has no symbol index, which GNU ld and gold need to pick its members; \
         add one with ranlib libhello.a (ar rcs writes one, ar rcS does not)\n",
    );
    // Inside --whole-archive every linker takes all the members, so no index is needed.
    ok(rtlink()
        .current_dir(s.dir.path())
        .args(["build", "--whole-archive", "libhello.a", "-o", "whole"]));
    assert_eq!(output(&mut run(&s.path("whole"))).1, "hello\n");
}

#[test]
fn no_main() {
    let s = Setup::new();
    s.object("helper", "int helper(void) { return 1; }\n");
    refused(
        &s,
        &["helper.o", "-o", "out/app"],
        "rtlink: no main: none of the inputs (helper.o) defines main; \
         define int main(int argc, char **argv) in one of them (the runtime calls it once it has started)\n",
    );
}

#[test]
fn two_mains() {
    let s = Setup::new();
    s.object("other", "int main(void) { return 2; }\n");
    refused(
        &s,
        &["hello.o", "other.o", "-o", "out/app"],
        "rtlink: error: duplicate symbol: main\n>>> defined in hello.o\n>>> defined in other.o\n",
    );
}

#[test]
fn an_undefined_symbol() {
    let s = Setup::new();
    s.object(
        "broken",
        "int nonexistent(void);\nint main(void) { return nonexistent(); }\n",
    );
    refused(
        &s,
        &["broken.o", "-o", "out/app"],
        "rtlink: error: undefined symbol: nonexistent\n>>> referenced by broken.o:(main)\n",
    );
    // Given as a source, it is compiled first and named by the source (no $CFLAGS: no -g, so
    // no line).
    let mut plain = rtlink();
    plain.env_remove("CFLAGS");
    refused_by(
        plain,
        &s,
        &["broken.c", "-o", "out/app"],
        "rtlink: error: undefined symbol: nonexistent\n>>> referenced by broken.c:(main)\n",
    );
}

#[test]
fn a_missing_input() {
    let s = Setup::new();
    refused(
        &s,
        &["hello.o", "missing.o", "-o", "out/app"],
        "rtlink: missing.o: no such file (check the name, or build it first)\n",
    );
}

#[test]
fn an_output_in_a_missing_directory() {
    let s = Setup::new();
    refused(
        &s,
        &["hello.o", "-o", "missing/app"],
        "rtlink: missing/app: cannot write: directory missing does not exist (create it first)\n",
    );
}

#[test]
fn an_output_under_a_file() {
    let s = Setup::new();
    refused(
        &s,
        &["hello.o", "-o", "hello.o/app"],
        "rtlink: hello.o/app: cannot write: hello.o is not a directory\n",
    );
}

/// The directory is read-only (0555) and the program stays in it from before. Root ignores
/// directory permissions, and tests run as root in CI, so as root rtlink runs as nobody
/// (setpriv, util-linux): that needs only CAP_SETUID/CAP_SETGID, which a container's root
/// keeps, where a read-only bind mount (unshare -m) would need CAP_SYS_ADMIN, which it lacks.
/// nobody may not reach the build directory (a checkout under /root), so it runs a hard link
/// (or a copy) of the binary in a directory of its own.
#[test]
fn an_output_in_a_read_only_directory() {
    let s = Setup::new();
    let ro = s.path("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::copy(s.path("out/app"), ro.join("app")).unwrap();
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(s.dir.path(), 0o755);
    mode(&ro, 0o555);
    let bin;
    // SAFETY: geteuid only reads the process's credentials.
    let cmd = if unsafe { libc::geteuid() } == 0 {
        bin = tempdir();
        mode(bin.path(), 0o755);
        let exe = bin.path().join("rtlink");
        (std::fs::hard_link(RTLINK, &exe).or_else(|_| std::fs::copy(RTLINK, &exe).map(drop))).unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(exe);
        c
    } else {
        rtlink()
    };
    refused_by(
        cmd,
        &s,
        &["hello.o", "-o", "ro/app"],
        "rtlink: ro/app: cannot write: no permission to create files in ro (make it writable, or write somewhere else)\n",
    );
    mode(&ro, 0o755);
}

#[test]
fn an_output_that_is_a_directory() {
    let s = Setup::new();
    refused(
        &s,
        &["hello.o", "-o", "out"],
        "rtlink: out: is a directory; give the path of the file to write (such as out/app)\n",
    );
}

#[test]
fn an_output_that_is_an_input() {
    let s = Setup::new();
    refused(
        &s,
        &["hello.o", "-o", "hello.o"],
        "rtlink: hello.o: -o names the input hello.o; linking would overwrite it, so give the output another name\n",
    );
    // The same file by another name is the same input.
    refused(
        &s,
        &["hello.o", "-o", "./hello.o"],
        "rtlink: ./hello.o: -o names the input hello.o; linking would overwrite it, so give the output another name\n",
    );
}

/// Not bad input but the same contract: the linker itself fails, after rtlink made the
/// temporary output it links into.
#[test]
fn a_linker_that_fails() {
    let s = Setup::new();
    refused(
        &s,
        &["hello.o", "-o", "out/app", "--ld", "false"],
        "rtlink: link failed: false exited with exit status: 1; out/app was not written\n",
    );
}

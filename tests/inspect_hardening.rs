//! `rtlink inspect`'s `hardening:` line and `--check --require` against binutils: for every
//! binary here (rtlink's, gcc's with each hardening switch, Go's, stripped ones, and copies
//! patched into shapes no switch gives: a static-PIE without DF_1_PIE, no PT_GNU_STACK, a
//! writable and executable segment), the expected line is worked out from what `readelf -hW`,
//! `-lW`, `-dW`, `-rW` and `nm`/`nm -D` print, and must be the line rtlink prints. The
//! variants also assert the token their switch controls, so the oracle cannot drift with the
//! inspector; and `--check --require` must fail exactly on the items the line marks missing.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn inspect(file: &Path, args: &[&str]) -> (i32, String, String) {
    output(rtlink().arg("inspect").args(args).arg(file))
}

fn tool(cmd: &mut Command) -> String {
    text(&ok(cmd).stdout)
}

/// One program header as `readelf -lW` shows it: type, address and flags (spaces removed: `RE`).
struct Phdr {
    kind: String,
    vaddr: u64,
    flags: String,
}

fn readelf_phdrs(file: &Path) -> Vec<Phdr> {
    let out = tool(Command::new("readelf").arg("-lW").arg(file));
    out.lines()
        .skip_while(|l| !l.trim_start().starts_with("Type "))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 8 && w[1].starts_with("0x")).then(|| Phdr {
                kind: w[0].to_string(),
                vaddr: u64::from_str_radix(w[2].trim_start_matches("0x"), 16).unwrap(),
                flags: w[6..w.len() - 1].concat(),
            })
        })
        .collect()
}

/// `readelf -dW` as (tag name, value text) pairs.
fn readelf_dynamic(file: &Path) -> Vec<(String, String)> {
    let out = tool(Command::new("readelf").arg("-dW").arg(file));
    out.lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(" (")?;
            let (tag, value) = rest.split_once(')')?;
            Some((tag.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// Symbol names `nm` (or `nm -D`) lists, without versions; `None` when it finds no symbols.
fn nm_names(file: &Path, dynamic: bool) -> Option<Vec<String>> {
    let out = Command::new("nm")
        .args(dynamic.then_some("-D"))
        .arg(file)
        .output()
        .unwrap();
    let names: Vec<String> = text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .map(|n| n.split('@').next().unwrap().to_string())
        .collect();
    (!names.is_empty()).then_some(names)
}

/// The hardening line binutils' view implies, by the rules the README states; `None` for
/// files readelf calls neither EXEC nor DYN.
fn expected_line(file: &Path) -> Option<String> {
    let header = tool(Command::new("readelf").arg("-hW").arg(file));
    let field = |key: &str| {
        header
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| v.trim_start_matches(':').trim().to_string())
            .unwrap()
    };
    let kind = field("Type:");
    let entry_zero = field("Entry point address:") == "0x0";
    let phdrs = readelf_phdrs(file);
    let dynamic = readelf_dynamic(file);
    let has_phdr = |k: &str| phdrs.iter().any(|p| p.kind == k);
    let has_tag = |t: &str| dynamic.iter().any(|(tag, _)| tag == t);
    let tag_says =
        |t: &str, flag: &str| (dynamic.iter()).any(|(tag, v)| tag == t && v.split_whitespace().any(|w| w == flag));
    let relocs = tool(Command::new("readelf").arg("-rW").arg(file));
    let relative = relocs.contains("R_X86_64_RELATIVE") || relocs.contains("'.relr.dyn'");
    let interp = has_phdr("INTERP");
    // (is a PIE, is a shared library)
    let (pie, library) = match kind.split_whitespace().next().unwrap() {
        "EXEC" => (false, false),
        "DYN" if entry_zero => (false, true),
        "DYN" if interp => (true, false),
        "DYN" => {
            let static_pie = tag_says("FLAGS_1", "PIE") || (!has_tag("NEEDED") && !has_tag("SONAME") && relative);
            (static_pie, !static_pie)
        }
        _ => return None,
    };
    let mut tokens = Vec::new();
    let nx = phdrs
        .iter()
        .rfind(|p| p.kind == "GNU_STACK")
        .is_some_and(|p| !p.flags.contains('E'));
    tokens.push(if nx { "nx-stack" } else { "no-nx-stack" });
    if (phdrs.iter()).any(|p| p.kind == "LOAD" && p.flags.contains('W') && p.flags.contains('E')) {
        tokens.push("rwx-segment");
    }
    let now = has_tag("BIND_NOW") || tag_says("FLAGS", "BIND_NOW") || tag_says("FLAGS_1", "NOW");
    tokens.push(match (has_phdr("GNU_RELRO"), (interp || library) && !now) {
        (false, _) => "no-relro",
        (true, true) => "partial-relro",
        (true, false) => "relro",
    });
    if !library {
        tokens.push(if pie { "pie" } else { "no-pie" });
    }
    let is_canary = |names: Vec<String>| {
        names
            .iter()
            .any(|n| n == "__stack_chk_fail" || n == "__stack_chk_fail_local")
    };
    let canary = match (nm_names(file, false), nm_names(file, true)) {
        (Some(s), d) => Some(is_canary(s) || d.is_some_and(is_canary)),
        (None, d) if interp || library => Some(d.is_some_and(is_canary)),
        (None, _) => None,
    };
    tokens.push(match canary {
        Some(true) => "canary",
        Some(false) => "no-canary",
        None => "canary?",
    });
    Some(tokens.join(" "))
}

/// The value of the summary's `hardening:` line, if it has one.
fn hardening_line(file: &Path) -> Option<String> {
    let (code, out, err) = inspect(file, &[]);
    assert_eq!(code, 0, "{}: {out}{err}", file.display());
    out.lines()
        .find_map(|l| l.strip_prefix("hardening: "))
        .map(|v| v.trim().to_string())
}

/// Overwrites `bytes.len()` bytes at file offset `at` of a copy of `file` named `name`.
fn patched(file: &Path, name: &str, edits: &[(usize, &[u8])]) -> PathBuf {
    let mut data = std::fs::read(file).unwrap();
    for (at, bytes) in edits {
        data[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
    let out = file.with_file_name(name);
    std::fs::write(&out, data).unwrap();
    out
}

/// The file offsets of the 64-bit program headers of `file` and their p_type.
fn phdr_offsets(file: &Path) -> Vec<(usize, u32)> {
    let d = std::fs::read(file).unwrap();
    let u = |at: usize, n: usize| d[at..at + n].iter().rev().fold(0usize, |a, b| a << 8 | *b as usize);
    let (phoff, phnum) = (u(0x20, 8), u(0x38, 2));
    (0..phnum)
        .map(|i| phoff + i * 56)
        .map(|at| (at, u(at, 4) as u32))
        .collect()
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_GNU_STACK: u32 = 0x6474_e551;

/// Copies of `exe` (64-bit, with the given segments) patched by hand: PT_GNU_STACK turned into
/// PT_NULL, and the first executable PT_LOAD made writable too.
fn patched_segments(exe: &Path) -> (PathBuf, PathBuf) {
    let phdrs = phdr_offsets(exe);
    let stack = phdrs.iter().find(|(_, t)| *t == PT_GNU_STACK).unwrap().0;
    let unmarked = patched(exe, "no-gnu-stack", &[(stack, &[0, 0, 0, 0])]);
    let data = std::fs::read(exe).unwrap();
    let text = (phdrs.iter())
        .find(|(at, t)| *t == PT_LOAD && data[at + 4] & 1 != 0)
        .unwrap()
        .0;
    let rwx = patched(exe, "rwx", &[(text + 4, &[data[text + 4] | 2])]);
    (unmarked, rwx)
}

/// A copy of a static-PIE with DF_1_PIE cleared from DT_FLAGS_1 (the shape of a static-PIE
/// whose linker does not set it): only its relative relocations make it a PIE.
fn without_pie_flag(exe: &Path) -> PathBuf {
    let data = std::fs::read(exe).unwrap();
    let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
    let dynamic = phdr_offsets(exe).into_iter().find(|(_, t)| *t == PT_DYNAMIC).unwrap().0;
    let (off, size) = (u64_at(dynamic + 8) as usize, u64_at(dynamic + 32) as usize);
    let flags_1 = (off..off + size)
        .step_by(16)
        .find(|&e| u64_at(e) == 0x6fff_fffb)
        .unwrap();
    let cleared = u64_at(flags_1 + 8) & !0x0800_0000;
    patched(exe, "static-pie-unflagged", &[(flags_1 + 8, &cleared.to_le_bytes())])
}

struct Case {
    name: String,
    file: PathBuf,
    /// Tokens the way the file was built guarantees, whatever the compiler's defaults.
    must: Vec<&'static str>,
}

fn case(name: &str, file: &Path, must: &[&'static str]) -> Case {
    Case {
        name: name.to_string(),
        file: file.to_path_buf(),
        must: must.to_vec(),
    }
}

/// Every binary of the test with the tokens its build guarantees.
fn cases(d: &Path) -> Vec<Case> {
    let zoo = zoo::build(d);
    let variants = zoo::hardening(d);
    let variant = |name: &str| variants.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let static_pie = variant("static-pie");
    let hello = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c")).unwrap();
    let protected_obj = compile_str(d, "hello-sp", &hello, &["-fstack-protector-all"]);
    let rtlink_protected = link(d, "hello-sp", std::slice::from_ref(&protected_obj), &[]);
    let rtlink_stripped = link(d, "hello-stripped", std::slice::from_ref(&zoo.rtlink_obj), &["-s"]);
    let strip = |file: &Path, name: &str| {
        let out = d.join(name);
        ok(Command::new("strip").arg("-o").arg(&out).arg(file));
        out
    };
    let (unmarked, rwx) = patched_segments(&zoo.c_static);
    vec![
        case("rtlink hello", &zoo.rtlink_exe, &["nx-stack", "no-pie", "no-canary"]),
        case(
            "rtlink hello -fstack-protector-all",
            &rtlink_protected,
            &["nx-stack", "no-pie", "canary"],
        ),
        case("rtlink build -s", &rtlink_stripped, &["nx-stack", "no-pie", "canary?"]),
        case("gcc -pie", &zoo.c_pie, &["nx-stack", "pie"]),
        case("gcc -no-pie", &zoo.c_nopie, &["nx-stack", "no-pie"]),
        case("gcc -static", &zoo.c_static, &["nx-stack", "no-pie"]),
        case(
            "gcc -static, stripped",
            &strip(&zoo.c_static, "static-stripped"),
            &["no-pie", "canary?"],
        ),
        case("g++", &zoo.cpp_exe, &["nx-stack"]),
        case("go build", &zoo.go_exe, &["nx-stack", "no-pie", "no-canary"]),
        case("gcc -static-pie", &static_pie, &["nx-stack", "relro", "pie"]),
        case(
            "static-pie without DF_1_PIE",
            &without_pie_flag(&static_pie),
            &["relro", "pie"],
        ),
        case("gcc -z execstack", &variant("execstack"), &["no-nx-stack", "pie"]),
        case("gcc -z norelro", &variant("norelro"), &["no-relro", "pie"]),
        case("gcc -z now", &variant("now"), &["relro", "pie"]),
        case("gcc -fstack-protector-all", &variant("protector-all"), &["canary"]),
        case(
            "gcc -fstack-protector-all, stripped",
            &strip(&variant("protector-all"), "protector-all-stripped"),
            &["canary"],
        ),
        case("gcc -fno-stack-protector", &variant("no-protector"), &["no-canary"]),
        case("gcc -shared", &variant("shared"), &["nx-stack"]),
        case("no PT_GNU_STACK", &unmarked, &["no-nx-stack"]),
        case("a RWX segment", &rwx, &["nx-stack", "rwx-segment"]),
    ]
}

/// One zoo for both halves: building it (a Go binary among others) is the slow part.
#[test]
fn every_binary_against_binutils() {
    let dir = tempdir();
    let d = dir.path();
    let cases = cases(d);
    the_line_is_what_readelf_and_nm_say(d, &cases);
    check_require_fails_on_exactly_the_missing_items(&cases);
}

fn the_line_is_what_readelf_and_nm_say(d: &Path, cases: &[Case]) {
    let mut table = String::new();
    for c in cases {
        let ours = hardening_line(&c.file).unwrap_or_else(|| panic!("{}: no hardening line", c.name));
        let theirs = expected_line(&c.file).unwrap();
        table += &format!("{:<40} {ours:<45} {theirs}\n", c.name);
        assert_eq!(ours, theirs, "{}: ours vs binutils'", c.name);
        let tokens: Vec<&str> = ours.split(' ').collect();
        for t in &c.must {
            assert!(tokens.contains(t), "{}: {ours} lacks {t}", c.name);
        }
        assert_eq!(
            tokens.iter().any(|t| *t == "pie" || *t == "no-pie"),
            c.name != "gcc -shared",
            "{}: {ours}",
            c.name
        );
    }
    eprintln!("{table}");
    // The static-PIE without DF_1_PIE is still a PIE, and readelf no longer calls it one.
    let unflagged = &cases
        .iter()
        .find(|c| c.name == "static-pie without DF_1_PIE")
        .unwrap()
        .file;
    let header = tool(Command::new("readelf").arg("-hW").arg(unflagged));
    assert!(header.contains("DYN (Shared object file)"), "{header}");
    let (_, out, _) = inspect(unflagged, &[]);
    assert!(
        out.contains("position-independent executable, static-pie linked"),
        "{out}"
    );

    // Objects and core-less files get no line; the JSON summary carries the same judgement.
    for obj in [d.join("kinds.o"), d.join("hello.o")] {
        assert_eq!(hardening_line(&obj), None, "{}", obj.display());
        let (_, json, _) = inspect(&obj, &["--json"]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(doc[0]["Summary"]["Hardening"].is_null(), "{json}");
    }
    for c in cases {
        let (_, json, _) = inspect(&c.file, &["--json"]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let h = &doc[0]["Summary"]["Hardening"];
        let line = hardening_line(&c.file).unwrap();
        assert_eq!(h["Line"], line.as_str(), "{}", c.name);
        let relro = if line.contains("partial-relro") {
            "partial"
        } else if line.contains("no-relro") {
            "none"
        } else {
            "full"
        };
        assert_eq!(h["Relro"], relro, "{}: {h}", c.name);
        assert_eq!(
            h["RwxSegments"].as_array().unwrap().is_empty(),
            !line.contains("rwx-segment")
        );
        let canary = match line.rsplit(' ').next().unwrap() {
            "canary" => Some(true),
            "no-canary" => Some(false),
            _ => None,
        };
        assert_eq!(h["Canary"].as_bool(), canary, "{}: {h}", c.name);
    }
}

/// The item names an unmet `--require all` must report for a line: every token that is not
/// the item's bare name.
fn missing_items(line: &str) -> Vec<&'static str> {
    let tokens: Vec<&str> = line.split(' ').collect();
    let mut missing = Vec::new();
    if !tokens.contains(&"nx-stack") || tokens.contains(&"rwx-segment") {
        missing.push("nx-stack");
    }
    for item in ["relro", "pie", "canary"] {
        if !tokens.contains(&item) {
            missing.push(item);
        }
    }
    missing
}

fn check_require_fails_on_exactly_the_missing_items(cases: &[Case]) {
    let (mut passed, mut failed) = (0, 0);
    for c in cases {
        let line = hardening_line(&c.file).unwrap();
        let missing = missing_items(&line);
        let (code, out, err) = inspect(&c.file, &["--check", "--require", "all"]);
        assert_eq!(out, "", "{}", c.name);
        if missing.is_empty() {
            assert_eq!((code, err.as_str()), (0, ""), "{}: {line}", c.name);
            passed += 1;
            continue;
        }
        failed += 1;
        assert_eq!(code, 1, "{}: {line}\n{err}", c.name);
        let file = c.file.display();
        assert!(
            err.ends_with(&format!(
                "rtlink: {file}: required hardening missing: {}\n",
                missing.join(", ")
            )),
            "{}: {line}\n{err}",
            c.name
        );
        for item in &missing {
            assert!(
                err.contains(&format!("rtlink: {file}: {item}: ")),
                "{}: {item}\n{err}",
                c.name
            );
            let (code, _, one) = inspect(&c.file, &["--check", "--require", item]);
            assert_eq!(code, 1, "{}: --require {item}\n{one}", c.name);
            assert!(one.ends_with(&format!("missing: {item}\n")), "{one}");
        }
        // What is present passes alone, and a bare --require list is not a layout check.
        let present: Vec<&str> = ["nx-stack", "relro", "pie", "canary"]
            .into_iter()
            .filter(|i| !missing.contains(i))
            .collect();
        if !present.is_empty() {
            let list = present.join(",");
            assert_eq!(
                inspect(&c.file, &["--check", "--require", &list]),
                (0, String::new(), String::new()),
                "{}: --require {list}",
                c.name
            );
        }
    }
    assert!(passed > 0 && failed > 0, "passed {passed}, failed {failed}");

    // The messages say how to get each item.
    let by_name = |n: &str| &cases.iter().find(|c| c.name == n).unwrap().file;
    let hints = [
        (
            "gcc -z execstack",
            "nx-stack",
            "PT_GNU_STACK asks for an executable stack (RWE): link with -z noexecstack",
        ),
        (
            "no PT_GNU_STACK",
            "nx-stack",
            "no PT_GNU_STACK header, so the stack may be executable",
        ),
        (
            "a RWX segment",
            "nx-stack",
            "is writable and executable, which defeats NX",
        ),
        ("gcc -z norelro", "relro", "no PT_GNU_RELRO segment: link with -z relro"),
        (
            "gcc -no-pie",
            "pie",
            "not position-independent (ET_EXEC, loaded at fixed addresses): link with -pie",
        ),
        (
            "gcc -fno-stack-protector",
            "canary",
            "compile with -fstack-protector-strong",
        ),
        (
            "rtlink build -s",
            "canary",
            "cannot tell: the file has no symbol table (it is stripped)",
        ),
        (
            "gcc -shared",
            "pie",
            "a shared library, not an executable: pie does not apply",
        ),
    ];
    for (name, item, hint) in hints {
        let (code, _, err) = inspect(by_name(name), &["--check", "--require", item]);
        assert_eq!(code, 1, "{name}");
        assert!(
            err.contains(&format!(": {item}: ")) && err.contains(hint),
            "{name}: {err}"
        );
    }
    // The writable and executable segment is named as readelf numbers it.
    let rwx = by_name("a RWX segment");
    let (_, _, err) = inspect(rwx, &["--check", "--require", "nx-stack"]);
    let phdrs = readelf_phdrs(rwx);
    let (index, load) = (phdrs.iter().enumerate())
        .find(|(_, p)| p.kind == "LOAD" && p.flags == "RWE")
        .unwrap();
    assert!(
        err.contains(&format!("segment {index} (LOAD at {:#x})", load.vaddr)),
        "{err}"
    );
}

#[test]
fn require_replaces_the_layout_check_only_when_given() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c"), &[]);
    let exe = link(d, "hello", std::slice::from_ref(&obj), &[]);
    let c = d.join("c");
    let src = d.join("c.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    ok(Command::new("gcc").arg(&src).arg("-o").arg(&c));

    // --check alone is the layout check: ok for rtlink's output, unchecked for gcc's.
    assert_eq!(inspect(&exe, &["--check"]), (0, String::new(), String::new()));
    let (code, _, err) = inspect(&c, &["--check"]);
    assert_eq!(code, 1);
    assert!(err.contains("no bootstrap layout to check"), "{err}");
    // A hardening requirement alone does not demand a layout...
    assert_eq!(
        inspect(&c, &["--check", "--require", "nx-stack"]),
        (0, String::new(), String::new())
    );
    // ...unless bootstrap is listed too.
    let (code, _, err) = inspect(&c, &["--check", "--require", "bootstrap,nx-stack"]);
    assert_eq!(code, 1);
    assert!(err.contains("no bootstrap layout to check"), "{err}");
    assert_eq!(
        inspect(&exe, &["--check", "--require", "bootstrap,nx-stack"]),
        (0, String::new(), String::new())
    );
    // Both kinds of failure are reported together.
    let (code, _, err) = inspect(&c, &["--check", "--require", "bootstrap", "--require", "pie,nx-stack"]);
    assert_eq!(code, 1, "{err}");
    let pie_ok = hardening_line(&c).unwrap().contains(" pie");
    assert_eq!(err.contains(": pie: "), !pie_ok, "{err}");

    // An object file has no hardening to require.
    let (code, out, err) = inspect(&obj, &["--check", "--require", "canary"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!(
            "rtlink: {0}: canary: no hardening state: a relocatable object: hardening is decided when it is \
             linked\nrtlink: {0}: required hardening missing: canary\n",
            obj.display()
        )
    );

    // --require needs --check, and names only known items.
    let (code, _, err) = inspect(&exe, &["--require", "pie"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--check"), "{err}");
    let (code, _, err) = inspect(&exe, &["--check", "--require", "aslr"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nx-stack") && err.contains("bootstrap") && err.contains("all"),
        "{err}"
    );
}

/// A static-PIE without DF_1_PIE is judged from its relocation table, so that table's
/// bounds come from the dynamic section: absurd sizes, entry sizes and addresses there must
/// leave the file readable or refused, never crash the inspector.
#[test]
fn a_damaged_dynamic_section_is_survived() {
    let dir = tempdir();
    let d = dir.path();
    let variants = zoo::hardening(d);
    let static_pie = &variants.iter().find(|(n, _)| *n == "static-pie").unwrap().1;
    let exe = without_pie_flag(static_pie);
    let data = std::fs::read(&exe).unwrap();
    let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
    let dynamic = phdr_offsets(&exe)
        .into_iter()
        .find(|(_, t)| *t == PT_DYNAMIC)
        .unwrap()
        .0;
    let (off, size) = (u64_at(dynamic + 8) as usize, u64_at(dynamic + 32) as usize);
    const DT_RELA: u64 = 7;
    const DT_RELASZ: u64 = 8;
    const DT_RELAENT: u64 = 9;
    let mut seen = 0;
    for entry in (off..off + size).step_by(16) {
        if ![DT_RELA, DT_RELASZ, DT_RELAENT].contains(&u64_at(entry)) {
            continue;
        }
        seen += 1;
        for value in [0, 1, 23, 25, u64::MAX, u64::MAX / 2, data.len() as u64 - 1] {
            let bad = patched(&exe, "bad-dynamic", &[(entry + 8, &value.to_le_bytes())]);
            let (code, out, err) = inspect(&bad, &[]);
            assert!(
                code == 0 || code == 1,
                "tag at {entry:#x} = {value:#x}: exit {code}: {err}"
            );
            assert!(out.contains("hardening: "), "{out}{err}");
        }
    }
    assert!(seen >= 2, "no DT_RELA entries in {}", exe.display());
}

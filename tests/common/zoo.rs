//! A set of real ELF files of every kind the inspector must read, built fresh in a test's
//! directory: rtlink's output and its input object, C objects and executables (PIE, non-PIE,
//! static) covering every nm symbol class, a C++ object and executable (weak template
//! instances, unique globals, vtables, comdat groups), a 32-bit object, a Go binary and an
//! archive; and, apart (`hardening`), C executables that differ in one hardening item each.
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{compile, link, ok};

/// C source with one symbol of every class nm distinguishes in ELF: common, TLS, weak defined
/// and undefined functions and objects, ifunc, local and global data, text and read-only data.
pub const KINDS_C: &str = r#"#include <stdio.h>
int common_var;
__thread int tls_var = 3;
static __thread int tls_local;
const char greeting[] = "hi";
static int counter = 1;
__attribute__((weak)) int weak_fn(void) { return 1; }
__attribute__((weak)) int weak_obj = 2;
extern int undef_weak_fn(void) __attribute__((weak));
extern int undef_weak_obj __attribute__((weak));
static int impl(void) { return counter; }
static int (*resolve(void))(void) { return impl; }
int ifn(void) __attribute__((ifunc("resolve")));
int main(void) {
    tls_local++;
    printf("%s %d %d\n", greeting, ifn() + tls_var + tls_local, undef_weak_fn ? undef_weak_fn() : weak_obj);
    return &undef_weak_obj != 0;
}
"#;

pub const CPP: &str = r#"#include <string>
#include <vector>
#include <map>
#include <functional>
namespace { __attribute__((noinline)) int anon(int x) { return x * 3; } }
struct S { virtual ~S() {} virtual int f(int) const; static int s; };
int S::f(int x) const { return anon(x); }
int S::s = 4;
struct B { virtual int g() { return 1; } };
struct V : virtual B { int g() override; };
int V::g() { return 2; }
struct A1 { virtual int h() { return 3; } };
struct A2 { virtual int k() { return 4; } };
struct M : A1, A2 { int k() override; };
int M::k() { return 5; }
__attribute__((noinline)) inline int inl() { static int x; return ++x; }
template <class T> struct Box { T v; T get() const { return v; } };
std::string join(const std::vector<std::string>& v) { std::string r; for (auto& s : v) r += s; return r; }
std::map<int, std::function<int(int)>> table() { return {{1, [](int a) { return a + 1; }}}; }
int use(Box<long> b, Box<char*> c) { return b.get() + (c.get() != nullptr) + S::s + inl(); }
int main() { V v; S s; M m; return use({1}, {nullptr}) + v.g() + m.k() + s.f(1) + (int)join({"a"}).size() + table()[1](0); }
"#;

pub struct Zoo {
    pub rtlink_exe: PathBuf,
    pub rtlink_obj: PathBuf,
    pub c_obj: PathBuf,
    pub c_pie: PathBuf,
    pub c_nopie: PathBuf,
    pub c_static: PathBuf,
    pub cpp_obj: PathBuf,
    pub cpp_exe: PathBuf,
    pub obj32: PathBuf,
    pub go_exe: PathBuf,
    /// An archive of the C, C++ and 32-bit objects (not in `all`: it is not one ELF file).
    pub archive: PathBuf,
}

impl Zoo {
    pub fn all(&self) -> Vec<&Path> {
        [
            &self.rtlink_exe,
            &self.rtlink_obj,
            &self.c_obj,
            &self.c_pie,
            &self.c_nopie,
            &self.c_static,
            &self.cpp_obj,
            &self.cpp_exe,
            &self.obj32,
            &self.go_exe,
        ]
        .into_iter()
        .map(PathBuf::as_path)
        .collect()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn cc(tool: &str, args: &[&str], src: &Path, out: &Path) -> PathBuf {
    ok(Command::new(tool).args(args).arg(src).arg("-o").arg(out));
    out.to_path_buf()
}

/// Builds a Go hello world (Go puts `runtime.mainPC -> runtime.main` in every binary).
pub fn go_hello(dir: &Path) -> PathBuf {
    let src = write(
        dir,
        "hello.go",
        "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.Write([]byte(\"hi\\n\")) }\n",
    );
    let exe = dir.join("gohello");
    ok(Command::new("go")
        .args(["build", "-o"])
        .arg(&exe)
        .arg(&src)
        .current_dir(dir)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOPATH", dir.join("gopath"))
        .env("GO111MODULE", "off")
        .env("GOTOOLCHAIN", "local"));
    exe
}

pub fn build(dir: &Path) -> Zoo {
    let rtlink_obj = compile(
        dir,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c"),
        &["-g"],
    );
    let rtlink_exe = link(dir, "hello", std::slice::from_ref(&rtlink_obj), &[]);
    let c_src = write(dir, "kinds.c", KINDS_C);
    let c_obj = cc("gcc", &["-fcommon", "-O2", "-g", "-c"], &c_src, &dir.join("kinds.o"));
    let exe = |name: &str, flags: &[&str]| cc("gcc", flags, &c_obj, &dir.join(name));
    let cpp_src = write(dir, "zoo.cc", CPP);
    let cpp_obj = cc("g++", &["-O2", "-g", "-c"], &cpp_src, &dir.join("zoo.o"));
    let src32 = write(
        dir,
        "s32.c",
        "int f(int x) { return x + 1; }\nint g;\nstatic int h;\nint *p = &h;\n",
    );
    let obj32 = cc("gcc", &["-m32", "-fcommon", "-c"], &src32, &dir.join("s32.o"));
    let archive = dir.join("libzoo.a");
    ok(Command::new("ar")
        .arg("rcs")
        .arg(&archive)
        .args([&c_obj, &cpp_obj, &obj32]));
    Zoo {
        c_pie: exe("c_pie", &["-pie"]),
        c_nopie: exe("c_nopie", &["-no-pie"]),
        c_static: exe("c_static", &["-static"]),
        cpp_exe: cc("g++", &["-O2"], &cpp_obj, &dir.join("cpp_exe")),
        obj32,
        archive,
        go_exe: go_hello(dir),
        rtlink_exe,
        rtlink_obj,
        c_obj,
        cpp_obj,
    }
}

/// C executables and a shared library built from `KINDS_C` with gcc's hardening switches, one
/// switch each, named after it: a static-PIE, an executable stack, no RELRO, full RELRO
/// (BIND_NOW), the stack protector on every function and off everywhere, a shared library.
pub fn hardening(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let src = write(dir, "hardening.c", KINDS_C);
    let variants: [(&'static str, &[&str]); 7] = [
        ("static-pie", &["-static-pie"]),
        ("execstack", &["-Wl,-z,execstack"]),
        ("norelro", &["-Wl,-z,norelro"]),
        ("now", &["-Wl,-z,now"]),
        ("protector-all", &["-fstack-protector-all"]),
        ("no-protector", &["-fno-stack-protector"]),
        ("shared", &["-shared", "-fPIC"]),
    ];
    (variants.into_iter())
        .map(|(name, flags)| {
            let args = [&["-O2", "-fcommon"][..], flags].concat();
            (name, cc("gcc", &args, &src, &dir.join(name)))
        })
        .collect()
}

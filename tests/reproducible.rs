//! Two clean builds of rtlink embed byte-identical runtime objects (and in another target
//! directory, so no build path leaks into the object).
mod common;

use std::process::Command;

use common::*;

#[test]
fn a_clean_build_in_another_directory_embeds_the_same_runtime_object() {
    let dir = tempdir();
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let target = dir.path().join("target");
    // `cargo check` runs the build script, which makes both runtime objects, without
    // compiling the dependencies to machine code (a full build took CI a minute).
    ok(Command::new(cargo)
        .args(["check", "--quiet", "--lib", "--target-dir"])
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    // .cargo/config.toml names the target, so build scripts' outputs are under it.
    let out = std::fs::read_dir(target.join("x86_64-unknown-linux-gnu/debug/build"))
        .unwrap()
        .map(|e| e.unwrap().path().join("out"))
        .find(|p| p.join("runtime.o").exists())
        .expect("the build script's runtime.o");
    let ours = dir.path().join("ours.o");
    ok(rtlink().arg("runtime").arg("-o").arg(&ours));
    let (a, b) = (
        std::fs::read(&ours).unwrap(),
        std::fs::read(out.join("runtime.o")).unwrap(),
    );
    assert!(a.len() > 10_000);
    assert!(
        a == b,
        "runtime.o differs between two clean builds ({} vs {} bytes)",
        a.len(),
        b.len()
    );
    // The static-PIE flavour is built by the same recipe; it must not embed the path either.
    let pie = std::fs::read(out.join("runtime-pie.o")).unwrap();
    let path = env!("CARGO_MANIFEST_DIR").as_bytes();
    assert!(pie.len() > 10_000 && !pie.windows(path.len()).any(|w| w == path));
    assert!(!b.windows(path.len()).any(|w| w == path));
}

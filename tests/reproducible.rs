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
    ok(Command::new(cargo)
        .args(["build", "--quiet", "--bin", "rtlink", "--target-dir"])
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    let (ours, theirs) = (dir.path().join("ours.o"), dir.path().join("theirs.o"));
    ok(rtlink().arg("runtime").arg("-o").arg(&ours));
    ok(Command::new(target.join("debug/rtlink"))
        .arg("runtime")
        .arg("-o")
        .arg(&theirs));
    let (a, b) = (std::fs::read(&ours).unwrap(), std::fs::read(&theirs).unwrap());
    assert!(a.len() > 10_000);
    assert!(
        a == b,
        "runtime.o differs between two clean builds ({} vs {} bytes)",
        a.len(),
        b.len()
    );
}

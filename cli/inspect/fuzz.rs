//! Every view of the inspector over one file's bytes, written to a sink: what the fuzz target
//! (`fuzz/fuzz_targets/inspect.rs`) runs on each input. The only property checked is the one
//! every view promises: no panic, no hang, no allocation beyond what the bytes justify,
//! whatever the input; errors are expected and ignored.
use std::io;
use std::path::Path;

use clap::Parser;

use super::image::Image;
use super::require::{Demands, Requirement};
use super::{addr, disasm, dwarf, nm, readelf, size, summary};

/// Runs every view over `data` (each member in turn when it is an archive).
pub fn run_all(data: &[u8]) {
    let path = Path::new("input");
    let members = if crate::archive::is_archive(data) {
        crate::archive::members(path, data).unwrap_or_default()
    } else {
        vec![(String::new(), data)]
    };
    for (_, bytes) in members {
        run_one(path, bytes);
    }
}

fn run_one(path: &Path, data: &[u8]) {
    let Ok(img) = Image::parse(path, data) else { return };
    let sink = &mut io::sink();
    let inflated = dwarf::Inflated::new(&img).unwrap_or_default();
    let debug = dwarf::Debug::load(&img, &inflated).ok().flatten();
    let summary = summary::Summary::new(path, &img, debug.as_ref());
    let _ = summary.write_text(sink);
    let _ = summary.to_json();
    let _ = Demands::new(&[Requirement::Bootstrap, Requirement::All]).unmet(&summary.hardening);
    let views = readelf::Views {
        header: true,
        sections: true,
        segments: true,
        symbols: true,
        notes: true,
    };
    let _ = readelf::write(&img, views, sink);
    let _ = readelf::json(&img, views);
    let layout = summary.main_pc.as_ref().map(|(l, _)| *l);
    let sizes = size::Sizes::new(&img, &summary.syms, layout);
    let _ = sizes.write_text(sink);
    let _ = sizes.to_json();
    for args in [&["-a", "-S", "-C"][..], &["-f", "sysv", "-n"], &["-P", "-A", "-t", "d"]] {
        if let Ok(parsed) = nm::NmArgs::try_parse_from(args) {
            let _ = nm::write_image(&parsed, &img, "input", sink);
        }
    }
    if let Ok(listing) = disasm::listing(&img, &summary.syms, None) {
        let _ = disasm::write(&img, &listing, sink);
        let _ = disasm::json(&listing);
    }
    let probes: Vec<u64> = [img.header.e_entry]
        .into_iter()
        .chain(summary.syms.iter().take(8).map(|s| s.value))
        .collect();
    let opts = addr::Options {
        inlines: true,
        demangle: true,
    };
    if let Ok(answers) = addr::answers(&img, debug.as_ref(), &probes, &opts) {
        let _ = addr::write(&answers, sink);
        let _ = addr::json(&answers);
    }
}

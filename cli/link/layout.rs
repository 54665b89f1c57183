//! The two kinds of executable `rtlink build` writes, and what each needs from the link: the
//! runtime flavour, the linker script and the linker's flags.
//!
//! - `Exec` (the default): ET_EXEC at 0x400000, the embedded script as it is, no RELRO (nothing
//!   is relocated at run time, and RELRO's page padding would cost half a page per program).
//! - `StaticPie` (`--static-pie`): ET_DYN linked at 0 with only R_X86_64_RELATIVE dynamic
//!   relocations and no interpreter; the PIE runtime relocates it and protects PT_GNU_RELRO.
//!   Its script is the embedded one with the `static-pie:` lines swapped in (each must occur
//!   exactly once; a unit test holds the script to that). gold cannot link a static-PIE.
//!
//! Invariant: both layouts keep the runtime first and the segments R / RX / RW with no
//! segment both writable and executable, and a non-executable stack.
use std::borrow::Cow;

use anyhow::{bail, Result};

use crate::embedded;

/// `(ET_EXEC line, static-PIE line)`: the script's differences, each found exactly once.
const PIE_LINES: [(&str, &str); 4] = [
    (". = 0x400000 + SIZEOF_HEADERS;", ". = 0 + SIZEOF_HEADERS;"),
    (
        ". = ALIGN(0x1000) + (. & 0xfff); /* static-pie: . = DATA_SEGMENT_ALIGN(0x1000, 0x1000); */",
        ". = DATA_SEGMENT_ALIGN(0x1000, 0x1000);",
    ),
    (
        "/* static-pie: . = DATA_SEGMENT_RELRO_END(0, .); */",
        ". = DATA_SEGMENT_RELRO_END(0, .);",
    ),
    ("/* static-pie: . = DATA_SEGMENT_END(.); */", ". = DATA_SEGMENT_END(.);"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    Exec,
    StaticPie,
}

impl Layout {
    /// The runtime object's file name (in the cache) and contents.
    pub fn runtime(self) -> (&'static str, &'static [u8]) {
        match self {
            Layout::Exec => ("rtlink_runtime.o", embedded::RUNTIME_O),
            Layout::StaticPie => ("rtlink_runtime_pie.o", embedded::RUNTIME_PIE_O),
        }
    }

    /// The linker script's file name and text.
    pub fn script(self) -> (&'static str, Cow<'static, str>) {
        match self {
            Layout::Exec => ("rtlink_amd64_linux.ld", Cow::Borrowed(embedded::LINKER_SCRIPT)),
            Layout::StaticPie => (
                "rtlink_amd64_linux_pie.ld",
                Cow::Owned(
                    PIE_LINES
                        .iter()
                        .fold(embedded::LINKER_SCRIPT.to_owned(), |s, (exec, pie)| {
                            s.replace(exec, pie)
                        }),
                ),
            ),
        }
    }

    /// The linker's flags for this layout (`mold`: whether the linker is mold, which reads no
    /// script), or why `linker` cannot make it.
    pub fn flags(self, linker: &str, mold: bool) -> Result<Vec<&'static str>> {
        let mut flags = vec!["-static", "-nostdlib", "-m", "elf_x86_64", "-z", "noexecstack"];
        match self {
            // lld's RELRO split put .bss in a PT_LOAD of its own sharing a page with the
            // arrays, which the kernel then mapped as zeros; an ET_EXEC has nothing to protect
            // after start that RELRO would cover anyway (see above).
            Layout::Exec => flags.extend(["-z", "norelro"]),
            Layout::StaticPie => {
                if linker.contains("gold") {
                    bail!("--static-pie: gold cannot link a static-PIE (-pie and -static are incompatible there); use --ld bfd, lld or mold");
                }
                flags.extend(["-pie", "--no-dynamic-linker", "-z", "text", "-z", "relro", "-z", "now"]);
            }
        }
        if mold {
            // mold reads no SECTIONS; these give it what the script says (see the script's notes).
            flags.extend(["-e", "_rt0_amd64_linux"]);
            if self == Layout::Exec {
                flags.push("--image-base=0x400000");
            }
        }
        Ok(flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_static_pie_line_is_in_the_script_once() {
        for (exec, _) in PIE_LINES {
            assert_eq!(embedded::LINKER_SCRIPT.matches(exec).count(), 1, "{exec}");
        }
        let (_, pie) = Layout::StaticPie.script();
        assert!(!pie.contains("0x400000") && !pie.contains("static-pie:"), "{pie}");
    }

    #[test]
    fn gold_is_refused_for_static_pie_only() {
        assert!(Layout::Exec.flags("ld.gold", false).is_ok());
        let err = Layout::StaticPie.flags("ld.gold", false).unwrap_err().to_string();
        assert!(err.contains("use --ld bfd, lld or mold"), "{err}");
    }
}

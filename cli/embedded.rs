//! The files rtlink carries inside its own binary, so users need no Rust toolchain and no
//! installed data files: the runtime object built by the build script, the linker script and
//! the C header. They are byte-for-byte the files of this source tree at build time.

/// The merged runtime object (`runtime-obj`, built by `cli/build.rs`) for programs linked at a
/// fixed address.
pub const RUNTIME_O: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runtime.o"));
/// The same runtime built position-independent, with self-relocation, for static-PIEs.
pub const RUNTIME_PIE_O: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runtime-pie.o"));
/// The linker script every link uses.
pub const LINKER_SCRIPT: &str = include_str!("../linker-scripts/rtlink_amd64_linux.ld");
/// The C API header.
pub const HEADER: &str = include_str!("../runtime-obj/include/rtlink.h");

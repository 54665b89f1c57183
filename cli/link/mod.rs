//! `rtlink build`: checks the inputs, then links them after the embedded runtime with the
//! embedded linker script, writing the output atomically.
//!
//! Invariants:
//! - Every input is checked before the linker runs; an error names the file and says what to
//!   do, and nothing is written.
//! - The runtime object is the linker's first input, so its sections come first in each
//!   output section; the user's inputs follow in the order given.
//! - The output appears only when the link succeeded (temporary file + rename); a failed link
//!   leaves any previous output untouched.
//! - Quiet on success; `-v` prints the exact linker command.
mod check;
mod driver;
pub mod output;

use std::path::PathBuf;

pub use driver::Level;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// Objects (.o) and static archives (.a) to link, in link order.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The executable to write.
    #[arg(short = 'o', value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// The x86-64 level the inputs were compiled for; the program refuses to start on a CPU
    /// without it.
    #[arg(long, value_enum, default_value_t = Level::V1)]
    pub amd64: Level,
    /// The linker to run: a name on PATH or a path (GNU ld by default).
    #[arg(long, env = "RTLINK_LD", default_value = "ld", value_name = "LINKER")]
    pub ld: String,
    /// Print the linker command before running it.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn build(args: &BuildArgs) -> anyhow::Result<()> {
    check::inputs(&args.inputs)?;
    driver::link(args)
}

//! `rtlink build`: checks the inputs, then links them after the embedded runtime with the
//! embedded linker script, writing the output atomically.
//!
//! Invariants:
//! - Every input is checked before the linker runs; an error names the file and says what to
//!   do, and nothing is written.
//! - The output is checked before any compiler runs: an output that is one of the inputs, a
//!   directory, or in a missing or unwritable directory is refused, naming it.
//! - The runtime object is the linker's first input, so its sections come first in each
//!   output section; the user's inputs follow in the order given.
//! - The output appears only when the link succeeded (temporary file + rename); a failed link
//!   leaves any previous output untouched.
//! - Quiet on success; `-v` prints each compiler and linker command, copy-pastable.
//! - Sources (`.c`, `.S`, `.s`, `.cc`/`.cpp`/`.cxx`) are compiled first, in a temporary
//!   directory, with the flags `rtlink cflags` prints; compiler errors pass through unchanged.
mod check;
mod compile;
mod depfile;
mod driver;
pub mod fuzz;
mod internal;
mod layout;
pub mod line;
pub mod output;
mod pie;
mod resolve;

use std::path::PathBuf;

use anyhow::{bail, Result};

pub use driver::Level;
pub use layout::Layout;

#[derive(clap::Args)]
#[command(
    override_usage = "rtlink build [OPTIONS] INPUT... -o OUT",
    after_help = "INPUTs, in link order: objects (.o), static archives (.a), sources (.c, .S, .s, .cc), \
                  -lNAME (libNAME.a along -L DIR), --whole-archive/--no-whole-archive, \
                  --start-group/--end-group, -u SYM, -Wl,ARG,... and --ld-arg ARG (to the linker), \
                  @FILE (response file), and -- (everything after it is an input)."
)]
pub struct BuildArgs {
    /// The link line, in order (read before clap by `line::split`).
    #[arg(skip)]
    pub line: line::LinkLine,
    /// The executable to write (with -c and one source: the object).
    #[arg(short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compile the sources to objects and stop, like cc -c.
    #[arg(short = 'c')]
    pub compile_only: bool,
    /// The x86-64 level the inputs were compiled for; the program refuses to start on a CPU
    /// without it.
    #[arg(long, value_enum, default_value_t = Level::V1)]
    pub amd64: Level,
    /// Write a static-PIE: an ET_DYN that relocates itself at start and runs at a random address
    /// every time (ASLR), with RELRO (compile with `rtlink cflags --static-pie`, i.e. -fPIE).
    #[arg(long)]
    pub static_pie: bool,
    /// The linker: internal (rtlink's own), bfd, gold, lld, mold, or a command name or path
    /// (GNU ld by default).
    #[arg(long, env = "RTLINK_LD", default_value = "ld", value_name = "LINKER")]
    pub ld: String,
    /// Leave out all symbols from the output (ld -s).
    #[arg(short = 's', long = "strip-all")]
    pub strip_all: bool,
    /// Leave out debugging information from the output (ld -S).
    #[arg(short = 'S', long = "strip-debug")]
    pub strip_debug: bool,
    /// Keep unreferenced sections (garbage collection is on by default).
    #[arg(long)]
    pub no_gc_sections: bool,
    /// Write the linker's map of the output to FILE (also -Map FILE).
    #[arg(long = "Map", value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// The build ID note: a hash of the output's contents (sha1, the default, or md5), so equal
    /// inputs give equal IDs; none leaves it out.
    #[arg(long, value_name = "STYLE", default_value = "sha1", num_args = 0..=1, default_missing_value = "sha1",
          require_equals = true, value_parser = ["sha1", "md5", "none"])]
    pub build_id: String,
    /// Write a make dependency file for the output (also -MF FILE; -MD writes OUTPUT.d).
    #[arg(long = "dependency-file", visible_alias = "MF", value_name = "FILE")]
    pub dependency_file: Option<PathBuf>,
    /// Write OUTPUT.d, a make dependency file (as cc -MD does).
    #[arg(long = "MD")]
    pub md: bool,
    /// Keep the runtime object, the linker script and the linker's arguments (link.rsp) in DIR,
    /// so the link can be repeated by hand: ld @DIR/link.rsp.
    #[arg(long, value_name = "DIR")]
    pub save_temps: Option<PathBuf>,
    /// Print each compiler and linker command before running it.
    #[arg(short, long)]
    pub verbose: bool,
}

impl BuildArgs {
    /// The kind of executable to write.
    pub fn layout(&self) -> Layout {
        if self.static_pie {
            Layout::StaticPie
        } else {
            Layout::Exec
        }
    }
}

pub fn build(args: &BuildArgs) -> Result<()> {
    if args.line.items.is_empty() {
        bail!("no inputs: give the objects, archives or sources to link (rtlink build main.c -o app)");
    }
    if args.compile_only {
        return compile::objects_only(args);
    }
    let Some(output) = &args.output else {
        bail!("no output: give the executable's name with -o FILE");
    };
    let mut line = args.line.clone();
    line.resolve_libs()?;
    let given = line.files();
    output::not_an_input(output, &given)?;
    let out = output::Pending::program(output)?;
    let (inputs, _objects) = compile::sources(args, &given)?;
    check::inputs(&inputs, &given, &line.in_whole_archive())?;
    resolve::check(&inputs, &given)?;
    if args.ld == "internal" {
        internal::link(args, &inputs, &given, &line.in_whole_archive(), out)?;
    } else {
        driver::link(args, &line.linker_args(&inputs), out)?;
    }
    if let Some(dep) = args
        .dependency_file
        .clone()
        .or_else(|| args.md.then(|| depfile::beside(output)))
    {
        depfile::write(&dep, output, &given)?;
    }
    Ok(())
}

//! `rtlink`: links self-bootstrapping static x86-64 Linux executables and inspects ELF files.
//!
//! The front end only parses arguments and reports errors: every failure comes back as an
//! `anyhow::Error`, is printed once as `rtlink: <message>` and exits with status 1. Nothing
//! here panics on user input.
//!
//! `main` is the C entry point (`no_main`): std's start-up wrapper would read /proc/self/maps
//! for the main thread's stack guard, install signal handlers and poll fds 0-2 on every run,
//! a tenth of a `rtlink build` that spends most of its time in the linker. What of it rtlink
//! relies on is done here: SIGPIPE ignored (a closed pipe is an EPIPE that inspect ends
//! quietly on) and stdout flushed before returning. glibc hands std argv through
//! `.init_array`, so `std::env::args_os` works as usual.
#![no_main]

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};
use rtlink::{cflags, embedded, inspect, link};

#[derive(Parser)]
#[command(
    name = "rtlink",
    version,
    about = "Link self-bootstrapping static x86-64 Linux executables, and inspect ELF files",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Colour in error messages: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// The message, each line prefixed with `rtlink: `'s line-starting `error:` in bold red when
/// colour is on (lld's style).
fn paint(message: &str, color: bool) -> String {
    if !color {
        return message.to_string();
    }
    message.replace("rtlink: error:", "rtlink: \x1b[1;31merror:\x1b[0m")
}

#[derive(Subcommand)]
enum Cmd {
    /// Link objects and archives after the embedded runtime into a static executable.
    Build(link::BuildArgs),
    /// Show an ELF file's entry point, bootstrap chain and symbols.
    Inspect(inspect::InspectArgs),
    /// Write the embedded runtime object (and optionally the linker script and header).
    Runtime(RuntimeArgs),
    /// Print the compiler flags that code linked by rtlink is compiled with.
    Cflags(cflags::CflagsArgs),
    /// Write the embedded linker script, for linking by hand (ld -T FILE).
    LinkerScript(OutputArg),
    /// Print a shell completion script: rtlink completions bash > /etc/bash_completion.d/rtlink
    Completions(CompletionsArg),
    /// Write the man pages (rtlink.1 and one per command, rtlink-build.1, ...) into DIR.
    Man(ManArg),
    /// Print rtlink's version and the hash of the runtime it embeds.
    Version,
}

#[derive(clap::Args)]
struct ManArg {
    /// The directory to write them into (created if missing).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

#[derive(clap::Args)]
struct OutputArg {
    /// Where to write it.
    #[arg(short = 'o', value_name = "FILE")]
    output: PathBuf,
}

#[derive(clap::Args)]
struct CompletionsArg {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
struct RuntimeArgs {
    /// Where to write runtime.o.
    #[arg(short = 'o', value_name = "FILE")]
    output: PathBuf,
    /// Also write the linker script here.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Also write rtlink.h here.
    #[arg(long, value_name = "FILE")]
    header: Option<PathBuf>,
}

#[no_mangle]
extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    // SAFETY: no other thread exists yet, and SIG_IGN installs no handler code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let code = run();
    match std::io::Write::flush(&mut std::io::stdout()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("rtlink: cannot write the output: {e}");
            1
        }
        _ => code,
    }
}

fn run() -> i32 {
    let (argv, line) = match split_build_line() {
        Ok(split) => split,
        Err(e) => {
            eprintln!("rtlink: {e:#}");
            return 1;
        }
    };
    let mut cli = Cli::parse_from(argv);
    let color = cli.color.enabled();
    if let Cmd::Build(args) = &mut cli.cmd {
        args.line = line;
    }
    let result = match cli.cmd {
        Cmd::Build(args) => link::build(&args),
        Cmd::Inspect(args) => inspect::run(&args),
        Cmd::Runtime(args) => write_runtime(&args),
        Cmd::Cflags(args) => cflags::run(&args),
        Cmd::LinkerScript(args) => link::output::write_atomically(&args.output, embedded::LINKER_SCRIPT.as_bytes()),
        Cmd::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "rtlink", &mut std::io::stdout());
            Ok(())
        }
        Cmd::Man(args) => write_man_pages(&args.dir),
        Cmd::Version => {
            println!(
                "rtlink {} (runtime {})",
                env!("CARGO_PKG_VERSION"),
                env!("RTLINK_CONTENT_HASH")
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", paint(&format!("rtlink: {e:#}"), color));
            1
        }
    }
}

/// For `rtlink build`: expands response files and takes the link line out of the arguments
/// (see link::line), mapping cc's `-MD`/`-MF` to clap's spelling; other commands pass through.
fn split_build_line() -> anyhow::Result<(Vec<OsString>, link::line::LinkLine)> {
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    // The subcommand comes after any global option (`--color WHEN`, `--color=WHEN`).
    let mut at = 1;
    while let Some(a) = argv.get(at).and_then(|a| a.to_str()) {
        match a {
            "--color" => at += 2,
            _ if a.starts_with("--color=") => at += 1,
            _ => break,
        }
    }
    if argv.get(at).is_none_or(|a| a != "build") {
        return Ok((argv, Default::default()));
    }
    let rest = link::line::expand_response_files(argv.split_off(at + 1), &mut link::line::read_response_file)?;
    let rest = rest.into_iter().map(|a| match a.to_str() {
        Some("-MD") => "--MD".into(),
        Some("-MF") => "--MF".into(),
        Some("-Map") => "--Map".into(),
        _ => a,
    });
    let (own, line) = link::line::split(rest.collect())?;
    argv.extend(own);
    Ok((argv, line))
}

fn write_runtime(args: &RuntimeArgs) -> anyhow::Result<()> {
    link::output::write_atomically(&args.output, embedded::RUNTIME_O)?;
    if let Some(script) = &args.script {
        link::output::write_atomically(script, embedded::LINKER_SCRIPT.as_bytes())?;
    }
    if let Some(header) = &args.header {
        link::output::write_atomically(header, embedded::HEADER.as_bytes())?;
    }
    Ok(())
}

/// Renders the man page of rtlink and of each visible command, each written atomically.
fn write_man_pages(dir: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pending = vec![root];
    while let Some(cmd) = pending.pop() {
        pending.extend(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
        let man = clap_mangen::Man::new(cmd).manual("rtlink manual");
        let mut page = Vec::new();
        man.render(&mut page).context("cannot render a man page")?;
        link::output::write_atomically(&dir.join(man.get_filename()), &page)?;
    }
    Ok(())
}

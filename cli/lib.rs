//! rtlink as a library: everything the `rtlink` command does, so that the command (`main.rs`)
//! stays a thin argument parser and the fuzz target can drive the inspector in-process.
pub mod archive;
pub mod cache;
pub mod cflags;
pub mod embedded;
pub mod inspect;
pub mod link;

#[derive(clap::Args)]
pub struct InspectArgs {
    pub file: std::path::PathBuf,
}
pub fn run(_: &InspectArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

//! Logging for the command-line examples: warnings by default, `-v` for
//! info, `-vv` for debug, on standard error.

/// Installs a `tracing` subscriber at the level `-v` flags ask for.
pub fn init(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(level)
        .with_target(false)
        .init();
}

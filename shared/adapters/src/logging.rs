//! Logging on AWS Lambda: the level from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging
//! controls), else `RUST_LOG` when it names a plain level, else INFO; JSON lines when
//! `AWS_LAMBDA_LOG_FORMAT` is `JSON` (the template sets it), text otherwise. The runtime's own
//! `init_default_subscriber` does the same through a filter of regular expressions, which costs
//! every function binary hundreds of kilobytes; a level is all the functions use.

use tracing_subscriber::filter::LevelFilter;

/// The level the environment asks for (`vars` reads a variable).
pub fn level_from(vars: &dyn Fn(&str) -> Option<String>) -> LevelFilter {
    ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| vars(name).and_then(|v| v.trim().parse::<LevelFilter>().ok()))
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the function's logger, once, at start.
pub fn init_lambda_logging() {
    let vars = |name: &str| std::env::var(name).ok();
    let json = vars("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_max_level(level_from(&vars))
        .with_target(false)
        .with_ansi(false);
    let installed = if json {
        builder.json().with_current_span(false).try_init()
    } else {
        builder.without_time().try_init()
    };
    if let Err(e) = installed {
        eprintln!("logging could not be installed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_lambda_then_rust_log_then_info() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(
            level_from(&vars(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG"), ("RUST_LOG", "warn")])),
            LevelFilter::DEBUG
        );
        assert_eq!(level_from(&vars(&[("RUST_LOG", "warn")])), LevelFilter::WARN);
        assert_eq!(
            level_from(&vars(&[("RUST_LOG", "router=debug,info")])),
            LevelFilter::INFO
        );
        assert_eq!(level_from(&vars(&[])), LevelFilter::INFO);
    }
}

//! The domain's hot paths as criterion measured them (`cargo bench -p domain --bench hot_paths`):
//! per benchmark, the time per call of each of criterion's samples, as min/median/max.

use std::path::Path;
use std::time::Duration;

/// One benchmark: its title and the per-call times of its samples, sorted.
pub struct Micro {
    pub title: String,
    pub per_call: Vec<Duration>,
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every benchmark criterion saved under `dir` (`target/criterion`).
pub fn read(dir: &Path) -> Result<Vec<Micro>, String> {
    let mut all = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e} (run cargo bench first)", dir.display()))?;
    for entry in entries.flatten() {
        let new = entry.path().join("new");
        let (Ok(benchmark), Ok(sample)) = (
            read_json(&new.join("benchmark.json")),
            read_json(&new.join("sample.json")),
        ) else {
            continue;
        };
        let numbers = |key: &str| -> Vec<f64> {
            sample[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_f64)
                .collect()
        };
        let mut per_call: Vec<Duration> = numbers("times")
            .iter()
            .zip(numbers("iters"))
            .filter(|(_, iters)| *iters > 0.0)
            .map(|(nanos, iters)| Duration::from_secs_f64(nanos / iters / 1e9))
            .collect();
        per_call.sort();
        if !per_call.is_empty() {
            all.push(Micro {
                title: benchmark["title"].as_str().unwrap_or("?").to_owned(),
                per_call,
            });
        }
    }
    all.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(all)
}

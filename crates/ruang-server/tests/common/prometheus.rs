//! Reading `/metrics` in tests: the Prometheus text format, parsed strictly.

use std::collections::HashMap;

/// Prometheus text format, read strictly: every sample is `name{labels} value` with a known `# TYPE`, and
/// a float value. Returns samples by `name{labels}` as written.
pub fn parse_prometheus(text: &str) -> HashMap<String, f64> {
    let mut types = HashMap::new();
    let mut samples = HashMap::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(["counter", "gauge", "histogram", "summary"].contains(&kind), "{line}");
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("series value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().expect("name");
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "{line}");
        if let Some(labels) = series.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')), "{line}");
        }
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|suffix| name.strip_suffix(suffix));
        let known = types.contains_key(name) || family.is_some_and(|family| types.contains_key(family));
        assert!(known, "a sample without # TYPE: {line}");
        samples.insert(series.to_owned(), value);
    }
    samples
}

/// The value of `series` (`name{labels}` as written), or a failure naming what there is.
pub fn sample(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples.get(series).unwrap_or_else(|| panic!("no {series} in {samples:?}"))
}

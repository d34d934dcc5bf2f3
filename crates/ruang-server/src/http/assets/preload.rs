//! Module preloads for `index.html`. The client is plain ES modules without a build step, a dozen imports
//! deep: a browser would discover them level by level, a round trip each, before the page could run. The page
//! is therefore served with a `<link rel="modulepreload">` for every module its entry script imports
//! statically, directly or not (found once from the embedded files), so the browser fetches them all at once.
//! The modules the entry loads later with `import()` (the call, while the pre-join screen shows) are not
//! preloaded: they would compete with the first screen. Measured in docs/benchmarks.md, "Call setup together".

use include_dir::Dir;

/// The client's entry module, as `index.html` names it.
pub(super) const ENTRY: &str = "/js/app.js";

/// `entry` and every module it imports statically, directly or through others: `/js/…` paths, sorted.
/// Imports are read as `from '…'` / `import '…'` with a relative path (the client's only forms); a
/// dynamic `import('…')` is not followed.
pub(super) fn static_imports(web: &Dir<'static>, entry: &str) -> Vec<String> {
    let mut found = vec![entry.to_owned()];
    let mut next = 0;
    while let Some(module) = found.get(next).cloned() {
        next += 1;
        let Some(text) = web.get_file(module.trim_start_matches('/')).and_then(|f| f.contents_utf8()) else {
            continue;
        };
        let dir = module.rsplit_once('/').map_or("", |(dir, _)| dir);
        for marker in ["from '", "import '"] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let Some(path) = rest.split('\'').next().filter(|p| p.ends_with(".js")) else { continue };
                if let Some(resolved) = resolve(dir, path)
                    && !found.contains(&resolved)
                {
                    found.push(resolved);
                }
            }
        }
    }
    found.sort();
    found
}

/// `path` (`./x.js`, `../x.js`) relative to the folder `dir` (`/js/ui`), if it stays inside the site.
pub(super) fn resolve(dir: &str, path: &str) -> Option<String> {
    if !path.starts_with("./") && !path.starts_with("../") {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// `html` with a `modulepreload` link for each of `modules` before its first module script.
pub(super) fn with_module_preloads(html: &str, modules: &[String]) -> String {
    let links: String = modules.iter().map(|m| format!("<link rel=\"modulepreload\" href=\"{m}\">\n  ")).collect();
    match html.find("<script type=\"module\"") {
        Some(at) => format!("{}{links}{}", &html[..at], &html[at..]),
        None => html.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::assets::WEB;

    #[test]
    fn the_page_preloads_what_its_first_screen_imports_and_not_the_call() {
        let index = with_module_preloads(
            WEB.get_file("index.html").and_then(|f| f.contents_utf8()).unwrap_or_default(),
            &static_imports(&WEB, ENTRY),
        );
        let modules = static_imports(&WEB, ENTRY);
        for first_screen in ["/js/app.js", "/js/ui/prejoin.js", "/js/media.js", "/js/signaling.js", "/js/i18n/en.js"] {
            assert!(modules.iter().any(|m| m == first_screen), "{first_screen} in {modules:?}");
        }
        for later in ["/js/ui/call.js", "/js/transport.js", "/js/mesh.js", "/js/sfu.js", "/js/files.js"] {
            assert!(!modules.iter().any(|m| m == later), "{later} is loaded with import(), not preloaded");
        }
        assert!(modules.iter().all(|m| WEB.get_file(m.trim_start_matches('/')).is_some()), "{modules:?}");
        let script = index.find("<script type=\"module\"").unwrap_or(0);
        for module in &modules {
            let link = format!("<link rel=\"modulepreload\" href=\"{module}\">");
            assert!(index.find(&link).is_some_and(|at| at < script), "{link} before the app's script");
        }
        assert_eq!(with_module_preloads("<p>no script</p>", &modules), "<p>no script</p>");
    }

    #[test]
    fn relative_imports_resolve_inside_the_site() {
        assert_eq!(resolve("/js/ui", "../media.js").as_deref(), Some("/js/media.js"));
        assert_eq!(resolve("/js", "./i18n/en.js").as_deref(), Some("/js/i18n/en.js"));
        assert_eq!(resolve("/js", "../../../etc.js"), None);
        assert_eq!(resolve("/js", "https://cdn.example/x.js"), None);
    }
}

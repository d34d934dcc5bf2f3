//! The page's stylesheets served as one: `index.html` links each of `web/css/*.css` (kept apart in the
//! source by what they style); the page is served with one link to their concatenation, in the same order,
//! so a browser makes one request for them, not eight. (CSS concatenates safely: the files use no `@import`
//! and sit in one folder, so their relative URLs mean the same in the whole.)

use std::fmt::Write as _;

use include_dir::Dir;

/// Where the concatenation is served.
pub(super) const PATH: &str = "/css/app.bundle.css";

/// `html` with its `<link rel="stylesheet" href="/css/…">` lines replaced by one link to [`PATH`], and the
/// stylesheet: `None` if the page links none, or one that is missing or uses `@import`.
pub(super) fn combine(web: &Dir<'static>, html: &str) -> Option<(String, String)> {
    const LINK: &str = "<link rel=\"stylesheet\" href=\"";
    let mut page = String::with_capacity(html.len());
    let mut style = String::new();
    let mut linked = false;
    for line in html.split_inclusive('\n') {
        let Some(href) = line.trim().strip_prefix(LINK).and_then(|rest| rest.strip_suffix("\">")) else {
            page.push_str(line);
            continue;
        };
        let text = web
            .get_file(href.strip_prefix('/').filter(|path| path.starts_with("css/"))?)
            .and_then(|f| f.contents_utf8())?;
        if text.contains("@import") {
            return None;
        }
        let _ = write!(style, "/* {href} */\n{text}\n");
        if !linked {
            let indent = &line[..line.len() - line.trim_start().len()];
            let _ = writeln!(page, "{indent}{LINK}{PATH}\">");
            linked = true;
        }
    }
    linked.then_some((page, style))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::assets::WEB;

    #[test]
    fn the_pages_stylesheets_become_one_in_their_order() {
        let html = WEB.get_file("index.html").and_then(|f| f.contents_utf8()).unwrap_or_default();
        let (page, style) = combine(&WEB, html).expect("the page's stylesheets combine");
        assert_eq!(page.matches("rel=\"stylesheet\"").count(), 1, "{page}");
        assert!(page.contains(&format!("href=\"{PATH}\"")));
        let linked: Vec<&str> =
            html.lines().filter_map(|l| l.trim().strip_prefix("<link rel=\"stylesheet\" href=\"")).collect();
        assert!(linked.len() > 1);
        let mut at = 0;
        for link in linked {
            let href = link.trim_end_matches("\">");
            let text = WEB.get_file(href.trim_start_matches('/')).and_then(|f| f.contents_utf8()).unwrap_or_default();
            let found = style[at..].find(text).map(|i| i + at);
            assert!(found.is_some(), "{href} follows the one before it");
            at = found.unwrap_or(0) + text.len();
        }
        assert_eq!(combine(&WEB, "<p>no styles</p>"), None);
        assert_eq!(combine(&WEB, "<link rel=\"stylesheet\" href=\"/css/nope.css\">"), None);
    }
}

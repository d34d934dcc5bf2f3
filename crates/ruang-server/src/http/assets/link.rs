//! The client's ES modules linked into one script, once, when the assets are prepared. The client stays
//! plain modules without a build step (its files are still served one by one); the page loads this script
//! instead, so that a browser makes one request for the 55 modules, not 55 requests: on a loaded machine each
//! request costs a few milliseconds of the browser's CPU, which measured as the larger part of the time
//! before a meeting starts (docs/benchmarks.md, "Call setup together").
//!
//! Each module becomes a function registered under its path and run the first time it is imported, as a
//! module is evaluated once: `import { a, b as c } from './x.js'` becomes `const { a, b: c } =
//! __import('/js/x.js')` at the top of the function (imports are hoisted in a module too), `export function f`
//! loses its `export` and `f` becomes a getter of the module's exports, `import('./x.js')` becomes a promise
//! of the same exports. The modules imported with `import()` (the call) are in the script but not run until
//! then. This works because the client keeps to a few forms of `import` and `export`, each on lines of its
//! own, which [`link`] checks: anything else, and it refuses (the page is then served the modules as before).
//! Imports are copied when the importing module runs, not live: a module reached again through an import
//! cycle is still running, so only its function declarations (hoisted) may be imported across a cycle,
//! also checked.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use include_dir::Dir;

use super::preload::resolve;

/// What the script defines around the modules (no module may use these names).
const RESERVED: [&str; 4] = ["__ruang", "__import", "__exports", "__default"];

/// The module registry at the top of the script: `define` registers a module's function, `run` evaluates
/// a module once (its exports object is known before it runs, for cycles), `load` is `import()`: a promise,
/// the module evaluated in a task of its own.
const RUNTIME: &str = "const __ruang = (() => {
  const defined = new Map();
  const evaluated = new Map();
  const run = (path) => {
    const known = evaluated.get(path);
    if (known) return known;
    const define = defined.get(path);
    if (!define) throw new Error(`ruang: ${path} is not in the linked script`);
    const exports = Object.create(null);
    evaluated.set(path, exports);
    try { define(run, exports); } catch (err) { evaluated.delete(path); throw err; }
    return exports;
  };
  // import() evaluates a module later, never inside the caller's task (which may be drawing a screen)
  const load = (path) => new Promise((resolve, reject) => {
    setTimeout(() => { try { resolve(run(path)); } catch (err) { reject(err); } }, 0);
  });
  return { define: (path, module) => { defined.set(path, module); }, run, load };
})();
";

/// Why the modules were not linked (the page is then served the modules themselves).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("{0}: not in the embedded files, or not UTF-8")]
    Missing(String),
    #[error("{module}, line {line}: a form of import or export the linker does not know: {text}")]
    Unknown { module: String, line: usize, text: String },
    #[error("{module}: uses the linker's name {name}")]
    Reserved { module: String, name: String },
    #[error("{module} imports {name} from {from} across an import cycle, and it is not a function declaration")]
    Cycle { module: String, from: String, name: String },
}

/// One import statement: which module, and the bindings (`local ← exported`).
struct Import {
    from: String,
    bindings: Vec<(String, String)>,
    /// `import * as ns`: the whole exports object.
    namespace: Option<String>,
}

/// One module, read.
struct Module {
    imports: Vec<Import>,
    /// exported name → local name
    exports: BTreeMap<String, String>,
    /// exported names that are function declarations (hoisted: usable across a cycle)
    functions: BTreeSet<String>,
    /// The text without its import statements, `export` keywords removed.
    body: String,
    /// Modules named in `import('…')`.
    dynamic: Vec<String>,
}

/// Links `entry` (`/js/app.js`) and every module it imports, statically or with `import()`, into one script
/// that runs `entry`.
pub fn link(web: &Dir<'static>, entry: &str) -> Result<String, LinkError> {
    let mut modules: BTreeMap<String, Module> = BTreeMap::new();
    let mut queue = vec![entry.to_owned()];
    while let Some(path) = queue.pop() {
        if modules.contains_key(&path) {
            continue;
        }
        let text = web
            .get_file(path.trim_start_matches('/'))
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| LinkError::Missing(path.clone()))?;
        let module = read(web, &path, text)?;
        queue.extend(module.imports.iter().map(|i| i.from.clone()));
        queue.extend(module.dynamic.iter().cloned());
        modules.insert(path, module);
    }
    check_cycles(&modules)?;
    let mut script = String::from("// The client's modules (web/js), linked by the ruang server: see link.rs.\n");
    script.push_str(RUNTIME);
    for (path, module) in &modules {
        let _ = writeln!(script, "\n// ---- {path}\n__ruang.define('{path}', function (__import, __exports) {{");
        if !module.exports.is_empty() {
            script.push_str("Object.defineProperties(__exports, {");
            for (exported, local) in &module.exports {
                let _ = write!(script, " {exported}: {{ get: () => {local}, enumerable: true }},");
            }
            script.push_str(" });\n");
        }
        for import in &module.imports {
            match &import.namespace {
                Some(ns) => {
                    let _ = writeln!(script, "const {ns} = __import('{}');", import.from);
                }
                None if import.bindings.is_empty() => {
                    let _ = writeln!(script, "__import('{}');", import.from);
                }
                None => {
                    let list: Vec<String> = import
                        .bindings
                        .iter()
                        .map(
                            |(local, exported)| {
                                if local == exported { local.clone() } else { format!("{exported}: {local}") }
                            },
                        )
                        .collect();
                    let _ = writeln!(script, "const {{ {} }} = __import('{}');", list.join(", "), import.from);
                }
            }
        }
        script.push_str(&module.body);
        script.push_str("});\n");
    }
    let _ = writeln!(script, "\n__ruang.run('{entry}');");
    Ok(script)
}

/// Reads one module's imports and exports (each statement on lines that begin with `import ` or `export `).
fn read(web: &Dir<'static>, path: &str, text: &str) -> Result<Module, LinkError> {
    if let Some(name) = RESERVED.iter().find(|name| text.contains(*name)) {
        return Err(LinkError::Reserved { module: path.to_owned(), name: (*name).to_owned() });
    }
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut module = Module {
        imports: Vec::new(),
        exports: BTreeMap::new(),
        functions: BTreeSet::new(),
        body: String::with_capacity(text.len()),
        dynamic: Vec::new(),
    };
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let unknown =
            |text: &str| LinkError::Unknown { module: path.to_owned(), line: number + 1, text: text.to_owned() };
        let is_import = line.starts_with("import ") || line.starts_with("import{");
        let is_export_list = line.starts_with("export {") || line.starts_with("export{");
        if !is_import && !is_export_list {
            if let Some(rest) = line.strip_prefix("export ") {
                let (kept, exported, local, function) = declaration(rest).ok_or_else(|| unknown(line))?;
                module.exports.insert(exported.clone(), local);
                if function {
                    module.functions.insert(exported);
                }
                module.body.push_str(&dynamic_imports(web, dir, &kept, &mut module.dynamic));
            } else {
                module.body.push_str(&dynamic_imports(web, dir, line, &mut module.dynamic));
            }
            module.body.push('\n');
            continue;
        }
        // a statement: up to the line that ends with `;`
        let mut statement = line.to_owned();
        while !statement.trim_end().ends_with(';') {
            let Some((_, next)) = lines.next() else { return Err(unknown(&statement)) };
            statement.push(' ');
            statement.push_str(next);
        }
        module.body.push('\n'); // (the line count stays close to the file's)
        let statement = statement.trim_end().trim_end_matches(';').trim_end();
        if is_import {
            module.imports.push(import(dir, statement).ok_or_else(|| unknown(statement))?);
        } else {
            let (list, from) = match statement.split_once(" from ") {
                Some((list, from)) => (list, Some(from)),
                None => (statement, None),
            };
            let pairs = specifier_list(list.trim_start_matches("export").trim()).ok_or_else(|| unknown(statement))?;
            match from {
                // `export { a, b as c } from './x.js'`: imported (c bound to x's b), then exported
                Some(from) => {
                    let from = specifier(dir, from).ok_or_else(|| unknown(statement))?;
                    let mut bindings = Vec::new();
                    for (theirs, ours) in pairs {
                        module.exports.insert(ours.clone(), ours.clone());
                        bindings.push((ours, theirs));
                    }
                    module.imports.push(Import { from, bindings, namespace: None });
                }
                // `export { a, b as c }`: local names exported (c is b)
                None => {
                    for (local, exported) in pairs {
                        module.exports.insert(exported, local);
                    }
                }
            }
        }
    }
    Ok(module)
}

/// `export <rest>` of a declaration: the line without `export`, the exported name, its local name, and
/// whether it is a function declaration. `export default <expression>` becomes `const __default = <expression>`.
fn declaration(rest: &str) -> Option<(String, String, String, bool)> {
    if let Some(expression) = rest.strip_prefix("default ") {
        return Some((format!("const __default = {expression}"), "default".into(), "__default".into(), false));
    }
    let (name_at, function) = if let Some(r) = rest.strip_prefix("async function ") {
        (r, true)
    } else if let Some(r) = rest.strip_prefix("function ") {
        (r, true)
    } else if let Some(r) = rest.strip_prefix("class ") {
        (r, false)
    } else if let Some(r) = rest.strip_prefix("const ") {
        (r, false)
    } else {
        return None; // `export let` (a live binding that changes), `export var`, `export *`: not supported
    };
    let name: String = name_at.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$').collect();
    if !is_identifier(&name) {
        return None;
    }
    Some((rest.to_owned(), name.clone(), name, function))
}

/// `import … from '…'` or `import '…'`, without the `;`.
fn import(dir: &str, statement: &str) -> Option<Import> {
    let rest = statement.strip_prefix("import")?.trim_start();
    let Some((what, from)) = rest.split_once(" from ") else {
        // `import './x.js'`: run for its effects
        return Some(Import { from: specifier(dir, rest)?, bindings: Vec::new(), namespace: None });
    };
    let from = specifier(dir, from)?;
    let what = what.trim();
    if let Some(ns) = what.strip_prefix("* as ") {
        let ns = ns.trim();
        return is_identifier(ns).then(|| Import { from, bindings: Vec::new(), namespace: Some(ns.to_owned()) });
    }
    if what.starts_with('{') {
        // `{ a, b as c }` binds a to a, c to b: (local, exported)
        let bindings = specifier_list(what)?.into_iter().map(|(theirs, ours)| (ours, theirs)).collect();
        return Some(Import { from, bindings, namespace: None });
    }
    // `import x from './x.js'`: the default export
    is_identifier(what).then(|| Import {
        from,
        bindings: vec![(what.to_owned(), "default".to_owned())],
        namespace: None,
    })
}

/// `{ a, b as c }` → `[(a, a), (b, c)]` (the name before `as`, the name after it).
fn specifier_list(text: &str) -> Option<Vec<(String, String)>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut pairs = Vec::new();
    for item in inner.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let (before, after) = match item.split_once(" as ") {
            Some((before, after)) => (before.trim(), after.trim()),
            None => (item, item),
        };
        if !is_identifier(before) || !(is_identifier(after) || after == "default") {
            return None;
        }
        pairs.push((before.to_owned(), after.to_owned()));
    }
    Some(pairs)
}

/// `'./x.js'` (quoted, relative) → `/js/x.js` from the folder `dir`.
fn specifier(dir: &str, quoted: &str) -> Option<String> {
    let quoted = quoted.trim();
    let path = quoted
        .strip_prefix('\'')
        .and_then(|q| q.strip_suffix('\''))
        .or_else(|| quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')))?;
    if !path.ends_with(".js") {
        return None;
    }
    resolve(dir, path)
}

/// `line` with each `import('./x.js')` of a module in `web` made `__ruang.load('/js/x.js')`; the modules are
/// added to `found`. A comment line (a JSDoc type's `import('…')`) is left as it is.
fn dynamic_imports(web: &Dir<'static>, dir: &str, line: &str, found: &mut Vec<String>) -> String {
    let code = line.trim_start();
    if code.starts_with("//") || code.starts_with('*') || code.starts_with("/*") {
        return line.to_owned();
    }
    const CALL: &str = "import(";
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(CALL) {
        let after = &rest[at + CALL.len()..];
        let preceded =
            rest[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.');
        let target = after
            .split_once(')')
            .and_then(|(arg, _)| specifier(dir, arg).map(|path| (path, arg.len())))
            .filter(|(path, _)| web.get_file(path.trim_start_matches('/')).is_some());
        match target {
            Some((path, arg_len)) if !preceded => {
                out.push_str(&rest[..at]);
                let _ = write!(out, "__ruang.load('{path}')");
                if !found.contains(&path) {
                    found.push(path);
                }
                rest = &after[arg_len + 1..];
            }
            _ => {
                out.push_str(&rest[..at + CALL.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Refuses an import, across a cycle, of anything but a function declaration (see the module's note).
fn check_cycles(modules: &BTreeMap<String, Module>) -> Result<(), LinkError> {
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(at) = stack.pop() {
            if at == to {
                return true;
            }
            if seen.insert(at.clone())
                && let Some(module) = modules.get(&at)
            {
                stack.extend(module.imports.iter().map(|i| i.from.clone()));
            }
        }
        false
    };
    for (path, module) in modules {
        for import in &module.imports {
            if !reaches(&import.from, path) {
                continue;
            }
            let Some(target) = modules.get(&import.from) else { continue };
            let names: Vec<&String> = match &import.namespace {
                Some(_) => target.exports.keys().collect(),
                None => import.bindings.iter().map(|(_, exported)| exported).collect(),
            };
            if let Some(name) = names.into_iter().find(|name| !target.functions.contains(*name)) {
                return Err(LinkError::Cycle { module: path.clone(), from: import.from.clone(), name: name.clone() });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::assets::WEB;
    use include_dir::{DirEntry, File};

    /// A site of the given `js/` files.
    macro_rules! site {
        ($($path:literal => $text:expr),* $(,)?) => {{
            static FILES: &[DirEntry<'static>] = &[$(DirEntry::File(File::new($path, $text.as_bytes()))),*];
            static SITE: Dir<'static> = Dir::new("", FILES);
            &SITE
        }};
    }

    #[test]
    fn the_client_links_into_one_script_that_runs_its_entry() {
        let script = link(&WEB, "/js/app.js").expect("the client keeps to the forms the linker knows");
        for module in
            ["/js/app.js", "/js/ui/prejoin.js", "/js/ui/call.js", "/js/mesh.js", "/js/sfu.js", "/js/i18n/id.js"]
        {
            assert!(script.contains(&format!("__ruang.define('{module}', function")), "{module}");
        }
        assert!(
            script.contains("__ruang.load('/js/ui/call.js')"),
            "the call is still imported when the pre-join screen shows"
        );
        assert!(script.trim_end().ends_with("__ruang.run('/js/app.js');"));
        let statements: Vec<&str> =
            script.lines().filter(|l| l.starts_with("import ") || l.starts_with("export ")).collect();
        assert!(statements.is_empty(), "{statements:?}");
    }

    #[test]
    fn imports_and_exports_become_the_registrys() {
        let web = site! {
            "js/a.js" => "import { b, c as d } from './b.js';\nimport {\n  e,\n} from './sub/e.js';\nimport def from './b.js';\nimport * as ns from './b.js';\nimport './side.js';\nexport function f() { return b + d + e + def + ns.b; }\nexport async function g() { return (await import('./lazy.js')).z; }\nexport class K {}\nexport const h = 1;\nconst i = 2;\nexport { i, i as j };\n// a type: import('./nope.js')\n",
            "js/b.js" => "export const b = 1;\nexport const c = 2;\nexport default { x: 'export y' };\n",
            "js/sub/e.js" => "export { b as e } from '../b.js';\n",
            "js/side.js" => "document.title = 'x';\n",
            "js/lazy.js" => "export const z = 3;\n",
        };
        let script = link(web, "/js/a.js").expect("links");
        for expected in [
            "const { b, c: d } = __import('/js/b.js');",
            "const { e } = __import('/js/sub/e.js');",
            "const { default: def } = __import('/js/b.js');",
            "const ns = __import('/js/b.js');",
            "__import('/js/side.js');",
            "\nfunction f() { return b + d + e + def + ns.b; }",
            "\nasync function g() { return (await __ruang.load('/js/lazy.js')).z; }",
            "\nclass K {}",
            "\nconst h = 1;",
            " f: { get: () => f, enumerable: true },",
            " j: { get: () => i, enumerable: true },",
            "const __default = { x: 'export y' };",
            " default: { get: () => __default, enumerable: true },",
            "const { b: e } = __import('/js/b.js');",
            " e: { get: () => e, enumerable: true },",
            "__ruang.define('/js/lazy.js', function",
            "// a type: import('./nope.js')",
            "\n__ruang.run('/js/a.js');",
        ] {
            assert!(script.contains(expected), "{expected}\n---\n{script}");
        }
        // imports come first in a module's function, as a module's are evaluated before it
        let a = script.find("__ruang.define('/js/a.js'").unwrap_or(0);
        let first_import = script[a..].find("__import(").unwrap_or(usize::MAX);
        assert!(first_import < script[a..].find("function f()").unwrap_or(0));
    }

    #[test]
    fn what_it_does_not_know_it_refuses() {
        for (text, line) in [
            ("export let counter = 0;\n", 1),
            ("const a = 1;\nexport * from './b.js';\n", 2),
            ("import { a } from 'https://cdn.example/x.js';\n", 1),
            ("import { a-b } from './b.js';\n", 1),
            ("import { a } from './b.js'\nconst x = 1\n", 1),
        ] {
            let web: &'static Dir<'static> = Box::leak(Box::new(Dir::new(
                "",
                Box::leak(Box::new([
                    DirEntry::File(File::new("js/a.js", Box::leak(text.to_owned().into_boxed_str()).as_bytes())),
                    DirEntry::File(File::new("js/b.js", b"export const a = 1;\n")),
                ])),
            )));
            match link(web, "/js/a.js") {
                Err(LinkError::Unknown { line: at, .. }) => assert_eq!(at, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let web = site! { "js/a.js" => "const __ruang = 1;\n" };
        assert!(matches!(link(web, "/js/a.js"), Err(LinkError::Reserved { .. })));
        let web = site! { "js/a.js" => "import { x } from './gone.js';\n" };
        assert_eq!(link(web, "/js/a.js"), Err(LinkError::Missing("/js/gone.js".into())));
    }

    #[test]
    fn only_function_declarations_are_imported_across_a_cycle() {
        let web = site! {
            "js/a.js" => "import { b } from './b.js';\nexport function a() { return b(); }\n",
            "js/b.js" => "import { a } from './a.js';\nexport function b() { return 1; }\nexport function c() { return a(); }\n",
        };
        assert!(link(web, "/js/a.js").is_ok());
        let web = site! {
            "js/a.js" => "import { b } from './b.js';\nexport const a = 1;\n",
            "js/b.js" => "import { a } from './a.js';\nexport function b() { return a; }\n",
        };
        assert_eq!(
            link(web, "/js/a.js"),
            Err(LinkError::Cycle { module: "/js/b.js".into(), from: "/js/a.js".into(), name: "a".into() })
        );
    }
}

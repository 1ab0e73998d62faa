//! The crates' module layering, checked: no module imports from a module
//! that imports it back (`crate::a` in `b` and `crate::b` in `a`), outside
//! tests. Run by `cargo test` (xtask's own tests) against the real tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of the crate whose sources are in `src` (`a`, `a::b`), with
/// the top-level modules it names through `crate::` or `super::`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("below src");
            let module = relative
                .with_extension("")
                .to_string_lossy()
                .replace("/mod", "")
                .replace('/', "::");
            let top = module.split("::").next().unwrap_or_default().to_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // What tests import is not the module's layering.
            let text = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default();
            // `super::` in a top-level module is the crate root; deeper
            // down it stays inside the top-level module.
            let nested = module.contains("::");
            let mut names = BTreeSet::new();
            for (marker, inside) in [("crate::", false), ("super::", nested)] {
                for piece in text.split(marker).skip(1) {
                    let name: String = piece
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if name.is_empty() {
                        continue;
                    }
                    if !inside && name != top {
                        names.insert(name);
                    }
                }
            }
            out.entry(top).or_insert_with(BTreeSet::new).extend(names);
        }
    }
    out
}

/// The pairs of top-level modules that import each other.
pub fn mutual_imports(src: &Path) -> Vec<(String, String)> {
    let graph = imports(src);
    let mut pairs = Vec::new();
    for (a, names) in &graph {
        for b in names {
            if a < b && graph.get(b).is_some_and(|back| back.contains(a)) {
                pairs.push((a.clone(), b.clone()));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_module_imports_one_that_imports_it_back() {
        let root = crate::root();
        for crate_src in ["core/src", "src", "platform/src"] {
            let pairs = mutual_imports(&root.join(crate_src));
            assert!(pairs.is_empty(), "{crate_src}: {pairs:?}");
        }
    }

    #[test]
    fn a_circle_is_found() {
        let dir = std::env::temp_dir().join(format!("vitrine-layers-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("c")).unwrap();
        std::fs::write(dir.join("a.rs"), "use crate::b::B;\n").unwrap();
        std::fs::write(dir.join("b.rs"), "use crate::a::A;\n").unwrap();
        // `super::` from a folder module's own file is the crate root.
        std::fs::write(dir.join("c/mod.rs"), "use super::e;\n").unwrap();
        std::fs::write(dir.join("c/inner.rs"), "use super::Thing;\n").unwrap();
        std::fs::write(dir.join("e.rs"), "use crate::c::Thing;\n").unwrap();
        // What only tests import does not count.
        std::fs::write(
            dir.join("d.rs"),
            "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::d;\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("f.rs"),
            "#[cfg(test)]\nmod tests {\n    use crate::d;\n}\n",
        )
        .unwrap();
        assert_eq!(
            mutual_imports(&dir),
            [
                ("a".to_owned(), "b".to_owned()),
                ("c".to_owned(), "e".to_owned())
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! The library's top-level modules depend on each other without a cycle, so each can be read (and
//! tested) from the leaves up: `text`, `location`, `diagnostic`, `error`, … then the stages.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use support::repo_root;

/// Each `.rs` file under `dir` (or `dir` itself when it is a file).
fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The top-level modules a source text names through `crate::`: code only, not comments (doc
/// links are not dependencies) and not its unit tests.
fn named_modules(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    let mut names = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        // `crate::name` and `use crate::{a, b::c}`.
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let items: Vec<&str> = match rest.strip_prefix('{') {
                Some(list) => list.split('}').next().unwrap().split(',').collect(),
                None => vec![rest],
            };
            for item in items {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// Each top-level module of `src/` (lib, main and the internals façade aside) and those it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if ["lib", "main", "internals"].contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        let mut deps = BTreeSet::new();
        for file in files {
            deps.extend(named_modules(&std::fs::read_to_string(file).unwrap()));
        }
        deps.remove(&name);
        graph.insert(name, deps);
    }
    graph
}

/// A cycle through `from`, if there is one: the path back to it.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_string(), vec![from.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in graph.get(&at).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(from.to_string());
                return Some(cycle);
            }
            if graph.contains_key(next) && seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn the_reader_sees_the_dependencies_it_should() {
    let named = named_modules(
        "//! [`crate::cache`] in a doc\nuse crate::{config::Config, location::Location};\nfn f() { crate::text::thousands(1); }\n#[cfg(test)]\nmod tests { use crate::synth; }\n",
    );
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["config", "location", "text"]
    );
    let g = graph();
    assert!(g["pipeline"].contains("catalog"), "{:?}", g["pipeline"]);
    assert!(g.len() > 20, "{} modules", g.len());
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let g = graph();
    let cycles: Vec<String> = g
        .keys()
        .filter_map(|m| cycle_through(&g, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

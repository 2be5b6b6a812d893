//! Social-graph datasets: DeathStarBench's `.edges` + `.nodes` pair (0-based ids, the node count in
//! the sibling `.nodes` file, possibly without a trailing newline) and the 2019 `.mtx` form (a size
//! line `n n m` after optional `%` comment lines, then 1-based edges). Both parse to one [`Graph`]
//! with 0-based ids.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// An undirected social graph with 0-based node ids `0..nodes`; each edge is listed once, as in
/// the file. `init-graph` turns every edge into two follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub nodes: u64,
    pub edges: Vec<(u64, u64)>,
}

/// Loads a `.mtx` file as MatrixMarket-like, anything else as an edge list whose node count comes
/// from the sibling `<stem>.nodes` file when there is one, else from the largest id + 1.
pub fn load(path: &Path) -> Result<Graph> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let graph = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mtx"))
    {
        parse_mtx(&text)
    } else {
        let nodes_path = path.with_extension("nodes");
        let nodes = if nodes_path.is_file() {
            let nodes_text = std::fs::read_to_string(&nodes_path)
                .with_context(|| format!("reading {}", nodes_path.display()))?;
            Some(parse_nodes(&nodes_text).with_context(|| nodes_path.display().to_string())?)
        } else {
            None
        };
        parse_edges(&text, nodes)
    };
    graph.with_context(|| format!("parsing {}", path.display()))
}

/// The node count of a `.nodes` file: one integer, surrounding whitespace (or none) allowed.
pub fn parse_nodes(text: &str) -> Result<u64> {
    let t = text.trim();
    t.parse::<u64>()
        .with_context(|| format!("node count must be one non-negative integer, found {t:?}"))
}

/// Lines that carry no edge: blank ones and comments (`#` as in SNAP files, `%` as in
/// MatrixMarket).
fn is_comment(line: &str) -> bool {
    line.is_empty() || line.starts_with('#') || line.starts_with('%')
}

fn parse_id(token: &str, lineno: usize) -> Result<u64> {
    token
        .parse::<u64>()
        .with_context(|| format!("line {lineno}: {token:?} is not a node id"))
}

/// An edge list: one `a b` pair of 0-based ids per line. With `nodes`, every id must be below
/// it; without, the count is the largest id + 1.
pub fn parse_edges(text: &str, nodes: Option<u64>) -> Result<Graph> {
    let mut edges = Vec::new();
    let mut max_id: Option<u64> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if is_comment(line) {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() != 2 {
            bail!("line {lineno}: expected two node ids \"a b\", found {line:?}");
        }
        let (a, b) = (parse_id(tokens[0], lineno)?, parse_id(tokens[1], lineno)?);
        check_edge(a, b, nodes, lineno, 0)?;
        max_id = Some(max_id.map_or(a.max(b), |m| m.max(a).max(b)));
        edges.push((a, b));
    }
    let nodes = nodes.unwrap_or(max_id.map_or(0, |m| m + 1));
    Ok(Graph { nodes, edges })
}

/// `.mtx`: `%` comment lines (a `%%MatrixMarket` banner included), a size line `rows cols
/// entries` with rows = cols, then exactly `entries` lines of 1-based `a b` (an optional third
/// column, a weight, is ignored). Ids come back 0-based.
pub fn parse_mtx(text: &str) -> Result<Graph> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !is_comment(l));
    let Some((size_lineno, size_line)) = lines.next() else {
        bail!("no size line \"n n m\"");
    };
    let size: Vec<u64> = size_line
        .split_whitespace()
        .map(|t| parse_id(t, size_lineno))
        .collect::<Result<_>>()?;
    let [rows, cols, entries] = size[..] else {
        bail!("line {size_lineno}: size line must be \"n n m\", found {size_line:?}");
    };
    if rows != cols {
        bail!("line {size_lineno}: a social graph is square, found {rows} rows and {cols} columns");
    }
    let mut edges = Vec::with_capacity(entries.min(1 << 24) as usize);
    for (lineno, line) in lines {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() != 2 && tokens.len() != 3 {
            bail!("line {lineno}: expected \"a b\" (1-based), found {line:?}");
        }
        let (a, b) = (parse_id(tokens[0], lineno)?, parse_id(tokens[1], lineno)?);
        if a == 0 || b == 0 {
            bail!("line {lineno}: .mtx ids are 1-based, found 0 in {line:?}");
        }
        check_edge(a - 1, b - 1, Some(rows), lineno, 1)?;
        edges.push((a - 1, b - 1));
    }
    if edges.len() as u64 != entries {
        bail!(
            "size line says {entries} edges, the file has {}",
            edges.len()
        );
    }
    Ok(Graph { nodes: rows, edges })
}

/// Refuses self-loops (a user cannot follow themself) and ids outside `0..nodes`; `base` is
/// added back to ids in messages so they read as in the file.
fn check_edge(a: u64, b: u64, nodes: Option<u64>, lineno: usize, base: u64) -> Result<()> {
    if a == b {
        bail!("line {lineno}: self-loop on node {}", a + base);
    }
    if let Some(n) = nodes {
        let bad = a.max(b);
        if bad >= n {
            bail!(
                "line {lineno}: node {} is outside the {n} nodes of the graph ({}..={})",
                bad + base,
                base,
                n - 1 + base
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_without_trailing_newline() {
        assert_eq!(parse_nodes("962").unwrap(), 962);
        assert_eq!(parse_nodes("962\n").unwrap(), 962);
        assert!(parse_nodes("").is_err());
        assert!(parse_nodes("96 2").is_err());
    }

    #[test]
    fn edges_and_mtx_give_the_same_graph() {
        let edges = "2 0\n2 1\n3 2\n";
        let mtx =
            "%%MatrixMarket matrix coordinate pattern symmetric\n% a comment\n4 4 3\n3 1\n3 2\n4 3";
        let from_edges = parse_edges(edges, Some(parse_nodes("4").unwrap())).unwrap();
        let from_mtx = parse_mtx(mtx).unwrap();
        assert_eq!(from_edges, from_mtx);
        assert_eq!(from_edges.nodes, 4);
        assert_eq!(from_edges.edges, vec![(2, 0), (2, 1), (3, 2)]);
    }

    #[test]
    fn edge_list_node_count_defaults_to_max_id_plus_one() {
        let g = parse_edges("5 1\n\n# comment\n3 0", None).unwrap();
        assert_eq!(g.nodes, 6);
        assert_eq!(g.edges.len(), 2);
    }

    #[test]
    fn bad_inputs_are_refused_with_line_numbers() {
        let e = parse_edges("1 0\n2 2\n", None).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("self-loop"), "{e}");
        let e = parse_edges("1 0\n9 0\n", Some(5)).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("outside"), "{e}");
        let e = parse_edges("1 x\n", None).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = parse_edges("1 0 7\n", None).unwrap_err().to_string();
        assert!(e.contains("two node ids"), "{e}");
        let e = parse_mtx("3 3 1\n0 1\n").unwrap_err().to_string();
        assert!(e.contains("1-based"), "{e}");
        let e = parse_mtx("3 3 2\n2 1\n").unwrap_err().to_string();
        assert!(e.contains("says 2 edges"), "{e}");
        let e = parse_mtx("3 3 1\n4 1\n").unwrap_err().to_string();
        assert!(e.contains("outside"), "{e}");
        assert!(parse_mtx("3 4 0\n").is_err());
        assert!(parse_mtx("% only comments\n").is_err());
    }

    fn shipped(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../datasets/socfb-Reed98")
            .join(name)
    }

    #[test]
    fn shipped_reed98_edges_and_mtx_agree() {
        let edges = load(&shipped("socfb-Reed98.edges")).unwrap();
        let mtx = load(&shipped("socfb-Reed98.mtx")).unwrap();
        assert_eq!(edges.nodes, 962);
        assert_eq!(edges.edges.len(), 18_812);
        assert_eq!(edges, mtx);
        assert!(edges.edges.iter().all(|&(a, b)| a > b));
    }
}

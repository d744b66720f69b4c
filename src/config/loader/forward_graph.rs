//! Whole-file checks of `endpoints.xml` along `<forward-to-endpoint>`s: no forward cycles, and request-log capture
//! keys unique along every forward chain.

use std::path::Path;

use super::endpoint::Found;
use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::action::Action;
use crate::config::model::application::Endpoint;
use crate::config::model::task::TaskKind;

/// Request-log capture keys must be unique along every forward chain; different branches may share a key.
pub fn check_capture_keys(
    file: &Path,
    found: &[Found],
    endpoints: &[Endpoint],
    diags: &mut Diagnostics,
) {
    fn keys(e: &Endpoint) -> Vec<&str> {
        e.tasks
            .iter()
            .filter_map(|t| match &t.kind {
                TaskKind::Capture(c) => Some(c.key.as_str()),
                _ => None,
            })
            .collect()
    }
    let mut reported: std::collections::HashSet<(String, Vec<usize>)> = Default::default();
    // Depth-first along forwards (acyclic: checked before); `path` holds the endpoints of the chain so far.
    fn walk<'e>(
        n: usize,
        endpoints: &'e [Endpoint],
        path: &mut Vec<usize>,
        seen: &mut Vec<(&'e str, usize)>,
        out: &mut Vec<(String, Vec<usize>)>,
    ) {
        path.push(n);
        let mut added = 0;
        for k in keys(&endpoints[n]) {
            if let Some(&(_, first)) = seen.iter().find(|(s, _)| *s == k) {
                let start = path.iter().position(|&p| p == first).unwrap_or(0);
                let mut chain: Vec<usize> = path[start..].to_vec();
                chain.dedup();
                out.push((k.to_string(), chain));
            } else {
                seen.push((k, n));
                added += 1;
            }
        }
        for s in &endpoints[n].successes {
            if let Action::Forward(f) = &s.action {
                walk(f.target_index, endpoints, path, seen, out);
            }
        }
        seen.truncate(seen.len() - added);
        path.pop();
    }
    for n in 0..endpoints.len() {
        let mut out = Vec::new();
        walk(n, endpoints, &mut Vec::new(), &mut Vec::new(), &mut out);
        for (key, chain) in out {
            if !reported.insert((key.clone(), chain.clone())) {
                continue;
            }
            let names: Vec<String> = chain
                .iter()
                .map(|&e| format!("'{}'", endpoints[e].name))
                .collect();
            diags.error(
                file,
                xml::pos(found[chain[0]].node),
                format!(
                    "Request Log Expression Capture Key '{key}' appears multiple times across endpoints {}",
                    names.join(" -> ")
                ),
            );
        }
    }
}

/// Reports forward cycles; true if there are none.
pub fn check_forward_cycles(
    file: &Path,
    found: &[Found],
    endpoints: &[Endpoint],
    diags: &mut Diagnostics,
) -> bool {
    // Edges from every <success> forward.
    let edges: Vec<Vec<usize>> = endpoints
        .iter()
        .map(|e| {
            e.successes
                .iter()
                .filter_map(|s| match &s.action {
                    Action::Forward(f) => Some(f.target_index),
                    _ => None,
                })
                .collect()
        })
        .collect();
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; endpoints.len()];
    let mut reported: Vec<Vec<usize>> = Vec::new();
    fn dfs(
        n: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        cycles: &mut Vec<Vec<usize>>,
    ) {
        state[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if state[m] == 1 {
                let start = stack.iter().position(|&x| x == m).unwrap();
                cycles.push(stack[start..].to_vec());
            } else if state[m] == 0 {
                dfs(m, edges, state, stack, cycles);
            }
        }
        stack.pop();
        state[n] = 2;
    }
    let mut cycles = Vec::new();
    for n in 0..endpoints.len() {
        if state[n] == 0 {
            dfs(n, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    for cycle in cycles {
        // Report each cycle once, starting at its first endpoint in document order.
        let min_pos = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, &e)| e)
            .map(|(i, _)| i)
            .unwrap();
        let mut rotated = cycle[min_pos..].to_vec();
        rotated.extend_from_slice(&cycle[..min_pos]);
        if reported.contains(&rotated) {
            continue;
        }
        let mut names: Vec<String> = rotated
            .iter()
            .map(|&e| format!("'{}'", endpoints[e].name))
            .collect();
        names.push(format!("'{}'", endpoints[rotated[0]].name));
        let first = &found[rotated[0]];
        let pos = xml::elements(first.node)
            .filter(|c| xml::name(*c) == "success")
            .flat_map(xml::elements)
            .find(|c| xml::name(*c) == "forward-to-endpoint")
            .map(xml::pos)
            .unwrap_or_else(|| xml::pos(first.node));
        diags.error(
            file,
            pos,
            format!(
                "Circular references in <forward-to-endpoint> chain: {}",
                names.join(" -> ")
            ),
        );
        reported.push(rotated);
    }
    reported.is_empty()
}

//! The dependency graph of an endpoint's tasks and `<success>`es: `<after task-id>` and
//! `<input-intermediate-value>` resolved into task indices, and cycles reported.

use std::path::Path;

use roxmltree::Node;

use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::task::Task;

pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix} <task>")
}

/// What a participant (task or `<success>`) declared before the graph is resolved.
pub struct Declared {
    pub after: Vec<(String, Pos)>,
    pub inputs: Vec<(String, Pos)>,
}

/// `<after task-id>` and `<input-intermediate-value name>` children of a participant.
pub fn declared(file: &Path, node: Node, diags: &mut Diagnostics) -> Declared {
    let mut d = Declared {
        after: Vec::new(),
        inputs: Vec::new(),
    };
    for c in xml::elements(node) {
        match xml::name(c) {
            "after" => match c.attribute("task-id") {
                Some(t) => d.after.push((t.to_string(), xml::pos(c))),
                None => diags.error(
                    file,
                    xml::pos(c),
                    "<after> is missing the attribute 'task-id'",
                ),
            },
            "input-intermediate-value" => match c.attribute("name") {
                Some(n) => d.inputs.push((n.to_string(), xml::pos(c))),
                None => diags.error(
                    file,
                    xml::pos(c),
                    "<input-intermediate-value> is missing the attribute 'name'",
                ),
            },
            _ => {}
        }
    }
    d
}

/// Resolves `<after>` and inputs of a participant into task indices; reports unknown/duplicate ids and producers.
pub fn resolve_dependencies(
    file: &Path,
    participant: &str,
    decl: &Declared,
    tasks: &[Task],
    diags: &mut Diagnostics,
) -> Vec<usize> {
    let mut deps = Vec::new();
    for (id, pos) in &decl.after {
        let matching: Vec<usize> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.id.as_deref() == Some(id))
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [] => diags.error(
                file,
                *pos,
                format!("{participant}: <after task-id='{id}'/> but no task found with this ID"),
            ),
            [one] => deps.push(*one),
            _ => diags.error(
                file,
                *pos,
                format!("{participant}: Multiple tasks with same ID '{id}'"),
            ),
        }
    }
    for (name, pos) in &decl.inputs {
        let producers: Vec<usize> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.outputs().contains(&name.as_str()))
            .map(|(i, _)| i)
            .collect();
        match producers.as_slice() {
            [] => diags.error(
                file,
                *pos,
                format!("{participant}: No <task>s produce output intermediate value '{name}'"),
            ),
            [one] => deps.push(*one),
            _ => diags.error(
                file,
                *pos,
                format!(
                    "{participant}: Multiple <task>s produce output intermediate value '{name}'"
                ),
            ),
        }
    }
    deps.sort_unstable();
    deps.dedup();
    deps
}

/// Reports every cycle among the tasks, naming its members.
pub fn check_cycles(file: &Path, tasks: &[Task], diags: &mut Diagnostics) {
    let n = tasks.len();
    let mut state = vec![0u8; n];
    fn visit(
        i: usize,
        tasks: &[Task],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        state[i] = 1;
        stack.push(i);
        for &d in &tasks[i].depends_on {
            if state[d] == 1 {
                let start = stack.iter().position(|&x| x == d).unwrap();
                out.push(stack[start..].to_vec());
            } else if state[d] == 0 {
                visit(d, tasks, state, stack, out);
            }
        }
        stack.pop();
        state[i] = 2;
    }
    let mut cycles = Vec::new();
    for i in 0..n {
        if state[i] == 0 {
            visit(i, tasks, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    for c in cycles {
        let parts: Vec<String> = c
            .iter()
            .enumerate()
            .map(|(k, &t)| {
                let next = c[(k + 1) % c.len()];
                let how = match &tasks[next].id {
                    Some(id) => format!("<after task-id='{id}'/>"),
                    None => format!("a dependency on {}", tasks[next].label),
                };
                format!("{} has {how}", tasks[t].label)
            })
            .collect();
        diags.error(
            file,
            tasks[c[0]].pos,
            format!("Circular dependency found: {}", parts.join(", ")),
        );
    }
}

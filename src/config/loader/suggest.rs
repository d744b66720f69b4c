//! What a message about an unexpected element or attribute adds: the list of what is allowed there, written from
//! the same constant the parser accepts (so the two cannot drift), and "did you mean" for a near miss.

/// Names longer than this are not compared (a distance costs the product of the two lengths).
const MAX_COMPARED_CHARS: usize = 64;

/// The optimal-string-alignment distance between `a` and `b`: insertions, deletions, substitutions and swaps of
/// two neighbouring characters each count one.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: the distance between a[..i] and b[..j]; three rows are enough.
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The allowed name closest to `name` when it is close: at most two edits away, and fewer edits than half of
/// `name`'s length. The first of equally close names wins.
pub fn closest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let len = name.chars().count();
    if len > MAX_COMPARED_CHARS {
        return None;
    }
    allowed
        .iter()
        .filter(|a| a.chars().count() <= MAX_COMPARED_CHARS && **a != name)
        .map(|a| (distance(name, a), *a))
        .filter(|(d, _)| *d <= 2 && d * 2 < len)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// `"; did you mean <x>?"` when an element named `name` is a near miss of one in `allowed`, else `""`.
pub fn did_you_mean_element(name: &str, allowed: &[&str]) -> String {
    closest(name, allowed)
        .map(|a| format!("; did you mean <{a}>?"))
        .unwrap_or_default()
}

/// `"; did you mean 'x'?"` when an attribute named `name` is a near miss of one in `allowed`, else `""`.
pub fn did_you_mean_attribute(name: &str, allowed: &[&str]) -> String {
    closest(name, allowed)
        .map(|a| format!("; did you mean '{a}'?"))
        .unwrap_or_default()
}

/// `<a>, <b> or <c>` (`<a>` alone, `<a> or <b>`).
pub fn elements_or(names: &[&str]) -> String {
    let tagged: Vec<String> = names.iter().map(|n| format!("<{n}>")).collect();
    match tagged.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// `<a>, <b>, <c>`.
pub fn elements_comma(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("<{n}>"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("sucess", "success"), 1); // insertion
        assert_eq!(distance("successs", "success"), 1); // deletion
        assert_eq!(distance("sukcess", "success"), 1); // substitution
        assert_eq!(distance("scucess", "success"), 1); // a swap of neighbours
        assert_eq!(distance("scuess", "success"), 2); // a swap and an insertion
        assert_eq!(distance("secret-kye", "secret-key"), 1); // a swap of neighbours
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ca", "abc"), 3); // optimal string alignment, not unrestricted Damerau
        assert_eq!(distance("tâche", "tache"), 1); // characters, not bytes
        assert_eq!(distance("abcd", "badc"), 2);
    }

    #[test]
    fn only_near_misses_are_suggested() {
        let allowed = ["parameter", "success", "error", "task"];
        assert_eq!(closest("sucess", &allowed), Some("success"));
        assert_eq!(closest("paramter", &allowed), Some("parameter"));
        assert_eq!(closest("eror", &allowed), Some("error"));
        // Two edits in a four-letter name is not a near miss; nor is anything three edits away.
        assert_eq!(closest("tsak", &allowed), Some("task"));
        assert_eq!(closest("tazz", &allowed), None);
        assert_eq!(closest("tk", &allowed), None);
        assert_eq!(closest("ask", &allowed), Some("task"));
        assert_eq!(closest("respond", &allowed), None);
        assert_eq!(
            closest("success", &allowed),
            None,
            "an allowed name is no miss"
        );
        assert_eq!(closest(&"x".repeat(100), &allowed), None);
        // The first of equally close names wins.
        assert_eq!(closest("ab", &["ax", "ay"]), None);
        assert_eq!(closest("abcd", &["abcx", "abcy"]), Some("abcx"));
        assert_eq!(
            did_you_mean_element("eror", &allowed),
            "; did you mean <error>?"
        );
        assert_eq!(
            did_you_mean_attribute("nmae", &["name"]),
            "; did you mean 'name'?"
        );
        assert_eq!(did_you_mean_attribute("zzz", &["name"]), "");
    }

    #[test]
    fn lists_are_written_in_full() {
        assert_eq!(elements_or(&[]), "");
        assert_eq!(elements_or(&["a"]), "<a>");
        assert_eq!(elements_or(&["a", "b"]), "<a> or <b>");
        assert_eq!(elements_or(&["a", "b", "c"]), "<a>, <b> or <c>");
        assert_eq!(elements_comma(&["a", "b"]), "<a>, <b>");
    }
}

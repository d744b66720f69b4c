//! `application/x-www-form-urlencoded` pairs (a query string or a form body), decoded exactly as the
//! `form_urlencoded` crate decodes them, but without its per-byte work for the common case: a pair with no `+`
//! and no `%` that is valid UTF-8 is borrowed from the input as it stands. Any other pair is handed to
//! `form_urlencoded` whole.

use std::borrow::Cow;

/// The name/value pairs of `input`, in order: split at `&`, empty pieces skipped, each split at its first `=` (a
/// piece without one is a name with an empty value), `+` read as a space, `%XX` decoded, invalid UTF-8 replaced
/// by U+FFFD.
pub fn pairs(input: &[u8]) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    input
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(pair)
}

/// How many pairs `input` may hold at most (its `&`-separated pieces): room to reserve before decoding.
pub fn upper_bound(input: &[u8]) -> usize {
    memchr::memchr_iter(b'&', input).count() + 1
}

fn pair(piece: &[u8]) -> (Cow<'_, str>, Cow<'_, str>) {
    if memchr::memchr2(b'+', b'%', piece).is_none() {
        if let Ok(s) = std::str::from_utf8(piece) {
            let (name, value) = s.split_once('=').unwrap_or((s, ""));
            return (Cow::Borrowed(name), Cow::Borrowed(value));
        }
    }
    // A piece holds no `&`, so the crate yields exactly one pair for it.
    form_urlencoded::parse(piece)
        .next()
        .unwrap_or((Cow::Borrowed(""), Cow::Borrowed("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crate's own reading, for comparison.
    fn reference(input: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(input).into_owned().collect()
    }

    fn ours(input: &[u8]) -> Vec<(String, String)> {
        pairs(input)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn reads_every_input_as_the_form_urlencoded_crate_does() {
        let cases: &[&[u8]] = &[
            b"",
            b"&",
            b"&&a=1&&",
            b"a=1&b=2&c=3&hash=0123abcd",
            b"a",
            b"a=",
            b"=b",
            b"=",
            b"a==b",
            b"a=1=2",
            b"name=J%C3%B6rg+M",
            b"x+y=1+2",
            b"p=%zz&q=%4",
            b"p=%",
            b"bad=\xff\xfe&ok=1",
            b"mixed=caf\xc3\xa9&x=%C3",
            b"k=%26%3D%2B",
            b"debug=TRUE&Verbose=x",
            b"a=1;b=2",
        ];
        for c in cases {
            assert_eq!(ours(c), reference(c), "{:?}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn plain_pairs_are_borrowed() {
        let input = b"a=1&bb=22";
        for (n, v) in pairs(input) {
            assert!(matches!(n, Cow::Borrowed(_)) && matches!(v, Cow::Borrowed(_)));
        }
        assert_eq!(upper_bound(input), 2);
        assert_eq!(upper_bound(b""), 1);
    }
}

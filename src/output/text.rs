//! Small pieces of English shared by every message.

/// `1 run`, `2 runs`: a count and its noun, plural unless the count is one.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", suffix(n))
}

/// The plural ending of a noun counted `n` times: `""` for one, `"s"` otherwise.
pub fn suffix(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(plural(0, "run"), "0 runs");
        assert_eq!(plural(1, "run"), "1 run");
        assert_eq!(plural(2, "problem"), "2 problems");
        assert_eq!(suffix(1), "");
        assert_eq!(suffix(3), "s");
    }
}

//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `name` by edit distance, if it is close enough to be a plausible typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let limit = (name.len() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(nearest("opn", ["open", "openat", "close"]), Some("open"));
        assert_eq!(nearest("zzzzzz", ["open", "openat"]), None);
    }
}

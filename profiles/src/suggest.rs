//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `name` by edit distance, if it is close enough to be a plausible typo.
///
/// The distance is at least the difference in length, so a candidate whose length is further
/// from the name's than the limit is skipped without computing it: that changes no answer, and
/// bounds the work to candidates at most half again as long as the name (a 10 MB name cost a
/// full edit-distance table against every syscall name, over a minute; issue 12).
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nearest_counted(name, candidates).0
}

/// [`nearest`], and how many pairs of characters the edit distances compared (the work).
fn nearest_counted<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> (Option<&'a str>, usize) {
    let limit = (name.len() / 3).max(2);
    let chars = name.chars().count();
    let mut candidates = candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(chars) <= limit)
        .peekable();
    if candidates.peek().is_none() {
        return (None, 0);
    }
    let lower = name.to_ascii_lowercase();
    let mut work = 0;
    let best = candidates
        .map(|c| {
            work += chars * c.chars().count();
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c);
    (best, work)
}

#[cfg(test)]
mod tests {
    use super::{nearest, nearest_counted};

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(nearest("opn", ["open", "openat", "close"]), Some("open"));
        assert_eq!(nearest("zzzzzz", ["open", "openat"]), None);
    }

    /// Issue 12: a name far longer than every candidate is no typo of one, and is not compared.
    #[test]
    fn a_name_far_longer_than_every_candidate_gets_no_suggestion() {
        // Just within the limit: 9 characters may be 3 edits from 6.
        assert_eq!(nearest("opennnnat", ["openat"]), Some("openat"));
        assert_eq!(nearest("openatxxxx", ["openat"]), None);
        let long = "o".repeat(100_000);
        assert_eq!(
            nearest_counted(&long, ["open", "openat", "close"]),
            (None, 0),
            "no edit distance is computed for a name 100,000 characters long"
        );
    }
}

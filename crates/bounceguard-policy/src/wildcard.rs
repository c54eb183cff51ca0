//! IAM `*` / `?` wildcard patterns, compiled once per policy value.
//!
//! Written by hand: IAM wildcards are not regexes (`.` and `+` are literal, there is no escape),
//! and the match is tiny, so neither a regex crate nor a glob crate (which give `[`, `{` or `\`
//! special meanings) fits. A pattern is split at `*` into segments; a segment is matched as a
//! literal (fast `str` search) or, when it contains `?`, character by character. Greedy leftmost
//! placement of the middle segments is exact for this pattern class because every segment has a
//! fixed length in characters, so matching is linear-ish and never backtracks exponentially.
//!
//! `*` matches any run of characters, including none and including `@`, `.` and `:`; `?` matches
//! exactly one character (a Unicode scalar, not a byte).

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wildcard {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// No wildcard at all: plain equality.
    Exact(Box<str>),
    /// Only `*`s: matches everything.
    Any,
    /// Segments separated by `*`.
    Glob {
        anchored_start: bool,
        anchored_end: bool,
        segs: Box<[Seg]>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    /// A literal run without `?`.
    Lit(Box<str>),
    /// A run with at least one `?` (`None`).
    Mixed(Box<[Option<char>]>),
}

impl Wildcard {
    /// Compiles `pattern`; every string is a valid pattern.
    pub(crate) fn new(pattern: &str) -> Wildcard {
        if !pattern.contains(['*', '?']) {
            return Wildcard {
                kind: Kind::Exact(pattern.into()),
            };
        }
        let segs: Vec<Seg> = pattern
            .split('*')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.contains('?') {
                    Seg::Mixed(s.chars().map(|c| (c != '?').then_some(c)).collect())
                } else {
                    Seg::Lit(s.into())
                }
            })
            .collect();
        if segs.is_empty() {
            return Wildcard { kind: Kind::Any };
        }
        Wildcard {
            kind: Kind::Glob {
                anchored_start: !pattern.starts_with('*'),
                anchored_end: !pattern.ends_with('*'),
                segs: segs.into(),
            },
        }
    }

    /// Whether the pattern contains no wildcard (it is compared by equality).
    pub(crate) fn is_literal(&self) -> bool {
        matches!(self.kind, Kind::Exact(_))
    }

    /// Case-sensitive match of the whole `text`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.matches_with(text, false)
    }

    /// Match of the whole `text`, ignoring ASCII case (IAM action names).
    pub(crate) fn matches_ascii_ci(&self, text: &str) -> bool {
        self.matches_with(text, true)
    }

    fn matches_with(&self, text: &str, ci: bool) -> bool {
        match &self.kind {
            Kind::Exact(s) => bytes_eq(s.as_bytes(), text.as_bytes(), ci),
            Kind::Any => true,
            Kind::Glob {
                anchored_start,
                anchored_end,
                segs,
            } => {
                let last = segs.len() - 1;
                let mut pos = 0usize;
                for (i, seg) in segs.iter().enumerate() {
                    if i == last && *anchored_end {
                        if i == 0 && *anchored_start {
                            return seg.match_at(text, 0, ci) == Some(text.len());
                        }
                        return seg.match_suffix(text, pos, ci);
                    }
                    let end = if i == 0 && *anchored_start {
                        seg.match_at(text, 0, ci)
                    } else {
                        seg.find(text, pos, ci)
                    };
                    match end {
                        Some(end) => pos = end,
                        None => return false,
                    }
                }
                true
            }
        }
    }
}

fn bytes_eq(a: &[u8], b: &[u8], ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn char_eq(p: char, t: char, ci: bool) -> bool {
    if ci {
        p.eq_ignore_ascii_case(&t)
    } else {
        p == t
    }
}

impl Seg {
    /// If the segment matches `text` starting at byte `start`, the byte offset just past it.
    fn match_at(&self, text: &str, start: usize, ci: bool) -> Option<usize> {
        let rest = text.get(start..)?;
        match self {
            Seg::Lit(lit) => {
                let lit = lit.as_bytes();
                let head = rest.as_bytes().get(..lit.len())?;
                bytes_eq(lit, head, ci).then_some(start + lit.len())
            }
            Seg::Mixed(pat) => {
                let mut chars = rest.char_indices();
                for p in pat.iter() {
                    let (_, t) = chars.next()?;
                    if let Some(p) = p
                        && !char_eq(*p, t, ci)
                    {
                        return None;
                    }
                }
                Some(start + chars.next().map_or(rest.len(), |(i, _)| i))
            }
        }
    }

    /// The end of the leftmost match starting at or after byte `from`.
    fn find(&self, text: &str, from: usize, ci: bool) -> Option<usize> {
        let rest = text.get(from..)?;
        match self {
            Seg::Lit(lit) if !ci => rest.find(&**lit).map(|i| from + i + lit.len()),
            _ => rest
                .char_indices()
                .map(|(i, _)| from + i)
                .find_map(|start| self.match_at(text, start, ci)),
        }
    }

    /// Whether the segment matches the end of `text`, starting at or after byte `from`.
    fn match_suffix(&self, text: &str, from: usize, ci: bool) -> bool {
        match self {
            Seg::Lit(lit) => {
                let Some(start) = text.len().checked_sub(lit.len()) else {
                    return false;
                };
                start >= from && bytes_eq(lit.as_bytes(), &text.as_bytes()[start..], ci)
            }
            Seg::Mixed(pat) => {
                // The segment is `pat.len()` characters long: find where that many end here.
                let start = if pat.is_empty() {
                    Some(text.len())
                } else {
                    text.char_indices().rev().nth(pat.len() - 1).map(|(i, _)| i)
                };
                match start {
                    Some(start) if start >= from => {
                        self.match_at(text, start, ci) == Some(text.len())
                    }
                    _ => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Wildcard::new(p).matches(t)
    }

    #[test]
    fn star_crosses_at_and_dot() {
        assert!(m("*@example.com", "a@example.com"));
        assert!(m("*@example.com", "@example.com"));
        assert!(m("*example.com", "a.b@sub.example.com"));
        assert!(m("a*z", "a@b.c:z"));
        assert!(!m("*@example.com", "a@example.com.evil"));
        assert!(!m("*@example.com", "a@EXAMPLE.com"));
    }

    #[test]
    fn question_mark_is_exactly_one_char() {
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(!m("a?c", "abbc"));
        assert!(m("a?c", "aéc"), "one char, two bytes");
        assert!(m("?", "é"));
        assert!(!m("??", "é"));
        assert!(m("*?", "x"));
        assert!(!m("*?", ""));
        assert!(m("*b?d*", "aabcdd"));
        assert!(m("*?@?*", "x@y"));
        assert!(!m("*?@?*", "@y"));
    }

    #[test]
    fn dot_and_plus_are_literal() {
        assert!(m("marketing+.*@example.com", "marketing+.news@example.com"));
        assert!(!m("marketing+.*@example.com", "marketing+news@example.com"));
        assert!(!m("marketing+.*@example.com", "marketingg@example.com"));
    }

    #[test]
    fn anchors_and_stars() {
        assert!(m("*", ""));
        assert!(m("**", "anything"));
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("ab*", "ab"));
        assert!(!m("ab*", "a"));
        assert!(m("*ab", "ab"));
        assert!(!m("a*a", "a"), "both anchors need two characters");
        assert!(m("a*a", "aa"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxcyyb"));
        assert!(m("*a*a*", "aa"));
        assert!(!m("*a*a*", "a"));
    }

    #[test]
    fn ascii_case_insensitive_for_actions() {
        let w = Wildcard::new("ses:Send*");
        assert!(w.matches_ascii_ci("SES:sendemail"));
        assert!(!w.matches("SES:sendemail"));
        assert!(Wildcard::new("ses:SendEmail").matches_ascii_ci("ses:sendEMAIL"));
        assert!(Wildcard::new("ses:Send?mail").matches_ascii_ci("SES:SENDEMAIL"));
        assert!(!Wildcard::new("ses:Send*").matches_ascii_ci("ses:GetSendQuota"));
    }

    #[test]
    fn agrees_with_a_naive_matcher() {
        fn naive(p: &[char], t: &[char]) -> bool {
            match (p.first(), t.first()) {
                (None, _) => t.is_empty(),
                (Some('*'), _) => naive(&p[1..], t) || (!t.is_empty() && naive(p, &t[1..])),
                (Some('?'), Some(_)) => naive(&p[1..], &t[1..]),
                (Some(c), Some(d)) if c == d => naive(&p[1..], &t[1..]),
                _ => false,
            }
        }
        let alphabet = ['a', 'b', '*', '?', 'é'];
        let texts = [
            "", "a", "b", "ab", "ba", "aab", "abab", "éa", "aéb", "bbbb", "abba",
        ];
        // Every pattern of up to 4 symbols against every text.
        let mut patterns = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &patterns {
                for c in alphabet {
                    next.push(format!("{p}{c}"));
                }
            }
            patterns.extend(next);
        }
        for p in &patterns {
            let pc: Vec<char> = p.chars().collect();
            let w = Wildcard::new(p);
            for t in texts {
                let tc: Vec<char> = t.chars().collect();
                assert_eq!(w.matches(t), naive(&pc, &tc), "pattern {p:?} text {t:?}");
            }
        }
    }
}

//! Classification of an MX answer (pure, no I/O).

/// One MX record of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MxRecord {
    /// The MX preference.
    pub(crate) preference: u16,
    /// The exchange, ASCII lower-case without trailing dot; `""` is the root (`.`).
    pub(crate) exchange: String,
}

/// What an MX answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MxClass {
    /// No MX records in the answer (e.g. only a CNAME): the A/AAAA fallback applies.
    Empty,
    /// RFC 7505 null MX: exactly one record, preference 0, exchange `.`.
    NullMx,
    /// Every exchange is `.`, but not as the single `0 .` record RFC 7505 defines
    /// (e.g. `10 .`, or two root records). No host can be reached: a hard bounce.
    OnlyRoot,
    /// Deliverable hosts, most preferred first, duplicates removed.
    Hosts(Vec<String>),
}

/// Classifies the MX records of one answer.
///
/// RFC 7505 §3 says a domain with a null MX "MUST NOT advertise any other MX RR", so a `0 .`
/// next to real hosts is a misconfiguration, not a null MX: this treats it as deliverable
/// through the real hosts (the `.` entry is dropped, as no MTA can connect to the root) —
/// the conservative reading for a guard that must not block mail that would go through.
pub(crate) fn classify_mx(records: &[MxRecord]) -> MxClass {
    match records {
        [] => MxClass::Empty,
        [only] if only.exchange.is_empty() && only.preference == 0 => MxClass::NullMx,
        _ => {
            let mut hosts: Vec<&MxRecord> =
                records.iter().filter(|r| !r.exchange.is_empty()).collect();
            if hosts.is_empty() {
                return MxClass::OnlyRoot;
            }
            hosts.sort_by(|a, b| {
                a.preference
                    .cmp(&b.preference)
                    .then_with(|| a.exchange.cmp(&b.exchange))
            });
            let mut names: Vec<String> = Vec::with_capacity(hosts.len());
            for record in hosts {
                if !names.contains(&record.exchange) {
                    names.push(record.exchange.clone());
                }
            }
            MxClass::Hosts(names)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn mx(preference: u16, exchange: &str) -> MxRecord {
        MxRecord {
            preference,
            exchange: exchange.to_owned(),
        }
    }

    fn hosts(names: &[&str]) -> MxClass {
        MxClass::Hosts(names.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn mx_answers_classify_per_rfc_7505() {
        let table: Vec<(&str, Vec<MxRecord>, MxClass)> = vec![
            ("no MX records", vec![], MxClass::Empty),
            // RFC 7505 §3: "0 ." as the only record is the null MX.
            ("single 0 .", vec![mx(0, "")], MxClass::NullMx),
            // Preference 0 with a real host is an ordinary MX (RFC 5321 allows 0).
            (
                "preference 0, real host",
                vec![mx(0, "mail.a.example")],
                hosts(&["mail.a.example"]),
            ),
            // "." with another preference is not the RFC 7505 form, but still unreachable.
            ("single 10 .", vec![mx(10, "")], MxClass::OnlyRoot),
            (
                "two root records",
                vec![mx(0, ""), mx(10, "")],
                MxClass::OnlyRoot,
            ),
            // RFC 7505 §3 forbids "0 ." next to other MX; not a null MX: use the real host.
            (
                "0 . plus a real host",
                vec![mx(0, ""), mx(10, "mail.a.example")],
                hosts(&["mail.a.example"]),
            ),
            // RFC 5321 §5.1: lower preference first.
            (
                "ordered by preference",
                vec![
                    mx(20, "backup.a.example"),
                    mx(10, "primary.a.example"),
                    mx(30, "last.a.example"),
                ],
                hosts(&["primary.a.example", "backup.a.example", "last.a.example"]),
            ),
            (
                "equal preference sorted by name, duplicates dropped",
                vec![
                    mx(10, "b.a.example"),
                    mx(10, "a.a.example"),
                    mx(20, "b.a.example"),
                ],
                hosts(&["a.a.example", "b.a.example"]),
            ),
        ];
        for (name, records, expected) in table {
            assert_eq!(classify_mx(&records), expected, "{name}");
        }
    }
}

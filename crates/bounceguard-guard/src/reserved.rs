//! Reserved test domains (RFC 2606, RFC 6761): mail to them can never be delivered, so the
//! built-in default captures it.
//!
//! The list: `example.com`, `example.net`, `example.org` and their subdomains, and every name
//! under the reserved top-level domains `example`, `test`, `invalid` and `localhost` (the bare
//! TLD included).

/// Second-level reserved domains (RFC 2606 §3).
const RESERVED_DOMAINS: [&str; 3] = ["example.com", "example.net", "example.org"];
/// Reserved top-level domains (RFC 2606 §2, RFC 6761).
const RESERVED_TLDS: [&str; 4] = ["example", "test", "invalid", "localhost"];

/// Whether `domain` (any case, optional trailing dot) is a reserved test domain.
pub fn is_reserved_test_domain(domain: &str) -> bool {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    RESERVED_DOMAINS
        .iter()
        .chain(RESERVED_TLDS.iter())
        .any(|reserved| is_same_or_subdomain(domain, reserved))
}

/// Whether `domain` is `parent` or a name under it, ignoring ASCII case.
pub fn is_same_or_subdomain(domain: &str, parent: &str) -> bool {
    if domain.len() == parent.len() {
        return domain.eq_ignore_ascii_case(parent);
    }
    domain.len() > parent.len()
        && domain.as_bytes()[domain.len() - parent.len() - 1] == b'.'
        && domain[domain.len() - parent.len()..].eq_ignore_ascii_case(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_table() {
        let reserved = [
            "example.com",
            "EXAMPLE.COM",
            "example.com.",
            "mail.example.com",
            "a.b.example.net",
            "example.org",
            "example",
            "shop.example",
            "test",
            "app.test",
            "nowhere.invalid",
            "localhost",
            "my.localhost",
        ];
        for domain in reserved {
            assert!(is_reserved_test_domain(domain), "{domain}");
        }
        let real = [
            "company.com",
            "notexample.com",
            "example.co",
            "example.com.au",
            "examples",
            "testing",
            "test.com",
            "invalid.org",
            "localhost.company.com",
            "mytest",
            "",
        ];
        for domain in real {
            assert!(!is_reserved_test_domain(domain), "{domain}");
        }
    }

    #[test]
    fn subdomain_needs_a_label_boundary() {
        assert!(is_same_or_subdomain("a.company.com", "company.com"));
        assert!(is_same_or_subdomain("Company.com", "company.com"));
        assert!(!is_same_or_subdomain("mycompany.com", "company.com"));
        assert!(!is_same_or_subdomain("com", "company.com"));
    }
}

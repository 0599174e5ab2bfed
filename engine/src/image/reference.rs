//! Image names: parsing and normalizing `[domain/]path[:tag]`, the docker reference grammar.
//!
//! Names are stored fully qualified, `domain/path:tag`. What the domain of a short name is
//! depends on where it came from, as in podman: a name the user gives (`import`, `tag`) or an
//! OCI `ref.name` is local (`busybox` is `localhost/busybox:latest`); a docker-archive's
//! `RepoTags` follow Docker Hub (`busybox` is `docker.io/library/busybox:latest`).

use super::ImageError;

/// Where a short name lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultDomain {
    /// `localhost/` (names given to rpod, like podman's `import` and `tag`).
    Localhost,
    /// `docker.io/`, with `library/` for one-component paths (docker-archive `RepoTags`).
    DockerHub,
}

/// A parsed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// `None` when the name had no domain.
    pub domain: Option<String>,
    pub path: String,
    /// `None` when the name had no tag.
    pub tag: Option<String>,
}

fn invalid(name: &str, reason: &'static str) -> ImageError {
    ImageError::InvalidName {
        name: name.to_owned(),
        reason,
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

fn valid_domain(d: &str) -> bool {
    let (host, port) = d.split_once(':').unwrap_or((d, ""));
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|x| x.is_ascii_alphanumeric() || x == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    let port_ok = d.find(':').is_none()
        || (!port.is_empty() && port.len() <= 5 && port.bytes().all(|x| x.is_ascii_digit()));
    host_ok && port_ok
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

impl Name {
    /// Parses a name without a digest.
    ///
    /// # Errors
    ///
    /// [`ImageError::InvalidName`] with the rule it breaks.
    pub fn parse(s: &str) -> Result<Name, ImageError> {
        if s.is_empty() {
            return Err(invalid(s, "it is empty"));
        }
        if s.len() > 255 + 129 {
            return Err(invalid(s, "it is too long"));
        }
        if s.contains('@') {
            return Err(invalid(s, "digest references are not supported yet"));
        }
        let last_slash = s.rfind('/').map_or(0, |i| i + 1);
        let (repo, tag) = match s[last_slash..].rfind(':') {
            Some(i) => (&s[..last_slash + i], Some(&s[last_slash + i + 1..])),
            None => (s, None),
        };
        if let Some(t) = tag {
            if !valid_tag(t) {
                return Err(invalid(
                    s,
                    "a tag is 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
                ));
            }
        }
        let (domain, path) = match repo.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                if !valid_domain(first) {
                    return Err(invalid(s, "the registry host is not a valid host[:port]"));
                }
                (Some(first.to_owned()), rest)
            }
            _ => (None, repo),
        };
        if path.len() > 255 {
            return Err(invalid(s, "the repository is longer than 255 characters"));
        }
        if !path.split('/').all(valid_path_component) {
            return Err(invalid(
                s,
                "a repository is lowercase letters and digits, separated by '/', '.', '_', '__' or '-'",
            ));
        }
        Ok(Name {
            domain,
            path: path.to_owned(),
            tag: tag.map(str::to_owned),
        })
    }

    /// The fully qualified `domain/path:tag`.
    #[must_use]
    pub fn normalized(&self, default: DefaultDomain) -> String {
        let (domain, path) = match (&self.domain, default) {
            (Some(d), _) if d == "index.docker.io" => ("docker.io".to_owned(), self.path.clone()),
            (Some(d), _) => (d.clone(), self.path.clone()),
            (None, DefaultDomain::Localhost) => ("localhost".to_owned(), self.path.clone()),
            (None, DefaultDomain::DockerHub) => ("docker.io".to_owned(), self.path.clone()),
        };
        let path = if domain == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        format!(
            "{domain}/{path}:{}",
            self.tag.as_deref().unwrap_or("latest")
        )
    }
}

/// Parses and normalizes a name.
///
/// # Errors
///
/// [`ImageError::InvalidName`].
pub fn normalize_name(s: &str, default: DefaultDomain) -> Result<String, ImageError> {
    Ok(Name::parse(s)?.normalized(default))
}

/// The repository part of a normalized name (`domain/path`).
#[must_use]
pub fn repository(normalized: &str) -> &str {
    let last_slash = normalized.rfind('/').map_or(0, |i| i + 1);
    normalized[last_slash..]
        .rfind(':')
        .map_or(normalized, |i| &normalized[..last_slash + i])
}

/// The stored names a short reference may mean, in the order podman tries them: the local
/// name, Docker Hub's, then any stored name whose path after the domain is the same.
#[must_use]
pub fn candidates(name: &Name, stored: &[String]) -> Vec<String> {
    if name.domain.is_some() {
        return vec![name.normalized(DefaultDomain::Localhost)];
    }
    let mut out = vec![
        name.normalized(DefaultDomain::Localhost),
        name.normalized(DefaultDomain::DockerHub),
    ];
    let suffix = format!("/{}:{}", name.path, name.tag.as_deref().unwrap_or("latest"));
    for s in stored {
        if s.ends_with(&suffix) && s.len() > suffix.len() {
            let domain = &s[..s.len() - suffix.len()];
            if !domain.contains('/') && !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str, d: DefaultDomain) -> String {
        normalize_name(s, d).expect("valid name")
    }

    #[test]
    fn short_names_get_the_default_domain_and_tag() {
        use DefaultDomain::{DockerHub, Localhost};
        assert_eq!(norm("busybox", Localhost), "localhost/busybox:latest");
        assert_eq!(norm("busybox:1.36", Localhost), "localhost/busybox:1.36");
        assert_eq!(
            norm("busybox", DockerHub),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(norm("me/app:v1", DockerHub), "docker.io/me/app:v1");
        assert_eq!(
            norm("localhost/busybox:1", DockerHub),
            "localhost/busybox:1"
        );
        assert_eq!(norm("quay.io/a/b", Localhost), "quay.io/a/b:latest");
        assert_eq!(norm("registry:5000/x:y", Localhost), "registry:5000/x:y");
        assert_eq!(
            norm("index.docker.io/alpine", Localhost),
            "docker.io/library/alpine:latest"
        );
        assert_eq!(
            norm("a.b__c-d--e", Localhost),
            "localhost/a.b__c-d--e:latest"
        );
    }

    #[test]
    fn bad_names_are_refused_with_the_rule() {
        for (bad, reason) in [
            ("", "it is empty"),
            ("Busybox", "a repository is"),
            ("busybox:", "a tag is"),
            ("busybox:-x", "a tag is"),
            ("a//b", "a repository is"),
            ("a/-b", "a repository is"),
            ("busybox@sha256:00", "digest references"),
            ("bad_host.:1/x", "the registry host"),
        ] {
            let err = normalize_name(bad, DefaultDomain::Localhost).expect_err(bad);
            assert!(err.to_string().contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn repository_strips_the_tag_only() {
        assert_eq!(repository("localhost/busybox:latest"), "localhost/busybox");
        assert_eq!(repository("registry:5000/x:y"), "registry:5000/x");
        assert_eq!(repository("registry:5000/x"), "registry:5000/x");
    }

    #[test]
    fn short_references_try_local_then_hub_then_any_domain() {
        let stored = vec![
            "quay.io/busybox:latest".to_owned(),
            "quay.io/x/busybox:latest".to_owned(),
            "docker.io/library/busybox:1".to_owned(),
        ];
        let c = candidates(&Name::parse("busybox").expect("name"), &stored);
        assert_eq!(
            c,
            [
                "localhost/busybox:latest",
                "docker.io/library/busybox:latest",
                "quay.io/busybox:latest"
            ]
        );
        let c = candidates(&Name::parse("quay.io/busybox").expect("name"), &stored);
        assert_eq!(c, ["quay.io/busybox:latest"]);
    }
}

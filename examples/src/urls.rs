//! Database URLs: hiding passwords in messages, and pointing a URL at
//! another database.

/// `url` with the password, if any, replaced by `***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        _ => url.to_string(),
    }
}

/// `url` with its path (the database) replaced by `database`, keeping the
/// query string: `mysql://u@h:3306/test?x=1` -> `mysql://u@h:3306/<database>?x=1`.
/// `None` when `url` has no `scheme://`.
pub fn with_database(url: &str, database: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(authority, _)| authority);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("{scheme}://{authority}/{database}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact_password("postgres://u:secret@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        let plain = "postgres://postgres@127.0.0.1:5432/test";
        assert_eq!(redact_password(plain), plain);
    }

    #[test]
    fn database_is_replaced() {
        let url = |u, db| with_database(u, db).unwrap_or_default();
        assert_eq!(
            url("mysql://root@127.0.0.1:3306/test", "b1"),
            "mysql://root@127.0.0.1:3306/b1"
        );
        assert_eq!(
            url("mysql://u:p@h/test?ssl_mode=disabled", "b1"),
            "mysql://u:p@h/b1?ssl_mode=disabled"
        );
        assert_eq!(url("mysql://h:3306", "b1"), "mysql://h:3306/b1");
        assert_eq!(
            url("mysql://h?unix_socket=/s", "b1"),
            "mysql://h/b1?unix_socket=/s"
        );
        assert_eq!(with_database("not a url", "b1"), None);
    }
}

//! A lexer for the SQL that reaches the connection: words, quoted names,
//! literals, placeholders and punctuation, with comments skipped and the
//! parenthesis depth of every token, so that a statement's clauses can be
//! found at its top level whatever its strings and comments contain.

use std::ops::Range;

/// How a backend writes placeholders, strings and comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `$1`, `E'..'` escapes, `$tag$..$tag$` strings, nested comments.
    Postgres,
    /// `?` and `?NNN`; `"..."`, `` `..` `` and `[..]` names.
    Sqlite,
    /// positional `?`; backslash escapes in strings; `#` comments.
    Mysql,
}

/// How a dialect writes placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1`, `$2` (a `?` is an operator).
    Dollar,
    /// `?`, in order.
    Question,
    /// `?`, or `?3` naming the bind.
    NumberedQuestion,
}

/// A dialect's lexing rules, one per thing the dialects disagree on: the
/// lexer reads these and never compares dialects.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    pub placeholders: Placeholders,
    /// `-- ` starts a comment only before a space or a control character.
    pub dashes_need_space: bool,
    /// `#` starts a line comment.
    pub hash_comments: bool,
    /// `/*! .. */` and `/*M! .. */` are code.
    pub executable_comments: bool,
    /// `/* /* */ */` nests.
    pub nested_comments: bool,
    /// `E'..'` takes backslash escapes.
    pub escape_strings: bool,
    /// `$tag$ .. $tag$` is a string.
    pub dollar_quotes: bool,
    /// `"..."` is a string (unless the session says otherwise).
    pub double_quoted_strings: bool,
    /// `[..]` quotes a name.
    pub bracket_names: bool,
    /// `:name`, `@name`, `$name` are (named) parameters.
    pub named_parameters: bool,
    /// A backslash escapes in `'..'` strings in a new session.
    pub backslash_escapes: bool,
    /// The characters whose meaning a session setting changes.
    pub settings_change: &'static [char],
    /// The quote of names the library writes.
    pub name_quote: char,
}

const POSTGRES: Rules = Rules {
    placeholders: Placeholders::Dollar,
    dashes_need_space: false,
    hash_comments: false,
    executable_comments: false,
    nested_comments: true,
    escape_strings: true,
    dollar_quotes: true,
    double_quoted_strings: false,
    bracket_names: false,
    named_parameters: false,
    backslash_escapes: false,
    settings_change: &['\\'],
    name_quote: '"',
};

const SQLITE: Rules = Rules {
    placeholders: Placeholders::NumberedQuestion,
    dashes_need_space: false,
    hash_comments: false,
    executable_comments: false,
    nested_comments: false,
    escape_strings: false,
    dollar_quotes: false,
    double_quoted_strings: false,
    bracket_names: true,
    named_parameters: true,
    backslash_escapes: false,
    settings_change: &[],
    name_quote: '"',
};

const MYSQL: Rules = Rules {
    placeholders: Placeholders::Question,
    dashes_need_space: true,
    hash_comments: true,
    executable_comments: true,
    nested_comments: false,
    escape_strings: false,
    dollar_quotes: false,
    double_quoted_strings: true,
    bracket_names: false,
    named_parameters: false,
    backslash_escapes: true,
    settings_change: &['"', '\\'],
    name_quote: '`',
};

impl Dialect {
    /// The dialect's lexing rules.
    pub(crate) const fn rules(self) -> &'static Rules {
        match self {
            Dialect::Postgres => &POSTGRES,
            Dialect::Sqlite => &SQLITE,
            Dialect::Mysql => &MYSQL,
        }
    }

    /// How a name is quoted: `` `name` `` on MySQL, `"name"` elsewhere.
    pub(crate) fn quote(self) -> impl Fn(&str) -> String {
        let quote = self.rules().name_quote;
        move |name| {
            let doubled = name.replace(quote, &format!("{quote}{quote}"));
            format!("{quote}{doubled}{quote}")
        }
    }
}

/// How a session lexes statements: its dialect, and the settings that
/// change what a quote or a backslash means (MySQL's `sql_mode`
/// `ANSI_QUOTES` and `NO_BACKSLASH_ESCAPES`, PostgreSQL's
/// `standard_conforming_strings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub struct Lexing {
    /// The backend's dialect.
    pub dialect: Dialect,
    /// MySQL: `"..."` quotes a name (`ANSI_QUOTES`), not a string.
    pub ansi_quotes: bool,
    /// A backslash escapes the next character in `'...'` strings (MySQL
    /// without `NO_BACKSLASH_ESCAPES`; PostgreSQL with
    /// `standard_conforming_strings` off).
    pub backslash_escapes: bool,
}

impl Lexing {
    /// The settings a session of `dialect` starts with.
    pub fn default_for(dialect: Dialect) -> Self {
        Lexing {
            dialect,
            ansi_quotes: false,
            backslash_escapes: dialect.rules().backslash_escapes,
        }
    }

    /// Whether `sql` lexes alike under every setting of its dialect: no
    /// character whose meaning a setting changes (a `"` on MySQL, a
    /// backslash on MySQL and PostgreSQL). Otherwise the session's
    /// settings must be read before the text can be scanned.
    pub fn settles(dialect: Dialect, sql: &str) -> bool {
        !sql.contains(dialect.rules().settings_change)
    }
}

impl From<Dialect> for Lexing {
    fn from(dialect: Dialect) -> Self {
        Lexing::default_for(dialect)
    }
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword or an unquoted name.
    Word,
    /// A quoted name (`"accounts"`, `` `accounts` ``, `[accounts]`).
    Quoted,
    /// A string or number literal.
    Literal,
    /// A placeholder standing for bind `.0` (0-based).
    Bind(usize),
    /// One punctuation or operator character.
    Punct(u8),
}

/// One token: its kind, its bytes in the text and its depth in
/// parentheses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
    pub depth: u32,
}

/// Why a text cannot be scanned faithfully.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ScanError {
    #[error("a string, name or comment that never ends")]
    /// A string, name or comment that never ends.
    Unterminated,
    #[error("{0}")]
    /// A placeholder form the library does not map to binds (`:name`,
    /// `@name`, `$name`), or MySQL's executable comments.
    Unsupported(&'static str),
}

/// The tokens of `sql`.
pub(crate) fn tokens(sql: &str, lexing: impl Into<Lexing>) -> Result<Vec<Token>, ScanError> {
    first_tokens(sql, lexing, usize::MAX)
}

/// The first `limit` tokens of `sql` (the rest is not scanned).
pub(crate) fn first_tokens(
    sql: &str,
    lexing: impl Into<Lexing>,
    limit: usize,
) -> Result<Vec<Token>, ScanError> {
    let lexing = lexing.into();
    Lexer {
        text: sql.as_bytes(),
        at: 0,
        rules: lexing.dialect.rules(),
        lexing,
        depth: 0,
        next_bind: 0,
        tokens: Vec::new(),
    }
    .run(limit)
}

struct Lexer<'a> {
    text: &'a [u8],
    at: usize,
    rules: &'static Rules,
    lexing: Lexing,
    depth: u32,
    next_bind: usize,
    tokens: Vec<Token>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.text.get(self.at + ahead).copied()
    }

    fn push(&mut self, kind: Kind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: start..self.at,
            depth: self.depth,
        });
    }

    fn run(mut self, limit: usize) -> Result<Vec<Token>, ScanError> {
        while let Some(b) = self.peek(0) {
            if self.tokens.len() >= limit {
                break;
            }
            let start = self.at;
            match b {
                b if b.is_ascii_whitespace() => self.at += 1,
                b'-' if self.peek(1) == Some(b'-') && self.dashes_comment()? => self.line_comment(),
                b'#' if self.rules.hash_comments => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'\'' => {
                    self.string(b'\'', self.lexing.backslash_escapes)?;
                    self.push(Kind::Literal, start);
                }
                b'e' | b'E' if self.rules.escape_strings && self.peek(1) == Some(b'\'') => {
                    self.at += 1;
                    self.string(b'\'', true)?;
                    self.push(Kind::Literal, start);
                }
                b'"' if self.rules.double_quoted_strings && !self.lexing.ansi_quotes => {
                    self.string(b'"', self.lexing.backslash_escapes)?;
                    self.push(Kind::Literal, start);
                }
                b'"' | b'`' => {
                    self.string(b, false)?;
                    self.push(Kind::Quoted, start);
                }
                b'[' if self.rules.bracket_names => {
                    let end = self.find(b"]").ok_or(ScanError::Unterminated)?;
                    self.at = end + 1;
                    self.push(Kind::Quoted, start);
                }
                b'?' => self.question(start)?,
                b'$' => self.dollar(start)?,
                b':' | b'@' if self.rules.named_parameters => {
                    if self.peek(1).is_some_and(is_word_byte) {
                        return Err(ScanError::Unsupported("named parameters"));
                    }
                    self.at += 1;
                    self.push(Kind::Punct(b), start);
                }
                b'0'..=b'9' => {
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.')
                    {
                        self.at += 1;
                    }
                    self.push(Kind::Literal, start);
                }
                b if is_word_byte(b) => {
                    while self.peek(0).is_some_and(|c| is_word_byte(c) || c == b'$') {
                        self.at += 1;
                    }
                    self.push(Kind::Word, start);
                }
                b'(' => {
                    self.at += 1;
                    self.push(Kind::Punct(b), start);
                    self.depth += 1;
                }
                b')' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.at += 1;
                    self.push(Kind::Punct(b), start);
                }
                _ => {
                    self.at += 1;
                    self.push(Kind::Punct(b), start);
                }
            }
        }
        Ok(self.tokens)
    }

    fn find(&self, needle: &[u8]) -> Option<usize> {
        self.text[self.at..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| self.at + p)
    }

    /// Whether the `--` at the cursor starts a comment. On MySQL only when
    /// a space or a control character follows (`9--1` is nine minus minus
    /// one); `--` ending the text is refused, since servers disagree.
    fn dashes_comment(&self) -> Result<bool, ScanError> {
        if !self.rules.dashes_need_space {
            return Ok(true);
        }
        match self.peek(2) {
            Some(c) => Ok(c <= b' '),
            None => Err(ScanError::Unsupported(
                "`--` at the end of a MySQL statement",
            )),
        }
    }

    fn line_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != b'\n') {
            self.at += 1;
        }
    }

    fn block_comment(&mut self) -> Result<(), ScanError> {
        if self.rules.executable_comments
            && (self.peek(2) == Some(b'!')
                || (self.peek(2) == Some(b'M') && self.peek(3) == Some(b'!')))
        {
            return Err(ScanError::Unsupported(
                "MySQL and MariaDB executable comments (`/*!`, `/*M!`)",
            ));
        }
        let nests = self.rules.nested_comments;
        let mut open = 0u32;
        while self.at < self.text.len() {
            if self.peek(0) == Some(b'/') && self.peek(1) == Some(b'*') {
                if open > 0 && !nests {
                    self.at += 2;
                    continue;
                }
                open += 1;
                self.at += 2;
            } else if self.peek(0) == Some(b'*') && self.peek(1) == Some(b'/') {
                open -= 1;
                self.at += 2;
                if open == 0 {
                    return Ok(());
                }
            } else {
                self.at += 1;
            }
        }
        Err(ScanError::Unterminated)
    }

    /// A quoted string or name ending at the next unescaped `quote`
    /// (doubled quotes always escape; backslashes when `backslash`).
    fn string(&mut self, quote: u8, backslash: bool) -> Result<(), ScanError> {
        self.at += 1;
        while let Some(c) = self.peek(0) {
            if backslash && c == b'\\' {
                self.at += 2;
            } else if c == quote {
                if self.peek(1) == Some(quote) {
                    self.at += 2;
                } else {
                    self.at += 1;
                    return Ok(());
                }
            } else {
                self.at += 1;
            }
        }
        Err(ScanError::Unterminated)
    }

    fn digits(&mut self) -> Option<usize> {
        let start = self.at;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        std::str::from_utf8(&self.text[start..self.at])
            .ok()?
            .parse()
            .ok()
    }

    fn question(&mut self, start: usize) -> Result<(), ScanError> {
        self.at += 1;
        let index = match self.rules.placeholders {
            Placeholders::Dollar => {
                // An operator (`?`, `?|`, `?&` on jsonb).
                self.push(Kind::Punct(b'?'), start);
                return Ok(());
            }
            Placeholders::Question => self.next_bind,
            Placeholders::NumberedQuestion => match self.digits() {
                Some(0) => return Err(ScanError::Unsupported("the placeholder ?0")),
                Some(n) => n - 1,
                None => self.next_bind,
            },
        };
        self.next_bind = self.next_bind.max(index + 1);
        self.push(Kind::Bind(index), start);
        Ok(())
    }

    fn dollar(&mut self, start: usize) -> Result<(), ScanError> {
        let dollar_placeholders = self.rules.placeholders == Placeholders::Dollar;
        match () {
            () if dollar_placeholders && self.peek(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.at += 1;
                match self.digits() {
                    Some(n) if n > 0 => {
                        self.push(Kind::Bind(n - 1), start);
                        Ok(())
                    }
                    _ => Err(ScanError::Unsupported("the placeholder $0")),
                }
            }
            () if self.rules.dollar_quotes => {
                // A dollar-quoted string: $tag$ ... $tag$.
                let close = self.text[start + 1..]
                    .iter()
                    .position(|&c| c == b'$')
                    .ok_or(ScanError::Unterminated)?;
                let tag = &self.text[start..start + close + 2];
                if !tag[1..tag.len() - 1].iter().all(|&c| is_word_byte(c)) {
                    return Err(ScanError::Unsupported("`$` outside a dollar-quoted string"));
                }
                self.at = start + tag.len();
                let end = self.find(tag).ok_or(ScanError::Unterminated)?;
                self.at = end + tag.len();
                self.push(Kind::Literal, start);
                Ok(())
            }
            () if self.rules.named_parameters && self.peek(1).is_some_and(is_word_byte) => {
                Err(ScanError::Unsupported("named parameters"))
            }
            () => {
                self.at += 1;
                self.push(Kind::Punct(b'$'), start);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! Raw statements of the differential suite rendered for one backend: its
//! names, keyword case, quoting, comments and placeholders.

use super::sql::{Col, Comment, Cond, Conflict, Expr, Raw, Style, Target, Val, Wrap};
use hooks_tests::BackendKind;

/// The names a raw statement is rendered with.
pub struct Names<'a> {
    pub backend: BackendKind,
    pub default_schema: &'a str,
    pub other_schema: &'a str,
}

/// A raw statement as sent: text and binds.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub sql: String,
    pub binds: Vec<Val>,
}

/// The tokens of a statement, joined with spaces or comments.
struct Out<'a> {
    names: &'a Names<'a>,
    style: &'a Style,
    tokens: Vec<String>,
    binds: Vec<Val>,
}

impl Out<'_> {
    fn kw(&mut self, word: &str) {
        let word = if self.style.upper {
            word.to_ascii_uppercase()
        } else {
            word.to_ascii_lowercase()
        };
        self.tokens.push(word);
    }

    fn raw(&mut self, text: impl Into<String>) {
        self.tokens.push(text.into());
    }

    fn ident(&mut self, name: &str) {
        let quoted = if !self.style.quoted {
            name.to_string()
        } else {
            match (self.names.backend, self.style.quote_kind % 3) {
                (BackendKind::Mysql, _) | (BackendKind::Sqlite, 1) => format!("`{name}`"),
                (BackendKind::Sqlite, 2) => format!("[{name}]"),
                _ => format!("\"{name}\""),
            }
        };
        self.tokens.push(quoted);
    }

    fn table(&mut self, target: Target) {
        match target {
            Target::Plain => {}
            Target::Qualified => {
                let schema = self.names.default_schema.to_string();
                self.ident(&schema);
                self.glue(".");
            }
            Target::Other => {
                let schema = self.names.other_schema.to_string();
                self.ident(&schema);
                self.glue(".");
            }
        }
        self.glue_ident("exact_rows");
    }

    /// Appends `text` to the last token (no space between).
    fn glue(&mut self, text: &str) {
        match self.tokens.last_mut() {
            Some(last) => last.push_str(text),
            None => self.tokens.push(text.to_string()),
        }
    }

    fn glue_ident(&mut self, name: &str) {
        let before = self.tokens.len();
        self.ident(name);
        if before > 0 && self.tokens[before - 1].ends_with('.') {
            let last = self.tokens.pop().unwrap_or_default();
            self.glue(&last);
        }
    }

    fn column(&mut self, col: Col) {
        self.ident(col.name());
    }

    fn literal(&mut self, val: &Val) {
        let text = match val {
            Val::Int(n) => n.to_string(),
            Val::Int32(n) => n.to_string(),
            Val::Float(f) => format!("{f:?}"),
            Val::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Val::Null => "NULL".to_string(),
            Val::Text(s) | Val::Time(s) => format!("'{}'", s.replace('\'', "''")),
        };
        self.tokens.push(text);
    }

    fn bind(&mut self, val: &Val) {
        self.binds.push(val.clone());
        let placeholder = match self.names.backend {
            BackendKind::Postgres => format!("${}", self.binds.len()),
            _ => "?".to_string(),
        };
        self.tokens.push(placeholder);
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Lit(val) => self.literal(val),
            Expr::Bind(val) => self.bind(val),
            Expr::Col(col) => self.column(*col),
            Expr::Plus(col, n) => {
                self.column(*col);
                self.raw(format!("+ {n}"));
            }
            Expr::Div(col, n) => {
                self.column(*col);
                self.raw(format!("/ {n}"));
            }
            Expr::MinusMinus(col, n) => {
                self.column(*col);
                self.glue(&format!("--{n}"));
                // Ends a comment that `--` may have started.
                self.glue("\n");
            }
            Expr::NumMinusMinus(a, b) => {
                self.raw(format!("{a}--{b}\n"));
            }
            Expr::Lower(col) => {
                self.kw("lower");
                self.glue("(");
                self.column(*col);
                self.glue(")");
            }
            Expr::Concat(col, text) => {
                let lit = Val::Text(text.clone());
                if self.names.backend == BackendKind::Mysql {
                    self.kw("concat");
                    self.glue("(");
                    self.column(*col);
                    self.glue(",");
                    self.literal(&lit);
                    self.glue(")");
                } else {
                    self.column(*col);
                    self.raw("||");
                    self.literal(&lit);
                }
            }
            Expr::Case(cond, then, otherwise) => {
                self.kw("case");
                self.kw("when");
                self.cond(cond);
                self.kw("then");
                self.expr(then);
                self.kw("else");
                self.expr(otherwise);
                self.kw("end");
            }
            Expr::SubMax(col) => {
                self.raw("(");
                self.kw("select");
                self.kw("max");
                self.glue("(");
                self.column(*col);
                self.glue(")");
                self.kw("from");
                self.glue_ident("exact_rows");
                self.glue(")");
            }
            Expr::Default => self.kw("default"),
        }
    }

    fn cond(&mut self, cond: &Cond) {
        match cond {
            Cond::Cmp(col, op, expr) => {
                self.column(*col);
                self.raw(*op);
                self.expr(expr);
            }
            Cond::In(col, ids) => {
                self.column(*col);
                self.kw("in");
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                self.raw(format!("({})", list.join(", ")));
            }
            Cond::IsNull(col) => {
                self.column(*col);
                self.kw("is");
                self.kw("null");
            }
            Cond::AboveAverage => {
                self.column(Col::Big);
                self.raw(">");
                self.raw("(");
                self.kw("select");
                self.kw("avg");
                self.glue("(");
                self.column(Col::Big);
                self.glue(")");
                self.kw("from");
                self.glue_ident("exact_rows");
                self.glue(")");
            }
            Cond::InSubquery(n) => {
                self.column(Col::Id);
                self.kw("in");
                self.raw("(");
                self.kw("select");
                self.column(Col::Id);
                self.kw("from");
                self.glue_ident("exact_rows");
                self.kw("where");
                self.column(Col::Big);
                self.raw(format!("< {n})"));
            }
            Cond::Not(inner) => {
                self.kw("not");
                self.raw("(");
                self.cond(inner);
                self.glue(")");
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                self.raw("(");
                self.cond(a);
                self.kw(if matches!(cond, Cond::And(..)) {
                    "and"
                } else {
                    "or"
                });
                self.cond(b);
                self.glue(")");
            }
        }
    }

    fn filter(&mut self, filter: &Option<Cond>) {
        let Some(cond) = filter else {
            return;
        };
        let open = match self.style.wrap {
            Wrap::None => None,
            Wrap::Executable => Some("/*!"),
            Wrap::MariaDb => Some("/*M!"),
        };
        if let Some(open) = open {
            self.raw(open);
        }
        self.kw("where");
        self.cond(cond);
        if open.is_some() {
            self.raw("*/");
        }
    }

    /// `ON CONFLICT (id) DO ..`; MySQL's `ON DUPLICATE KEY UPDATE ..`.
    fn conflict(&mut self, conflict: &Conflict) {
        let mysql = self.names.backend == BackendKind::Mysql;
        self.kw("on");
        if mysql {
            self.kw("duplicate");
            self.kw("key");
            self.kw("update");
        } else {
            self.kw("conflict");
            self.raw("(");
            self.column(Col::Id);
            self.glue(")");
            self.kw("do");
            self.kw(if *conflict == Conflict::Nothing {
                "nothing"
            } else {
                "update"
            });
            if *conflict != Conflict::Nothing {
                self.kw("set");
            }
        }
        match conflict {
            Conflict::Nothing if mysql => {
                self.column(Col::Id);
                self.raw("=");
                self.column(Col::Id);
            }
            Conflict::Nothing => {}
            Conflict::Excluded(columns) => {
                for (n, col) in columns.iter().enumerate() {
                    if n > 0 {
                        self.glue(",");
                    }
                    self.column(*col);
                    self.raw("=");
                    if mysql {
                        self.kw("values");
                        self.glue("(");
                        self.glue(col.name());
                        self.glue(")");
                    } else {
                        self.kw("excluded");
                        self.glue(".");
                        self.glue_ident(col.name());
                    }
                }
            }
            Conflict::Set(col, expr) => {
                self.column(*col);
                self.raw("=");
                self.expr(expr);
            }
        }
    }

    fn returning(&mut self, returning: bool) {
        if returning {
            self.kw("returning");
            for (n, col) in [Col::Id, Col::Big, Col::Txt, Col::Note].iter().enumerate() {
                if n > 0 {
                    self.glue(",");
                }
                self.column(*col);
            }
        }
    }

    fn finish(self) -> Rendered {
        let count = self.tokens.len().max(1);
        let mut sql = String::new();
        for (i, token) in self.tokens.iter().enumerate() {
            if i > 0 && !sql.ends_with('\n') {
                sql.push(' ');
            }
            sql.push_str(token);
            for (at, comment) in &self.style.comments {
                if usize::from(*at) % count == i && i + 1 < count {
                    sql.push_str(match comment {
                        Comment::Block => " /* c; 'x' */",
                        Comment::Line => " -- c ; 'x\n",
                        // `#` is an operator outside MySQL.
                        Comment::Hash if self.names.backend == BackendKind::Mysql => " # c\n",
                        Comment::Hash => " /* # c */",
                        Comment::Nested => " /* a /* b */ c */",
                    });
                }
            }
        }
        Rendered {
            sql,
            binds: self.binds,
        }
    }
}

/// The text and binds of `raw` on `names.backend`.
pub fn render(raw: &Raw, style: &Style, names: &Names<'_>) -> Rendered {
    let mut out = Out {
        names,
        style,
        tokens: Vec::new(),
        binds: Vec::new(),
    };
    match raw {
        Raw::Update {
            target,
            set,
            filter,
            returning,
        } => {
            out.kw("update");
            out.table(*target);
            out.kw("set");
            for (n, (col, expr)) in set.iter().enumerate() {
                if n > 0 {
                    out.glue(",");
                }
                if style.qualified_set {
                    out.ident("exact_rows");
                    out.glue(".");
                    out.glue_ident(col.name());
                } else {
                    out.column(*col);
                }
                out.raw("=");
                out.expr(expr);
            }
            out.filter(filter);
            out.returning(*returning);
        }
        Raw::Delete {
            target,
            filter,
            returning,
        } => {
            out.kw("delete");
            out.kw("from");
            out.table(*target);
            out.filter(filter);
            out.returning(*returning);
        }
        Raw::Insert {
            target,
            columns,
            rows,
            conflict,
            returning,
        } => {
            out.kw("insert");
            out.kw("into");
            out.table(*target);
            out.raw("(");
            for (n, col) in columns.iter().enumerate() {
                if n > 0 {
                    out.glue(",");
                }
                out.column(*col);
            }
            out.glue(")");
            out.kw("values");
            for (r, row) in rows.iter().enumerate() {
                if r > 0 {
                    out.glue(",");
                }
                out.raw("(");
                for (n, expr) in row.iter().enumerate() {
                    if n > 0 {
                        out.glue(",");
                    }
                    out.expr(expr);
                }
                out.glue(")");
            }
            if let Some(conflict) = conflict {
                out.conflict(conflict);
            }
            out.returning(*returning);
        }
    }
    out.finish()
}

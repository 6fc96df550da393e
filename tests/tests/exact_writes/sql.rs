//! The statements of the differential suite, as data: raw SQL with its
//! spelling (keyword case, quoting, comments) and binds, or a Diesel DSL
//! statement. `render.rs` renders them for one backend.

/// A column of `exact_rows`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Id,
    Big,
    Small,
    Txt,
    Note,
    Ratio,
    Flag,
    At,
    Status,
}

impl Col {
    pub fn name(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Big => "big",
            Col::Small => "small",
            Col::Txt => "txt",
            Col::Note => "note",
            Col::Ratio => "ratio",
            Col::Flag => "flag",
            Col::At => "at",
            Col::Status => "status",
        }
    }
}

/// A value, written as a literal or sent as a bind.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i64),
    Int32(i32),
    Text(String),
    /// A number written as text in SQL (`2.5`, `1e3`), or bound as a double.
    Float(f64),
    Bool(bool),
    Null,
    /// `YYYY-MM-DD HH:MM:SS`.
    Time(String),
}

/// An expression of a `SET`, a `VALUES` row or a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Lit(Val),
    Bind(Val),
    Col(Col),
    /// `c + n`
    Plus(Col, i64),
    /// `c / n`
    Div(Col, i64),
    /// `c--n` (two minus signs on MySQL, a comment elsewhere)
    MinusMinus(Col, i64),
    /// `a--b`
    NumMinusMinus(i64, i64),
    /// `LOWER(c)`
    Lower(Col),
    /// `c || 'x'` (`CONCAT(c, 'x')` on MySQL)
    Concat(Col, String),
    /// `CASE WHEN cond THEN a ELSE b END`
    Case(Box<Cond>, Box<Expr>, Box<Expr>),
    /// `(SELECT MAX(c) FROM exact_rows)`
    SubMax(Col),
    /// `DEFAULT`
    Default,
}

/// A condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Cmp(Col, &'static str, Expr),
    In(Col, Vec<i64>),
    IsNull(Col),
    /// `big > (SELECT AVG(big) FROM exact_rows)`
    AboveAverage,
    /// `id IN (SELECT id FROM exact_rows WHERE big < n)`
    InSubquery(i64),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// Which `exact_rows` a statement names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `exact_rows`
    Plain,
    /// `<the default schema>.exact_rows`
    Qualified,
    /// `<another schema>.exact_rows`
    Other,
}

/// Where a comment goes and what it is.
#[derive(Clone, Debug, PartialEq)]
pub enum Comment {
    Block,
    /// `-- x` and a newline
    Line,
    /// `# x` and a newline
    Hash,
    /// `/* a /* b */ c */`
    Nested,
}

/// How the `WHERE` clause is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    None,
    /// `/*! WHERE .. */` (MySQL executes it)
    Executable,
    /// `/*M! WHERE .. */` (MariaDB executes it)
    MariaDb,
}

/// The spelling of a raw statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    pub upper: bool,
    /// Identifiers quoted (`"t"`, `` `t` ``, `[t]`, by `quote_kind`).
    pub quoted: bool,
    pub quote_kind: u8,
    /// Comments after the token at these positions (modulo the count).
    pub comments: Vec<(u8, Comment)>,
    pub wrap: Wrap,
    /// `SET exact_rows.c = ..`
    pub qualified_set: bool,
}

/// A raw statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Update {
        target: Target,
        set: Vec<(Col, Expr)>,
        filter: Option<Cond>,
        returning: bool,
    },
    Delete {
        target: Target,
        filter: Option<Cond>,
        returning: bool,
    },
    Insert {
        target: Target,
        columns: Vec<Col>,
        rows: Vec<Vec<Expr>>,
        /// With a conflict clause, `id` is the first column.
        conflict: Option<Conflict>,
        returning: bool,
    },
}

/// What an insert does with a row whose key is taken.
#[derive(Clone, Debug, PartialEq)]
pub enum Conflict {
    /// `ON CONFLICT (id) DO NOTHING` (MySQL: `ON DUPLICATE KEY UPDATE id =
    /// id`).
    Nothing,
    /// `ON CONFLICT (id) DO UPDATE SET c = EXCLUDED.c, ..` (MySQL: `c =
    /// VALUES(c)`).
    Excluded(Vec<Col>),
    /// `ON CONFLICT (id) DO UPDATE SET c = <expr>` (MySQL: `ON DUPLICATE
    /// KEY UPDATE c = <expr>`).
    Set(Col, Expr),
}

/// A Diesel DSL condition on `exact_rows`.
#[derive(Clone, Debug, PartialEq)]
pub enum DslCond {
    IdEq(i64),
    IdIn(Vec<i64>),
    BigGt(i64),
    TxtEq(String),
    NoteNull,
    Not(Box<DslCond>),
    And(Box<DslCond>, Box<DslCond>),
    Or(Box<DslCond>, Box<DslCond>),
}

/// A Diesel DSL changeset on `exact_rows`.
#[derive(Clone, Debug, PartialEq)]
pub enum DslSet {
    Txt(String),
    BigPlus(i64),
    /// `txt = value, note = txt` (the old `txt`, or on MySQL the new one)
    TxtThenNote(String),
    Note(Option<String>),
    Typed {
        small: Option<i32>,
        ratio: Option<f64>,
        flag: bool,
        at: Option<chrono::NaiveDateTime>,
    },
    StatusBig(String, i64),
}

/// A row a DSL insert writes.
#[derive(Clone, Debug, PartialEq)]
pub struct DslRow {
    pub big: i64,
    pub txt: String,
    pub note: Option<String>,
    pub ratio: Option<f64>,
}

/// A Diesel DSL statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Dsl {
    Update(DslCond, DslSet),
    Delete(DslCond),
    Insert(Vec<DslRow>),
}

/// One case of the suite.
#[derive(Clone, Debug, PartialEq)]
pub enum Case {
    Raw(Raw, Style),
    Dsl(Dsl),
    /// SQL text as written, without binds.
    Text(&'static str),
    /// A DSL statement on the bare connection, the library's own method
    /// (`update_where`, `delete_where`, `bulk_create`) on the hooked one.
    Method(Dsl),
}

impl Case {
    /// True for statements that insert (which use up generated keys).
    pub fn inserts(&self) -> bool {
        match self {
            Case::Raw(raw, _) => matches!(raw, Raw::Insert { .. }),
            Case::Dsl(dsl) | Case::Method(dsl) => matches!(dsl, Dsl::Insert(_)),
            Case::Text(sql) => sql.trim_start().to_ascii_uppercase().starts_with("INSERT"),
        }
    }

    /// True when the statement may draw generated keys (an insert, or
    /// `DEFAULT` assigned to a column), which no rollback gives back.
    pub fn draws_keys(&self) -> bool {
        self.inserts() || format!("{self:?}").contains("Default")
    }

    /// True when the statement asks for rows back.
    pub fn returns_rows(&self) -> bool {
        if let Case::Text(sql) = self {
            return sql.to_ascii_uppercase().contains("RETURNING");
        }
        matches!(
            self,
            Case::Raw(
                Raw::Update {
                    returning: true,
                    ..
                } | Raw::Delete {
                    returning: true,
                    ..
                } | Raw::Insert {
                    returning: true,
                    ..
                },
                _
            )
        )
    }
}

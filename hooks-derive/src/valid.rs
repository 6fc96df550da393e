//! Validation: everything the generated code relies on, each problem
//! reported at the tokens that cause it.

use std::collections::HashMap;

use quote::quote;
use syn::Path;

use crate::ast::{Data, Field, Input};
use crate::attr::unraw;
use crate::ctxt::Ctxt;

/// The most fields a model can have (`FieldSet` is a 128-bit set; Diesel's
/// tables have at most 128 columns).
const MAX_FIELDS: usize = 128;

/// A valid model: what the expansion needs, resolved.
pub(crate) struct Model<'i, 'a> {
    pub input: &'i Input<'a>,
    pub fields: &'i [Field<'a>],
    pub table: &'i Path,
    /// The primary-key fields, in key order.
    pub key: Vec<&'i Field<'a>>,
    /// The key is generated when unset (`#[hook(generated_when_unset)]`).
    pub generated_when_unset: bool,
}

/// Reports every problem; `Some` when the input can be expanded.
pub(crate) fn check<'i, 'a>(cx: &Ctxt, input: &'i Input<'a>) -> Option<Model<'i, 'a>> {
    let fields = check_shape(cx, input)?;
    check_generics(cx, input);
    let table = check_table(cx, input);
    let key = check_key(cx, input, fields);
    let generated_when_unset = check_generated_when_unset(cx, input, fields, key.as_deref());
    check_count(cx, input, fields);
    check_descriptors(cx, fields);
    Some(Model {
        input,
        fields,
        table: table?,
        key: key?,
        generated_when_unset,
    })
}

fn check_shape<'i, 'a>(cx: &Ctxt, input: &'i Input<'a>) -> Option<&'i [Field<'a>]> {
    let ident = input.ident;
    let what = "HookModel can only be derived for a struct with named fields, one per column";
    match &input.data {
        Data::Named(fields) => return Some(fields),
        Data::Tuple(fields) => cx.error_spanned_by(
            fields,
            format!("{what}: `{ident}` is a tuple struct; name its fields after the columns"),
        ),
        Data::Unit => cx.error_spanned_by(
            ident,
            format!("{what}: `{ident}` is a unit struct; add a field per column"),
        ),
        Data::Enum(token) => cx.error_spanned_by(
            quote!(#token #ident),
            format!("{what}: `{ident}` is an enum"),
        ),
        Data::Union(token) => cx.error_spanned_by(
            quote!(#token #ident),
            format!("{what}: `{ident}` is a union"),
        ),
    }
    None
}

fn check_generics(cx: &Ctxt, input: &Input) {
    let generics = input.generics;
    if !generics.params.is_empty() {
        cx.error_spanned_by(
            generics,
            format!(
                "HookModel cannot be derived for a generic struct: remove the parameters of `{}` \
                 (a model is one concrete row type)",
                input.ident
            ),
        );
    } else if let Some(where_clause) = &generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "HookModel cannot be derived for a struct with a where clause: remove it",
        );
    }
}

fn check_table<'i>(cx: &Ctxt, input: &'i Input) -> Option<&'i Path> {
    let table = input.attrs.table_name.as_ref();
    if table.is_none() {
        cx.error_spanned_by(
            input.ident,
            "HookModel needs the table: add #[diesel(table_name = your_table)]",
        );
    }
    table
}

fn check_key<'i, 'a>(
    cx: &Ctxt,
    input: &'i Input<'a>,
    fields: &'i [Field<'a>],
) -> Option<Vec<&'i Field<'a>>> {
    let ident = input.ident;
    let Some(pk) = &input.attrs.primary_key else {
        let id = input.find_field("id");
        if id.is_none() {
            cx.error_spanned_by(
                ident,
                format!(
                    "HookModel needs a primary key: `{ident}` has no `id` field; \
                     name the key column(s) with #[diesel(primary_key(column, ...))]"
                ),
            );
        }
        return id.map(|f| vec![f]);
    };
    if pk.columns.is_empty() {
        cx.error_spanned_by(
            &pk.keyword,
            "primary_key() is empty: list the key column(s), as in primary_key(id)",
        );
        return None;
    }
    let mut key: Vec<&Field> = Vec::with_capacity(pk.columns.len());
    let mut ok = true;
    for column in &pk.columns {
        let name = unraw(column);
        match input.find_field(&name) {
            Some(field) if key.iter().any(|k| k.index == field.index) => {
                ok = false;
                cx.error_spanned_by(
                    column,
                    format!("`{name}` is listed twice in primary_key(...): list it once"),
                );
            }
            Some(field) => key.push(field),
            None => {
                ok = false;
                let names: Vec<String> = fields.iter().map(Field::column_name).collect();
                cx.error_spanned_by(
                    column,
                    format!(
                        "primary key column `{name}` is not a field of `{ident}`: name a field \
                         or its #[diesel(column_name)] (columns: {})",
                        names.join(", ")
                    ),
                );
            }
        }
    }
    ok.then_some(key)
}

/// `#[hook(generated_when_unset)]`: on the key, a single column, which the
/// insert must bind when given (so not `skip_insertion`).
fn check_generated_when_unset(
    cx: &Ctxt,
    input: &Input,
    fields: &[Field],
    key: Option<&[&Field]>,
) -> bool {
    let mut marked = fields
        .iter()
        .filter_map(|f| f.attrs.generated_when_unset.as_ref().map(|kw| (f, kw)));
    let Some((field, keyword)) = marked.next() else {
        return false;
    };
    let mut ok = true;
    for (other, keyword) in marked {
        ok = false;
        cx.error_spanned_by(
            keyword,
            format!(
                "#[hook(generated_when_unset)] is on `{}` and `{}`: it goes on the primary key \
                 only, once",
                field.name(),
                other.name()
            ),
        );
    }
    let name = field.name();
    match key {
        Some([single]) if single.index == field.index => {}
        Some([single]) => {
            ok = false;
            cx.error_spanned_by(
                keyword,
                format!(
                    "#[hook(generated_when_unset)] goes on the primary key: `{name}` is not the \
                     key of `{}` (`{}` is); move it there",
                    input.ident,
                    single.name()
                ),
            );
        }
        Some(parts) => {
            ok = false;
            let names: Vec<String> = parts.iter().map(|f| f.name()).collect();
            cx.error_spanned_by(
                keyword,
                format!(
                    "#[hook(generated_when_unset)] needs a single-column primary key, and `{}`'s \
                     has {} ({}): a composite key is given whole; remove the attribute",
                    input.ident,
                    parts.len(),
                    names.join(", ")
                ),
            );
        }
        // The missing key is reported already.
        None => ok = false,
    }
    if let Some(skip) = &field.attrs.skip_insertion {
        ok = false;
        cx.error_spanned_by(
            skip,
            format!(
                "`{name}` is both #[diesel(skip_insertion)] (the database generates every key) \
                 and #[hook(generated_when_unset)] (a given key is written): remove \
                 skip_insertion, so that given keys are inserted"
            ),
        );
    }
    ok
}

fn check_count(cx: &Ctxt, input: &Input, fields: &[Field]) {
    if let Some(extra) = fields.get(MAX_FIELDS) {
        cx.error_spanned_by(
            extra.original,
            format!(
                "HookModel supports at most {MAX_FIELDS} fields and `{}` has {}: \
                 split the table or the model",
                input.ident,
                fields.len()
            ),
        );
    }
}

/// Two fields must not give the same descriptor name (`a_b` and `aB`).
fn check_descriptors(cx: &Ctxt, fields: &[Field]) {
    let mut seen: HashMap<String, &Field> = HashMap::new();
    for field in fields {
        let name = field.const_ident().to_string();
        if let Some(first) = seen.get(&name) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "fields `{}` and `{}` would both get the descriptor `{name}`: rename one",
                    first.name(),
                    field.name()
                ),
            );
        } else {
            seen.insert(name, field);
        }
    }
}

//! Attribute parsing: the few `#[diesel(...)]` options HookModel needs (all
//! others are skipped, whatever their syntax) and our own `#[hook(...)]`,
//! where an unknown key is an error.

use proc_macro2::{Spacing, TokenTree};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Attribute, Ident, LitStr, Meta, Path, Token};

use crate::ctxt::Ctxt;

/// What the struct's attributes say.
#[derive(Default)]
pub(crate) struct StructAttrs {
    /// `#[diesel(table_name = path)]`.
    pub table_name: Option<Path>,
    /// `#[diesel(primary_key(a, b))]`.
    pub primary_key: Option<PrimaryKey>,
    /// `#[hook(crate = "path")]`.
    pub krate: Option<Path>,
}

/// `#[diesel(primary_key(a, b))]`.
pub(crate) struct PrimaryKey {
    /// The `primary_key` keyword, for spans.
    pub keyword: Ident,
    /// The key columns, in key order.
    pub columns: Vec<Ident>,
}

/// What a field's attributes say.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `#[diesel(column_name = name)]`.
    pub column_name: Option<Ident>,
    /// `#[diesel(skip_insertion)]`, its keyword (for spans).
    pub skip_insertion: Option<Ident>,
    /// `#[hook(generated_when_unset)]`, its keyword (for spans).
    pub generated_when_unset: Option<Ident>,
}

pub(crate) fn struct_attrs(cx: &Ctxt, attrs: &[Attribute]) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in attrs {
        if is_list(attr, "diesel") {
            diesel_attr(cx, attr, |key, input| {
                if key == "table_name" {
                    input.parse::<Token![=]>()?;
                    let path = input.parse::<Path>()?;
                    set_once(cx, &mut out.table_name, &key, path);
                } else if key == "primary_key" {
                    let columns = parse_primary_key(input)?;
                    let pk = PrimaryKey {
                        keyword: key.clone(),
                        columns,
                    };
                    set_once(cx, &mut out.primary_key, &key, pk);
                } else {
                    skip_value(input)?;
                }
                Ok(())
            });
        } else if attr.path().is_ident("hook") {
            hook_attr(cx, attr, |key, input| {
                if key == "crate" {
                    let path = parse_crate_path(input)?;
                    set_once(cx, &mut out.krate, &key, path);
                } else if key == "generated_when_unset" {
                    cx.error_spanned_by(
                        &key,
                        "#[hook(generated_when_unset)] goes on the primary-key field, \
                         not on the struct",
                    );
                    skip_value(input)?;
                } else {
                    cx.error_spanned_by(
                        &key,
                        format!(
                            "unknown hook attribute `{key}`: the only option is \
                             #[hook(crate = \"path::to::hooks_diesel\")]"
                        ),
                    );
                    skip_value(input)?;
                }
                Ok(())
            });
        }
    }
    out
}

pub(crate) fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        if is_list(attr, "diesel") {
            diesel_attr(cx, attr, |key, input| {
                if key == "column_name" {
                    input.parse::<Token![=]>()?;
                    let name = parse_column(input)?;
                    set_once(cx, &mut out.column_name, &key, name);
                } else if key == "skip_insertion" {
                    out.skip_insertion = Some(key);
                } else {
                    skip_value(input)?;
                }
                Ok(())
            });
        } else if attr.path().is_ident("hook") {
            hook_attr(cx, attr, |key, input| {
                if key == "generated_when_unset" {
                    if !(input.is_empty() || input.peek(Token![,])) {
                        cx.error_spanned_by(
                            &key,
                            "`generated_when_unset` takes no value: write #[hook(generated_when_unset)]",
                        );
                        skip_value(input)?;
                    }
                    set_once(cx, &mut out.generated_when_unset, &key, key.clone());
                    Ok(())
                } else {
                    cx.error_spanned_by(
                        &key,
                        format!(
                            "unknown hook attribute `{key}`: the only field option is \
                             #[hook(generated_when_unset)], on the primary key"
                        ),
                    );
                    skip_value(input)
                }
            });
        }
    }
    out
}

fn is_list(attr: &Attribute, name: &str) -> bool {
    matches!(&attr.meta, Meta::List(_)) && attr.path().is_ident(name)
}

fn report(cx: &Ctxt, result: syn::Result<()>) {
    if let Err(err) = result {
        cx.syn_error(err);
    }
}

/// `#[diesel(...)]`: each entry goes to `entry` (Diesel checks the
/// attribute itself; the entries this derive does not read are skipped).
fn diesel_attr(
    cx: &Ctxt,
    attr: &Attribute,
    entry: impl FnMut(Ident, ParseStream) -> syn::Result<()>,
) {
    report(
        cx,
        attr.parse_args_with(|input: ParseStream| entries(input, entry)),
    );
}

/// `#[hook(...)]`: must be a list; each entry goes to `entry`.
fn hook_attr(
    cx: &Ctxt,
    attr: &Attribute,
    mut entry: impl FnMut(Ident, ParseStream) -> syn::Result<()>,
) {
    if !matches!(&attr.meta, Meta::List(_)) {
        cx.error_spanned_by(attr, "expected #[hook(...)]");
        return;
    }
    report(
        cx,
        attr.parse_args_with(|input: ParseStream| entries(input, &mut entry)),
    );
}

/// A comma-separated list of `key`, `key = value` or `key(...)` entries.
/// Entries that do not start with a name are skipped.
fn entries(
    input: ParseStream,
    mut entry: impl FnMut(Ident, ParseStream) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        if input.peek(Ident::peek_any) {
            let key = input.call(Ident::parse_any)?;
            entry(key, input)?;
        } else {
            skip_value(input)?;
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// Skips to the next top-level comma (commas inside `<...>` belong to the
/// value, as in `serialize_as = Wrapper<A, B>`).
fn skip_value(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut angles = 0usize;
        let mut after_joint = false;
        while let Some((tt, next)) = rest.token_tree() {
            if let TokenTree::Punct(p) = &tt {
                match p.as_char() {
                    ',' if angles == 0 => break,
                    '<' => angles += 1,
                    // `->` and `=>` are not closing brackets.
                    '>' if !after_joint => angles = angles.saturating_sub(1),
                    _ => {}
                }
            }
            after_joint = matches!(&tt, TokenTree::Punct(p)
                if p.spacing() == Spacing::Joint && matches!(p.as_char(), '-' | '='));
            rest = next;
        }
        Ok(((), rest))
    })
}

/// `(a, b, "c")`.
fn parse_primary_key(input: ParseStream) -> syn::Result<Vec<Ident>> {
    let content;
    syn::parenthesized!(content in input);
    let names = content.parse_terminated(parse_column, Token![,])?;
    Ok(names.into_iter().collect())
}

/// A column name: an identifier or a string literal, as Diesel accepts.
fn parse_column(input: ParseStream) -> syn::Result<Ident> {
    if input.peek(LitStr) {
        let lit = input.parse::<LitStr>()?;
        let value = lit.value();
        syn::parse_str::<Ident>(&value)
            .or_else(|_| syn::parse_str::<Ident>(&format!("r#{value}")))
            .map(|mut ident| {
                ident.set_span(lit.span());
                ident
            })
            .map_err(|_| {
                syn::Error::new(
                    lit.span(),
                    format!("`{value}` is not a valid column name: use the name of a column of the table! module"),
                )
            })
    } else {
        input.parse::<Ident>()
    }
}

/// `= "path"` or `= path`.
fn parse_crate_path(input: ParseStream) -> syn::Result<Path> {
    input.parse::<Token![=]>()?;
    if input.peek(LitStr) {
        input.parse::<LitStr>()?.parse()
    } else {
        input.parse()
    }
}

fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, key: &Ident, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(key, format!("duplicate `{key}`: give it once"));
    } else {
        *slot = Some(value);
    }
}

/// The name as written, without `r#`.
pub(crate) fn unraw(ident: &Ident) -> String {
    ident.unraw().to_string()
}

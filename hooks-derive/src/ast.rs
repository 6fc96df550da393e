//! The derive input, parsed: the struct's shape, its fields and what their
//! attributes say.

use proc_macro2::Span;
use syn::{Data as SynData, DeriveInput, Fields, Generics, Ident, Type};

use crate::attr::{self, FieldAttrs, StructAttrs};
use crate::ctxt::Ctxt;

/// The item the derive is on.
pub(crate) struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: StructAttrs,
    pub data: Data<'a>,
}

/// The item's shape; only `Named` can be a model.
pub(crate) enum Data<'a> {
    Named(Vec<Field<'a>>),
    Tuple(&'a Fields),
    Unit,
    Enum(&'a syn::token::Enum),
    Union(&'a syn::token::Union),
}

/// One named field.
pub(crate) struct Field<'a> {
    /// Position in declaration order: the index in `FIELDS`.
    pub index: usize,
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub original: &'a syn::Field,
}

impl<'a> Input<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, node: &'a DeriveInput) -> Self {
        // Struct attributes first, so that errors come in source order.
        let attrs = attr::struct_attrs(cx, &node.attrs);
        let data = match &node.data {
            SynData::Struct(s) => match &s.fields {
                Fields::Named(named) => Data::Named(
                    named
                        .named
                        .iter()
                        .enumerate()
                        .map(|(index, field)| Field::from_syn(cx, index, field))
                        .collect(),
                ),
                fields @ Fields::Unnamed(_) => Data::Tuple(fields),
                Fields::Unit => Data::Unit,
            },
            SynData::Enum(e) => Data::Enum(&e.enum_token),
            SynData::Union(u) => Data::Union(&u.union_token),
        };
        Input {
            ident: &node.ident,
            generics: &node.generics,
            attrs,
            data,
        }
    }

    /// The fields, when the item is a struct with named fields.
    pub(crate) fn named_fields(&self) -> Option<&[Field<'a>]> {
        match &self.data {
            Data::Named(fields) => Some(fields),
            _ => None,
        }
    }

    /// The field a key column names: by column name, else by field name.
    pub(crate) fn find_field(&self, name: &str) -> Option<&Field<'a>> {
        let fields = self.named_fields()?;
        fields
            .iter()
            .find(|f| f.column_name() == name)
            .or_else(|| fields.iter().find(|f| f.name() == name))
    }
}

impl<'a> Field<'a> {
    fn from_syn(cx: &Ctxt, index: usize, field: &'a syn::Field) -> Self {
        Field {
            index,
            ident: field.ident.as_ref().expect("named field"),
            ty: &field.ty,
            attrs: attr::field_attrs(cx, &field.attrs),
            original: field,
        }
    }

    /// The Rust field name, without `r#`.
    pub(crate) fn name(&self) -> String {
        attr::unraw(self.ident)
    }

    /// The column in the `table!` module.
    pub(crate) fn column(&self) -> &Ident {
        self.attrs.column_name.as_ref().unwrap_or(self.ident)
    }

    /// The column name, without `r#`.
    pub(crate) fn column_name(&self) -> String {
        attr::unraw(self.column())
    }

    /// The descriptor constant: `BALANCE` for `balance`.
    pub(crate) fn const_ident(&self) -> Ident {
        Ident::new(&screaming_snake_case(&self.name()), self.span())
    }

    pub(crate) fn span(&self) -> Span {
        self.ident.span()
    }

    /// Whether the field's type is written `Option<..>` (with or without
    /// its path): read as the nullable form of its column's SQL type.
    pub(crate) fn is_option(&self) -> bool {
        match self.ty {
            Type::Path(path) if path.qself.is_none() => {
                path.path.segments.last().is_some_and(|last| {
                    last.ident == "Option"
                        && matches!(&last.arguments, syn::PathArguments::AngleBracketed(args)
                            if args.args.len() == 1)
                })
            }
            _ => false,
        }
    }

    /// The span of the field's type (its first token on stable Rust).
    pub(crate) fn ty_span(&self) -> Span {
        syn::spanned::Spanned::span(self.ty)
    }
}

/// `updated_at` -> `UPDATED_AT`, `camelCase` -> `CAMEL_CASE`.
fn screaming_snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::screaming_snake_case;

    #[test]
    fn screaming() {
        assert_eq!(screaming_snake_case("balance"), "BALANCE");
        assert_eq!(screaming_snake_case("updated_at"), "UPDATED_AT");
        assert_eq!(screaming_snake_case("camelCase"), "CAMEL_CASE");
        assert_eq!(screaming_snake_case("v2"), "V2");
        assert_eq!(screaming_snake_case("_x"), "_X");
    }
}

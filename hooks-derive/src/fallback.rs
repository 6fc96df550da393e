//! What is emitted next to the errors: just enough for the struct to be a
//! `HookModel` (and a `ModelBinds` when its table is known) with
//! bodies that type-check whatever the errors, so that the user sees the
//! errors in the attributes and not a cascade of "trait not implemented"
//! or "no associated item" errors from the code that uses the model.
//!
//! Enums, unions and generic structs get nothing: they cannot be models.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Data, Input};
use crate::expand::{crate_path, descriptors};

pub(crate) fn expand(input: &Input) -> TokenStream {
    let is_struct = matches!(input.data, Data::Named(_) | Data::Tuple(_) | Data::Unit);
    if !is_struct || !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return TokenStream::new();
    }
    let ident = input.ident;
    let krate = crate_path(input);
    let core = quote!(#krate::hooks_core);
    let model_name = ident.to_string();
    let table_name = input
        .attrs
        .table_name
        .as_ref()
        .and_then(|t| t.segments.last())
        .map(|s| s.ident.to_string())
        .unwrap_or_default();

    let mut out = quote! {
        #[automatically_derived]
        impl #core::HookModel for #ident {
            type Key = ();

            const MODEL: &'static str = #model_name;
            const TABLE: &'static str = #table_name;
            const FIELDS: &'static [#core::FieldInfo] = &[];

            fn key(&self) -> Self::Key {}

            fn has_key(&self) -> bool {
                false
            }

            fn set_key(&mut self, _key: Self::Key) {}

            fn diff(&self, _other: &Self) -> #core::FieldSet {
                #core::FieldSet::EMPTY
            }

            fn copy_fields(&mut self, _from: &Self, _fields: #core::FieldSet) {}
        }
    };

    // The descriptors, so that conditions naming them still resolve; one
    // per name (a clash is one of the errors reported).
    if let Data::Named(fields) = &input.data {
        let mut seen = HashSet::new();
        let unique = fields
            .iter()
            .filter(|f| seen.insert(f.const_ident().to_string()));
        out.extend(descriptors(ident, unique, &krate));
    }

    if let Some(table) = &input.attrs.table_name {
        let diesel = quote!(#krate::diesel);
        out.extend(quote! {
            #[automatically_derived]
            impl #krate::ModelTable for #ident {
                type Table = #table::table;
            }

            #[automatically_derived]
            impl<__DB: #krate::HookBackend> #krate::__private::ModelBinds<__DB> for #ident {
                type KeySqlType = ();

                fn field_type(
                    field: usize,
                    _: &mut <__DB as #diesel::sql_types::TypeMetadata>::MetadataLookup,
                ) -> #diesel::QueryResult<<__DB as #diesel::sql_types::TypeMetadata>::TypeMetadata> {
                    ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, field))
                }

                fn bind_field<'b>(
                    &'b self,
                    field: usize,
                    _: &mut #diesel::query_builder::AstPass<'_, 'b, __DB>,
                ) -> #diesel::QueryResult<()> {
                    ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, field))
                }

                fn bind_key<'b>(
                    _: &'b (),
                    part: usize,
                    _: &mut #diesel::query_builder::AstPass<'_, 'b, __DB>,
                ) -> #diesel::QueryResult<()> {
                    ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, part))
                }

                fn collect_field<'c>(
                    &'c self,
                    field: usize,
                    _: &mut <__DB as #diesel::backend::Backend>::BindCollector<'c>,
                    _: &mut <__DB as #diesel::sql_types::TypeMetadata>::MetadataLookup,
                ) -> #diesel::QueryResult<()> {
                    ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, field))
                }

                fn collect_key<'c>(
                    _: &'c (),
                    part: usize,
                    _: &mut <__DB as #diesel::backend::Backend>::BindCollector<'c>,
                    _: &mut <__DB as #diesel::sql_types::TypeMetadata>::MetadataLookup,
                ) -> #diesel::QueryResult<()> {
                    ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, part))
                }

                fn bind_column<'b>(
                    column: &'b #krate::__private::Column<'_, Self>,
                    _: &mut #diesel::query_builder::AstPass<'_, 'b, __DB>,
                ) -> #diesel::QueryResult<()> {
                    ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, column.field()))
                }
            }
        });
    }
    out
}

//! Generation of the `ModelBinds` impl of a valid model: per backend, the
//! binds of each field by its Diesel SQL type, and the key's SQL type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Path;

use crate::ast::Field;
use crate::expand::column_path;
use crate::valid::Model;

/// The SQL type a field is bound with: its column's,
/// `<accounts::balance as Expression>::SqlType`; for an `Option` field,
/// that type made nullable (the same type for a `Nullable` column), so
/// that an `Option` may stand for a column that is not null, as Diesel's
/// `Insertable` allows (`None` is then `DEFAULT`: a key generated when
/// unset).
fn sql_type(table: &Path, field: &Field, krate: &Path) -> TokenStream {
    let column = column_path(table, field);
    let diesel = quote!(#krate::diesel);
    if field.is_option() {
        quote_spanned!(field.column().span()=>
            <<#column as #diesel::Expression>::SqlType as #diesel::sql_types::IntoNullable>::Nullable
        )
    } else {
        quote_spanned!(field.column().span()=>
            <#column as #diesel::Expression>::SqlType
        )
    }
}

pub(crate) fn model_binds(model: &Model, krate: &Path) -> TokenStream {
    let ident = model.input.ident;
    let model_name = ident.to_string();
    let diesel = quote!(#krate::diesel);
    let db = format_ident!("__DB");

    let bounds = model.fields.iter().map(|f| {
        let ty = f.ty;
        let st = sql_type(model.table, f, krate);
        quote_spanned! {f.ty_span()=>
            #ty: #diesel::serialize::ToSql<#st, #db> + #diesel::deserialize::FromSql<#st, #db>,
            #db: #diesel::sql_types::HasSqlType<#st>,
        }
    });
    let field_arms = model.fields.iter().map(|f| {
        let index = f.index;
        let member = f.ident;
        let ty = f.ty;
        let st = sql_type(model.table, f, krate);
        quote!(#index => out.push_bind_param::<#st, #ty>(&self.#member),)
    });
    let collect_arms = model.fields.iter().map(|f| {
        let index = f.index;
        let member = f.ident;
        let ty = f.ty;
        let st = sql_type(model.table, f, krate);
        quote! {
            #index => #diesel::query_builder::BindCollector::<'c, #db>::push_bound_value::<#st, #ty>(
                out, &self.#member, lookup,
            ),
        }
    });
    let decode_arms = model.fields.iter().map(|f| {
        let index = f.index;
        let member = f.ident;
        let ty = f.ty;
        let st = sql_type(model.table, f, krate);
        quote! {
            #index => {
                self.#member = <#ty as #diesel::deserialize::FromSql<#st, #db>>::from_nullable_sql(value)?;
                ::core::result::Result::Ok(())
            }
        }
    });
    let column_arms = model.fields.iter().map(|f| {
        let index = f.index;
        let st = sql_type(model.table, f, krate);
        quote!(#index => <#db as #krate::HookBackend>::push_array::<#st, Self>(column, out),)
    });
    let array_probes = model.fields.iter().map(|f| {
        let index = f.index;
        let st = sql_type(model.table, f, krate);
        quote! {
            if (&#krate::__private::SqlTypeProbe::<#st>::NEW).is_array() {
                fields.insert(#index);
            }
        }
    });
    let zero_arms = model.fields.iter().map(|f| {
        let index = f.index;
        let st = sql_type(model.table, f, krate);
        quote!(#index => (&#krate::__private::SqlTypeProbe::<#st>::NEW).zero(),)
    });
    let single = model.key.len() == 1;
    let key_part = |part: usize| {
        if single {
            quote!(key)
        } else {
            let member = syn::Index::from(part);
            quote!(&key.#member)
        }
    };
    let key_arms = model.key.iter().enumerate().map(|(part, f)| {
        let ty = f.ty;
        let st = sql_type(model.table, f, krate);
        let value = key_part(part);
        quote!(#part => out.push_bind_param::<#st, #ty>(#value),)
    });
    let collect_key_arms = model.key.iter().enumerate().map(|(part, f)| {
        let ty = f.ty;
        let st = sql_type(model.table, f, krate);
        let value = key_part(part);
        quote! {
            #part => #diesel::query_builder::BindCollector::<'c, #db>::push_bound_value::<#st, #ty>(
                out, #value, lookup,
            ),
        }
    });
    let type_arms = model.fields.iter().map(|f| {
        let index = f.index;
        let st = sql_type(model.table, f, krate);
        quote! {
            #index => ::core::result::Result::Ok(
                <#db as #diesel::sql_types::HasSqlType<#st>>::metadata(lookup),
            ),
        }
    });
    let key_sql_type = match model.key.as_slice() {
        [single] => sql_type(model.table, single, krate),
        parts => {
            let types = parts.iter().map(|f| sql_type(model.table, f, krate));
            quote!((#(#types,)*))
        }
    };
    let no_field = quote!(_ => ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, field)),);
    let no_part = quote!(_ => ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, part)),);
    let collector = quote!(<#db as #diesel::backend::Backend>::BindCollector<'c>);
    let lookup = quote!(<#db as #diesel::sql_types::TypeMetadata>::MetadataLookup);
    let key = quote!(<Self as #krate::hooks_core::HookModel>::Key);
    let ast_pass = quote!(#diesel::query_builder::AstPass<'_, 'b, #db>);

    quote! {
        #[automatically_derived]
        impl<#db> #krate::__private::ModelBinds<#db> for #ident
        where
            #db: #krate::HookBackend,
            #(#bounds)*
        {
            type KeySqlType = #key_sql_type;

            fn field_type(
                field: usize,
                lookup: &mut #lookup,
            ) -> #diesel::QueryResult<<#db as #diesel::sql_types::TypeMetadata>::TypeMetadata> {
                match field {
                    #(#type_arms)*
                    #no_field
                }
            }

            fn bind_field<'b>(&'b self, field: usize, out: &mut #ast_pass) -> #diesel::QueryResult<()> {
                match field {
                    #(#field_arms)*
                    #no_field
                }
            }

            fn bind_key<'b>(key: &'b #key, part: usize, out: &mut #ast_pass) -> #diesel::QueryResult<()> {
                match part {
                    #(#key_arms)*
                    #no_part
                }
            }

            fn collect_field<'c>(
                &'c self,
                field: usize,
                out: &mut #collector,
                lookup: &mut #lookup,
            ) -> #diesel::QueryResult<()> {
                match field {
                    #(#collect_arms)*
                    #no_field
                }
            }

            fn decode_field(
                &mut self,
                field: usize,
                value: ::core::option::Option<<#db as #diesel::backend::Backend>::RawValue<'_>>,
            ) -> #diesel::deserialize::Result<()> {
                match field {
                    #(#decode_arms)*
                    _ => ::core::result::Result::Err(#krate::__private::no_such_field(#model_name, field).into()),
                }
            }

            fn collect_key<'c>(
                key: &'c #key,
                part: usize,
                out: &mut #collector,
                lookup: &mut #lookup,
            ) -> #diesel::QueryResult<()> {
                match part {
                    #(#collect_key_arms)*
                    #no_part
                }
            }

            fn bind_column<'b>(
                column: &'b #krate::__private::Column<'_, Self>,
                out: &mut #ast_pass,
            ) -> #diesel::QueryResult<()> {
                let field = column.field();
                match field {
                    #(#column_arms)*
                    #no_field
                }
            }

            fn array_fields() -> #krate::hooks_core::FieldSet {
                #[allow(unused_imports)]
                use #krate::__private::{ArraySqlType as _, ScalarSqlType as _};
                let mut fields = #krate::hooks_core::FieldSet::EMPTY;
                #(#array_probes)*
                fields
            }

            fn zero_sql(field: usize) -> ::core::option::Option<&'static str> {
                #[allow(unused_imports)]
                use #krate::__private::{KnownZero as _, UnknownZero as _};
                match field {
                    #(#zero_arms)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

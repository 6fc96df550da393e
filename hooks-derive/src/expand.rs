//! Generation of the impls for a valid model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{parse_quote, DeriveInput, Path};

use crate::ast::{Field, Input};
use crate::attr::unraw;
use crate::binds;
use crate::ctxt::{to_compile_errors, Ctxt};
use crate::fallback;
use crate::valid::{self, Model};

/// The whole derive: the impls, or on errors the errors and a fallback.
pub(crate) fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let input = Input::from_syn(&cx, node);
    let model = valid::check(&cx, &input);
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand(&model),
        (result, _) => {
            let mut out = fallback::expand(&input);
            out.extend(to_compile_errors(result.err().unwrap_or_default()));
            out
        }
    }
}

/// The path of `hooks_diesel` in generated code.
pub(crate) fn crate_path(input: &Input) -> Path {
    input
        .attrs
        .krate
        .clone()
        .unwrap_or_else(|| parse_quote!(::hooks_diesel))
}

fn expand(model: &Model) -> TokenStream {
    let krate = crate_path(model.input);
    let mut out = hook_model(model, &krate);
    out.extend(descriptors(model.input.ident, model.fields, &krate));
    out.extend(table_model(model, &krate));
    out.extend(binds::model_binds(model, &krate));
    out
}

/// Where errors about the table point: the `table_name` path.
fn table_span(table: &Path) -> proc_macro2::Span {
    syn::spanned::Spanned::span(table)
}

/// `accounts::balance`, spanned at the field (or its `column_name`).
pub(crate) fn column_path(table: &Path, field: &Field) -> TokenStream {
    let column = field.column();
    quote!(#table::#column)
}

fn hook_model(model: &Model, krate: &Path) -> TokenStream {
    let ident = model.input.ident;
    let core = quote!(#krate::hooks_core);
    let model_name = ident.to_string();
    let table = model.table;
    // The module's name, for a table in a schema, whose SQL name Diesel
    // keeps private.
    let module_name = table
        .segments
        .last()
        .map(|s| unraw(&s.ident))
        .unwrap_or_default();
    let table_name = quote_spanned!(table_span(table)=>
        #krate::__private::sql_table_name::<#table::table>(#module_name)
    );

    let (key_type, key_value) = match model.key.as_slice() {
        [single] => {
            let (ty, member) = (single.ty, single.ident);
            (
                quote!(#ty),
                quote!(::core::clone::Clone::clone(&self.#member)),
            )
        }
        parts => {
            let types = parts.iter().map(|f| f.ty);
            let members = parts.iter().map(|f| f.ident);
            (
                quote!((#(#types,)*)),
                quote!((#(::core::clone::Clone::clone(&self.#members),)*)),
            )
        }
    };
    let key_set = model.key.iter().map(|f| {
        let member = f.ident;
        quote_spanned!(f.ty_span()=> !#core::KeyValue::is_unset(&self.#member))
    });
    let has_key = quote!(#(#key_set)&&*);
    let set_key = match model.key.as_slice() {
        [single] => {
            let member = single.ident;
            quote!(self.#member = key;)
        }
        parts => {
            let assignments = parts.iter().enumerate().map(|(i, f)| {
                let member = f.ident;
                let part = syn::Index::from(i);
                quote!(self.#member = key.#part;)
            });
            quote!(#(#assignments)*)
        }
    };
    let key_indices = model.key.iter().map(|f| f.index);
    let generated_when_unset = model.generated_when_unset.then(|| {
        quote!(
            const KEY_GENERATED_WHEN_UNSET: bool = true;
        )
    });

    let infos = model.fields.iter().map(|f| {
        let name = f.name();
        let column = column_path(table, f);
        let key = model.key.iter().any(|k| k.index == f.index);
        let insertable = f.attrs.skip_insertion.is_none();
        quote! {
            #core::FieldInfo {
                name: #name,
                column: <#column as #krate::diesel::Column>::NAME,
                key: #key,
                insertable: #insertable,
            }
        }
    });
    let diffs = model.fields.iter().map(|f| {
        let member = f.ident;
        let index = f.index;
        quote_spanned!(f.ty_span()=>
            if self.#member != other.#member {
                set.insert(#index);
            }
        )
    });

    let copies = model.fields.iter().map(|f| {
        let member = f.ident;
        let index = f.index;
        quote_spanned!(f.ty_span()=>
            if fields.contains(#index) {
                self.#member = ::core::clone::Clone::clone(&from.#member);
            }
        )
    });

    quote! {
        #[automatically_derived]
        impl #core::HookModel for #ident {
            type Key = #key_type;

            const MODEL: &'static str = #model_name;
            const TABLE: &'static str = #table_name;
            const FIELDS: &'static [#core::FieldInfo] = &[#(#infos),*];
            #generated_when_unset

            fn key(&self) -> Self::Key {
                #key_value
            }

            fn has_key(&self) -> bool {
                #has_key
            }

            fn set_key(&mut self, key: Self::Key) {
                #set_key
            }

            fn diff(&self, other: &Self) -> #core::FieldSet {
                let mut set = #core::FieldSet::EMPTY;
                #(#diffs)*
                set
            }

            fn copy_fields(&mut self, from: &Self, fields: #core::FieldSet) {
                #(#copies)*
            }

            fn key_fields() -> impl ::core::iter::Iterator<Item = usize> {
                ::core::iter::IntoIterator::into_iter([#(#key_indices),*])
            }
        }
    }
}

/// `impl Account { pub const BALANCE: Field<Account, i64> = ...; }`.
pub(crate) fn descriptors<'f, 'a: 'f>(
    ident: &syn::Ident,
    fields: impl IntoIterator<Item = &'f Field<'a>>,
    krate: &Path,
) -> TokenStream {
    let consts = fields.into_iter().map(|f| descriptor(ident, f, krate));
    quote! {
        impl #ident {
            #(#consts)*
        }
    }
}

fn descriptor(ident: &syn::Ident, field: &Field, krate: &Path) -> TokenStream {
    let name = field.name();
    let column = field.column_name();
    let index = field.index;
    let member = field.ident;
    let ty = field.ty;
    let const_ident = field.const_ident();
    let getter = format_ident!("get");
    let doc = format!(
        " The `{name}` field (column `{column}`, index {index}) of [`{ident}`]: a typed \
         descriptor for hook conditions and field lists."
    );
    quote! {
        #[doc = #doc]
        pub const #const_ident: #krate::hooks_core::Field<#ident, #ty> = {
            fn #getter(record: &#ident) -> &#ty {
                &record.#member
            }
            #krate::hooks_core::Field::new(#index, #name, #getter)
        };
    }
}

fn table_model(model: &Model, krate: &Path) -> TokenStream {
    let ident = model.input.ident;
    let table = model.table;
    quote! {
        #[automatically_derived]
        impl #krate::ModelTable for #ident {
            type Table = #table::table;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::derive;

    fn expand(src: &str) -> String {
        let input: syn::DeriveInput = syn::parse_str(src).expect("valid item");
        let out = derive(&input);
        syn::parse2::<syn::File>(out.clone()).expect("expansion parses as items");
        out.to_string()
    }

    const ACCOUNT: &str = r#"
        #[diesel(table_name = accounts, check_for_backend(diesel::sqlite::Sqlite))]
        #[diesel(serialize_as = Wrapper<A, B>, belongs_to(User, foreign_key = owner_id))]
        pub struct Account {
            #[diesel(skip_insertion)]
            pub id: i64,
            #[diesel(embed, treat_none_as_null = true, column_name = "owner_name")]
            pub owner: String,
            pub balance: i64,
        }
    "#;

    #[test]
    fn expands_a_model() {
        let out = expand(ACCOUNT);
        if std::env::var_os("HOOKS_DERIVE_PRINT").is_some() {
            println!("{out}");
        }
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("const BALANCE"));
        assert!(out.contains("accounts :: owner_name"));
        assert!(out.contains("type Key = i64"));
        assert!(out.contains("type Table = accounts :: table"));
    }

    #[test]
    fn reports_every_error() {
        let out = expand(
            r#"
            #[hook(krate = "x", crate = "y")]
            #[diesel(primary_key(nope, id))]
            struct Account { id: i64 }
            "#,
        );
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        assert!(out.contains("unknown hook attribute `krate`"));
        assert!(out.contains("primary key column `nope`"));
        assert!(out.contains("HookModel needs the table"));
        // The fallback keeps the model usable.
        assert!(out.contains("type Key = ()"));
        assert!(out.contains("const ID"));
    }

    #[test]
    fn enums_get_only_the_error() {
        let out = expand("#[diesel(table_name = t)] enum E { A }");
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(!out.contains("impl"), "{out}");
    }
}

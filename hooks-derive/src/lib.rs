//! `#[derive(HookModel)]` for Diesel model structs used with `hooks-diesel`.
//!
//! Use it through `hooks_diesel::HookModel` (or `hooks_diesel::prelude`),
//! next to Diesel's own derives; [`HookModel`](derive@HookModel) documents
//! what it generates and every attribute it reads, each with an example.
//! Those examples derive through `hooks_diesel`, which depends on this
//! crate, so they run as doctests of `hooks-examples`.

#![warn(missing_docs, unreachable_pub)]

extern crate proc_macro;

mod ast;
mod attr;
mod binds;
mod ctxt;
mod expand;
mod fallback;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

#[doc = include_str!("derive.md")]
#[proc_macro_derive(HookModel, attributes(diesel, hook))]
pub fn derive_hook_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

//! Reading some fields of a record as JSON text without serialising the
//! whole record into a `serde_json::Value`: a serde serializer that accepts
//! a struct and keeps the JSON of the fields asked for.

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

/// Why picking failed: the record is not serialised as a struct, or a
/// field's value could not be written.
#[derive(Debug)]
pub(crate) struct NotAStruct(String);

/// The record serialises as `what` where a struct was expected.
fn not_a_struct(what: &str) -> NotAStruct {
    NotAStruct(format!("the record serialises as {what}, not as a struct"))
}

impl std::fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAStruct {}

impl ser::Error for NotAStruct {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NotAStruct(msg.to_string())
    }
}

/// The JSON text of the fields of `record` named in `wanted`, in the
/// record's field order.
pub(crate) fn pick<M: Serialize>(
    record: &M,
    wanted: &[&'static str],
) -> Result<Vec<(&'static str, String)>, NotAStruct> {
    record.serialize(Picker { wanted })
}

struct Picker<'a> {
    wanted: &'a [&'static str],
}

struct Fields<'a> {
    wanted: &'a [&'static str],
    out: Vec<(&'static str, String)>,
}

impl SerializeStruct for Fields<'_> {
    type Ok = Vec<(&'static str, String)>;
    type Error = NotAStruct;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotAStruct> {
        if self.wanted.contains(&key) {
            let json = serde_json::to_string(value).map_err(|e| NotAStruct(e.to_string()))?;
            self.out.push((key, json));
        }
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, NotAStruct> {
        Ok(self.out)
    }
}

type Never = Impossible<Vec<(&'static str, String)>, NotAStruct>;

/// Serializer methods refusing what is not a struct: `name(args);`
/// returns `Self::Ok`, `name(args) -> Type: "what";` that type.
macro_rules! not_a_struct {
    ($($name:ident($($arg:ty),*);)*) => {$(
        fn $name(self, $(_: $arg),*) -> Result<Self::Ok, NotAStruct> {
            Err(not_a_struct(stringify!($name)))
        }
    )*};
    ($($name:ident($($arg:ty),*) -> $ret:ty: $what:literal;)*) => {$(
        fn $name(self, $(_: $arg),*) -> Result<$ret, NotAStruct> {
            Err(not_a_struct($what))
        }
    )*};
}

impl<'a> Serializer for Picker<'a> {
    type Ok = Vec<(&'static str, String)>;
    type Error = NotAStruct;
    type SerializeSeq = Never;
    type SerializeTuple = Never;
    type SerializeTupleStruct = Never;
    type SerializeTupleVariant = Never;
    type SerializeMap = Never;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Never;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Fields<'a>, NotAStruct> {
        Ok(Fields {
            wanted: self.wanted,
            out: Vec::with_capacity(len.min(self.wanted.len())),
        })
    }

    not_a_struct! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Self::Ok, NotAStruct> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Self::Ok, NotAStruct> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, NotAStruct> {
        Err(not_a_struct("an enum variant"))
    }

    not_a_struct! {
        serialize_seq(Option<usize>) -> Never: "a sequence";
        serialize_tuple(usize) -> Never: "a tuple";
        serialize_tuple_struct(&'static str, usize) -> Never: "a tuple struct";
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Never: "an enum variant";
        serialize_map(Option<usize>) -> Never: "a map";
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Never: "an enum variant";
    }
}

//! The one definition of a closed vocabulary: each identifier is written once,
//! and serde (the wire), `as_str`, `parse`, `Display` and the JSON Schema all
//! use that spelling.

/// Declares a closed set of identifiers: an enum with `ALL`, `as_str`,
/// `parse` and `Display` from one spelling per variant. Attributes before the
/// enum and before each variant are kept (`vocabulary!` adds serde's). Also
/// used by the knowledge base for the ids the engine's code names.
#[macro_export]
macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every identifier of the set, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The identifier's one spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The variant spelt `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Declares a closed vocabulary of the contract: a `closed_set!` whose
/// variants are spelt on the wire exactly as written here
/// (`#[serde(rename)]` per variant, never a derived spelling: serde's
/// snake_case would turn `Urgent24h` into `urgent24h`).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $crate::closed_set!(
            $(#[$meta])*
            #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
            $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant = $text),+ }
        );
    };
}
pub(crate) use vocabulary;

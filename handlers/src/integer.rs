//! Integers of an input as JSON Schema counts them: `1.0` is the integer 1 (JSON Schema
//! 2020-12 §6.3: "a number with a zero fractional part"), so a client that checks its request
//! against the OpenAPI document (`/openapi.json`) is not refused for writing `0.0`. serde's
//! own integer types refuse any number written with a fraction or an exponent. A number with
//! a non-zero fraction, or outside the type's range, is still refused, with serde's own
//! message (`invalid type: floating point ...`, `invalid value: integer ...`).
//!
//! Use as `#[serde(deserialize_with = "crate::integer::integral")]` on an integer field.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// Deserializes an integer of type `T` from a JSON integer, or from a float whose fractional
/// part is zero and whose value `T` holds.
pub fn integral<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    deserializer.deserialize_any(Integral(PhantomData))
}

/// 2^63, exactly: the first magnitude neither `i64` nor (as a negative) `u64` can take whole.
const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;

struct Integral<T>(PhantomData<T>);

impl<T> Visitor<'_> for Integral<T>
where
    T: TryFrom<i64> + TryFrom<u64>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", std::any::type_name::<T>())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        let refused = || E::invalid_type(Unexpected::Float(v), &self);
        // Within ±2^63 an integral f64 converts exactly; beyond, no field of ours has room.
        if v.fract() != 0.0 || !v.is_finite() || v.abs() >= TWO_TO_63 {
            return Err(refused());
        }
        if v >= 0.0 {
            T::try_from(v as u64).map_err(|_| refused())
        } else {
            T::try_from(v as i64).map_err(|_| refused())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Input {
        #[serde(deserialize_with = "super::integral")]
        small: u8,
        #[serde(deserialize_with = "super::integral")]
        signed: i64,
    }

    fn decode(json: &str) -> Result<(u8, i64), String> {
        serde_json::from_str::<Input>(json)
            .map(|i| (i.small, i.signed))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integral_floats_are_integers_and_nothing_else_is() {
        assert_eq!(decode(r#"{"small": 3, "signed": -4}"#), Ok((3, -4)));
        assert_eq!(decode(r#"{"small": 3.0, "signed": -4.0}"#), Ok((3, -4)));
        assert_eq!(decode(r#"{"small": 1e2, "signed": 0}"#), Ok((100, 0)));
        for bad in [
            r#"{"small": 0.5, "signed": 0}"#,
            r#"{"small": 256, "signed": 0}"#,
            r#"{"small": -1, "signed": 0}"#,
            r#"{"small": 256.0, "signed": 0}"#,
            r#"{"small": 0, "signed": 1e300}"#,
            r#"{"small": 0, "signed": 9223372036854775808}"#,
            r#"{"small": "1", "signed": 0}"#,
            r#"{"small": null, "signed": 0}"#,
        ] {
            let error = decode(bad).unwrap_err();
            assert!(
                error.starts_with("invalid type") || error.starts_with("invalid value"),
                "{bad}: {error}"
            );
        }
    }
}

//! Firmware versions: the catalogue of real strings, the comparator laws, the vers spec.

mod golden;
mod props;
mod vers_spec;

//! The timely/differential-dataflow feature graph and its from-scratch reference

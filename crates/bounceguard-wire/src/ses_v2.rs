//! SES v2 REST/JSON codec (being written).

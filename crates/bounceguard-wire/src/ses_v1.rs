//! SES v1 Query/XML codec (being written).

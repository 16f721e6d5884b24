pub mod sha1;

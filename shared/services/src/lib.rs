//! Use cases that several functions share, written against the ports: connecting a channel to an
//! Avito account and disconnecting it ([`connection`]).

pub mod answer_wait;
pub mod auto_replies;
pub mod closing;
pub mod connection;
pub mod environment;
pub mod inbound;
pub mod ports;
pub mod processing;

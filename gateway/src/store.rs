//! The vouchers the gateway holds, in an embedded database (redb), durable before a request is
//! served.

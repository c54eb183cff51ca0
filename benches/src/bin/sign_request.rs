//! Prints a wrk Lua script that replays one SigV4-signed SES v1 SendEmail request.
//!
//! Usage: `sign-request HOST:PORT ACCESS_KEY SECRET REGION > send.lua`. The signature stays valid
//! for 15 minutes (SigV4's clock-skew window), longer than any run; every replay is verified in
//! full by the server.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: sign-request HOST:PORT ACCESS_KEY SECRET REGION");
        std::process::exit(2);
    }
    let (host, access_key, secret, region) = (&args[1], &args[2], &args[3], &args[4]);
    let body = "Action=SendEmail&Version=2010-12-01&Source=no-reply%40shop.example\
        &Destination.ToAddresses.member.1=ann%40example.org\
        &Message.Subject.Data=Load%20test&Message.Body.Text.Data=Hello%20from%20wrk";
    let identity = Credentials::new(access_key, secret, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ses")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let url = format!("http://{host}/");
    let headers = [("host", host.as_str()), ("content-type", content_type)];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    println!("wrk.method = \"POST\"");
    println!("wrk.body = {}", lua_string(body));
    println!(
        "wrk.headers[\"Content-Type\"] = {}",
        lua_string(content_type)
    );
    for (name, value) in instructions.headers() {
        println!("wrk.headers[{}] = {}", lua_string(name), lua_string(value));
    }
}

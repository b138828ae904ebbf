//! `katalis doctor`: each check with its latency; exit 1 when one fails.

use crate::config::Config;
use crate::store::{AnyStore, Store};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    took: Duration,
}

/// Hides a password in a URL before it is printed.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The AI provider: for an endpoint, `GET {base_url}/models` with the key (every
/// OpenAI-compatible server answers it), its status and round trip.
async fn ai_check(cfg: &Config) -> Check {
    use crate::ai::service::Provider;
    let t = Instant::now();
    let Provider::OpenAi(ep) = &cfg.ai.provider else {
        return Check {
            name: "ai",
            ok: true,
            detail: "no endpoint configured: the offline local advisor is used".into(),
            took: t.elapsed(),
        };
    };
    let base = crate::sanitize::clean(&ep.base_url);
    let key = ep
        .api_key
        .as_ref()
        .map_or_else(|| "no key".to_owned(), |k| format!("key {}", k.masked()));
    let client = match ep.client() {
        Ok(c) => c,
        Err(e) => {
            return Check {
                name: "ai",
                ok: false,
                detail: e.to_string(),
                took: t.elapsed(),
            };
        }
    };
    let mut req = client.get(format!("{}/models", ep.base_url.trim_end_matches('/')));
    if let Some(k) = &ep.api_key {
        req = req.bearer_auth(k.expose());
    }
    let (ok, what) = match tokio::time::timeout(ep.first_byte_timeout, req.send()).await {
        Err(_) => (false, "no answer (first-byte timeout)".to_owned()),
        Ok(Err(e)) => (false, format!("unreachable: {}", crate::ai::openai::describe(&e))),
        Ok(Ok(r)) if r.status().is_success() => (true, "answers".to_owned()),
        Ok(Ok(r)) if r.status().as_u16() == 401 || r.status().as_u16() == 403 => {
            (false, format!("refuses the key ({})", r.status().as_u16()))
        }
        // Some servers have no /models; reaching them is what this checks.
        Ok(Ok(r)) => (true, format!("reachable ({} on /models)", r.status().as_u16())),
    };
    Check {
        name: "ai",
        ok,
        detail: format!("{base} · model {} · {key}: {what}", crate::sanitize::clean(&ep.model)),
        took: t.elapsed(),
    }
}

pub async fn run(cfg: &Config) -> bool {
    let mut checks = Vec::new();
    let t = Instant::now();
    checks.push(Check {
        name: "config",
        ok: true,
        detail: match &cfg.file {
            Some(p) if p.exists() => format!("{} (valid)", p.display()),
            Some(p) => format!("{} (absent: defaults in use)", p.display()),
            None => "no config directory: defaults in use".into(),
        },
        took: t.elapsed(),
    });
    let t = Instant::now();
    let url = crate::sanitize::clean(&redact_url(&cfg.database_url));
    match AnyStore::connect_with(&cfg.database_url, &cfg.postgres).await {
        Ok(store) => {
            checks.push(Check {
                name: "store",
                ok: true,
                detail: format!("{} at {url}", store.kind()),
                took: t.elapsed(),
            });
            let t = Instant::now();
            match store.describe_link().await {
                Ok(lines) => {
                    for (name, ok, detail) in lines {
                        checks.push(Check {
                            name,
                            ok,
                            detail,
                            took: t.elapsed(),
                        });
                    }
                }
                Err(e) => checks.push(Check {
                    name: "link",
                    ok: false,
                    detail: crate::sanitize::clean(&e.to_string()),
                    took: t.elapsed(),
                }),
            }
            let t = Instant::now();
            let ping = store.ping().await;
            checks.push(Check {
                name: "latency",
                ok: ping.is_ok(),
                detail: match &ping {
                    Ok(d) => format!("round trip {:.1} ms", d.as_secs_f64() * 1000.0),
                    Err(e) => e.to_string(),
                },
                took: t.elapsed(),
            });
            let t = Instant::now();
            let status = store.migration_status().await;
            checks.push(match status {
                Ok(s) => Check {
                    name: "migrations",
                    ok: s.is_current(),
                    detail: format!("{} of {} applied", s.applied.len(), s.known.len()),
                    took: t.elapsed(),
                },
                Err(e) => Check {
                    name: "migrations",
                    ok: false,
                    detail: e.to_string(),
                    took: t.elapsed(),
                },
            });
            let t = Instant::now();
            if let Ok(Some((ok, detail))) = store.describe_tls(&cfg.database_url).await {
                checks.push(Check {
                    name: "tls",
                    ok,
                    detail,
                    took: t.elapsed(),
                });
            }
            if let (Some((host, port)), "postgres") =
                (crate::store::postgres::host_port(&cfg.database_url), store.kind())
            {
                checks.extend(certificate_checks(host, port).await);
            }
            let t = Instant::now();
            let who = store.describe_login().await;
            checks.push(Check {
                name: "role",
                ok: who.is_ok(),
                detail: match &who {
                    Ok(w) => crate::sanitize::clean(w),
                    Err(e) => crate::sanitize::clean(&e.to_string()),
                },
                took: t.elapsed(),
            });
            let t = Instant::now();
            let writable = store.writable().await;
            checks.push(Check {
                name: "writable",
                ok: writable.is_ok(),
                detail: match &writable {
                    Ok(()) => "writes are accepted".into(),
                    Err(e) => crate::sanitize::clean(&e.to_string()),
                },
                took: t.elapsed(),
            });
            let t = Instant::now();
            let companies = store.companies().await;
            checks.push(Check {
                name: "data",
                ok: companies.is_ok(),
                detail: match companies {
                    Ok(c) if c.is_empty() => "no companies yet (run `katalis demo`)".into(),
                    Ok(c) => format!("{} companies", c.len()),
                    Err(e) => e.to_string(),
                },
                took: t.elapsed(),
            });
        }
        Err(e) => checks.push(Check {
            name: "store",
            ok: false,
            detail: format!("{url}: {}", crate::sanitize::clean(&e.to_string())),
            took: t.elapsed(),
        }),
    }
    checks.push(ai_check(cfg).await);
    for w in &cfg.warnings {
        checks.push(Check {
            name: "warning",
            ok: true,
            detail: crate::sanitize::clean(w),
            took: Duration::ZERO,
        });
    }
    let tty = std::io::stdout().is_terminal();
    checks.push(Check {
        name: "terminal",
        ok: true,
        detail: format!(
            "{}; TERM={}; colours: {}",
            if tty {
                "stdout is a terminal"
            } else {
                "stdout is not a terminal"
            },
            std::env::var("TERM").unwrap_or_else(|_| "unset".into()),
            if std::env::var_os("NO_COLOR").is_some() {
                "off (NO_COLOR)"
            } else {
                "on"
            }
        ),
        took: Duration::ZERO,
    });
    print_checks(&checks)
}

/// The server certificate's subject, issuer and expiry, and a warning when
/// it expires within [`WARN_DAYS`] days. Nothing when the server offers no TLS.
async fn certificate_checks(host: String, port: u16) -> Vec<Check> {
    use crate::store::certificate::{WARN_DAYS, fetch};
    let t = Instant::now();
    let got = tokio::task::spawn_blocking(move || fetch(&host, port, Duration::from_secs(5))).await;
    let now = chrono::Utc::now();
    match got {
        Ok(Ok(Some(cert))) => {
            let left = cert.days_left(now);
            let mut out = vec![Check {
                name: "certificate",
                ok: left >= 0,
                detail: if left < 0 {
                    format!("{}: expired", cert.describe(now))
                } else {
                    cert.describe(now)
                },
                took: t.elapsed(),
            }];
            if (0..WARN_DAYS).contains(&left) {
                out.push(Check {
                    name: "warning",
                    ok: true,
                    detail: format!(
                        "the server's certificate expires in {} ({}): ask whoever runs the server to renew it",
                        crate::store::certificate::days(left),
                        cert.not_after.format("%Y-%m-%d")
                    ),
                    took: Duration::ZERO,
                });
            }
            out
        }
        Ok(Ok(None)) => Vec::new(),
        Ok(Err(e)) => vec![Check {
            name: "certificate",
            ok: false,
            detail: format!("cannot read the server's certificate: {}", crate::sanitize::clean(&e)),
            took: t.elapsed(),
        }],
        Err(e) => vec![Check {
            name: "certificate",
            ok: false,
            detail: format!("cannot read the server's certificate: {e}"),
            took: t.elapsed(),
        }],
    }
}

fn print_checks(checks: &[Check]) -> bool {
    let mut all_ok = true;
    for c in checks {
        all_ok &= c.ok;
        println!(
            "{:<4} {:<11} {:>8.1} ms  {}",
            if c.ok { "ok" } else { "FAIL" },
            c.name,
            c.took.as_secs_f64() * 1000.0,
            c.detail
        );
    }
    all_ok
}

/// `doctor` when the configuration itself is refused (a bad value, an unknown
/// key, two actions on one key): that is the one check to show, and it fails.
pub fn config_refused(err: &crate::config::ConfigError) {
    print_checks(&[Check {
        name: "config",
        ok: false,
        detail: crate::sanitize::clean(&err.to_string()),
        took: Duration::ZERO,
    }]);
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}

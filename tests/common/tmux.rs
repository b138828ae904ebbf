//! A private tmux server for tests that drive the real binary in a terminal.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new() -> Tmux {
        Tmux {
            socket: format!(
                "katalis-test-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            ),
        }
    }
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is needed for this test (scripts/test installs it: apt-get install tmux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    pub fn open(&self, name: &str, cmd: &str) {
        self.run(&["new-session", "-d", "-s", name, "-x", "120", "-y", "30", cmd]);
    }
    pub fn keys(&self, name: &str, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", name, k]);
        }
    }
    pub fn screen(&self, name: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", name])
    }
    pub fn wait_for(&self, name: &str, text: &str, within: Duration) -> Option<Duration> {
        let t = Instant::now();
        while t.elapsed() < within {
            if self.screen(name).contains(text) {
                return Some(t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// The shell command of an interface on `url` at Tallo Analytics, with the
/// same private environment as every other launch (through `env -i`).
pub fn interface(url: &str, home: &std::path::Path) -> String {
    let env: Vec<String> = super::private_env(home)
        .into_iter()
        .map(|(k, v)| format!("{k}='{v}'"))
        .collect();
    format!(
        "env -i {} TERM=\"$TERM\" {} --db '{url}' --company 'Tallo Analytics'",
        env.join(" "),
        env!("CARGO_BIN_EXE_katalis")
    )
}

//! The real binary in tmux over a plain shell: `y` puts the selected
//! invoice's row in tmux's buffer through OSC 52 (`set-clipboard on`);
//! `Ctrl-p`, `goal`, Enter opens goal seek on Planning; with `mouse = true`
//! SGR mouse sequences select a tab and a row.

mod common;

use common::tmux::{Tmux, interface};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

fn click(t: &Tmux, name: &str, col: usize, row: usize) {
    // SGR: press and release of the left button, 1-based.
    let seq = format!("\x1b[<0;{};{}M\x1b[<0;{};{}m", col + 1, row + 1, col + 1, row + 1);
    t.run(&["send-keys", "-t", name, "-l", &seq]);
}

#[test]
fn copy_palette_and_mouse_in_a_real_terminal() {
    let (_d, url) = common::fresh_sqlite();
    let home = tempfile::tempdir().unwrap();
    common::stdout_ok(&common::katalis_in(&url, home.path(), &["demo"]));
    let config = home.path().join("config/katalis");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "mouse = true\n").unwrap();
    let t = Tmux::new();
    t.open("k", &format!("{}; sleep 30", interface(&url, home.path())));
    t.run(&["set-option", "-g", "set-clipboard", "on"]);
    assert!(t.wait_for("k", "Revenue (month)", WAIT).is_some(), "{}", t.screen("k"));

    // y on the second open invoice: its row, as the CSV export has it, in tmux's buffer.
    t.keys("k", &["7"]);
    assert!(t.wait_for("k", "Open invoices", WAIT).is_some());
    t.keys("k", &["j", "y"]);
    assert!(
        t.wait_for("k", "1 row copied (terminal clipboard)", WAIT).is_some(),
        "{}",
        t.screen("k")
    );
    let csv = common::stdout_ok(&common::katalis_in(
        &url,
        home.path(),
        &["--company", "Tallo Analytics", "export", "collections"],
    ));
    let lines: Vec<&str> = csv.lines().collect();
    let as_tsv = |l: &str| l.split(',').collect::<Vec<_>>().join("\t");
    let buffer = t.run(&["show-buffer"]);
    assert_eq!(
        buffer.lines().collect::<Vec<_>>(),
        [as_tsv(lines[0]), as_tsv(lines[2])],
        "{buffer}"
    );

    // A click on a row selects it; y copies that one.
    let screen = t.screen("k");
    let number = lines[4].split(',').next().unwrap();
    let row = screen
        .lines()
        .position(|l| l.contains(number))
        .expect("the fourth invoice on screen");
    click(&t, "k", 5, row);
    t.keys("k", &["y"]);
    std::thread::sleep(Duration::from_millis(500));
    let buffer = t.run(&["show-buffer"]);
    assert_eq!(buffer.lines().nth(1), Some(as_tsv(lines[4]).as_str()), "{buffer}");

    // The wheel over the table moves the selection: the fifth invoice now.
    let seq = format!("\x1b[<65;6;{}M", row + 1);
    t.run(&["send-keys", "-t", "k", "-l", &seq]);
    t.keys("k", &["y"]);
    std::thread::sleep(Duration::from_millis(500));
    let buffer = t.run(&["show-buffer"]);
    assert_eq!(buffer.lines().nth(1), Some(as_tsv(lines[5]).as_str()), "{buffer}");

    // Ctrl-p, goal, Enter: goal seek on the Planning tab.
    t.keys("k", &["C-p"]);
    assert!(t.wait_for("k", "Commands", WAIT).is_some(), "{}", t.screen("k"));
    t.run(&["send-keys", "-t", "k", "-l", "goal"]);
    t.keys("k", &["Enter"]);
    assert!(t.wait_for("k", "Goal seek", WAIT).is_some(), "{}", t.screen("k"));
    t.keys("k", &["Escape"]);

    // A click on a tab switches to it.
    let bar = t.screen("k").lines().next().unwrap().to_owned();
    let col = bar.find(" 4 ").expect("tab 4 in the bar");
    click(&t, "k", col + 2, 0);
    assert!(t.wait_for("k", "Products", WAIT).is_some(), "{}", t.screen("k"));
}
